"""Start Spark from the environment, and turn its failures into one-line errors."""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from {{ cookiecutter.module_name }}.config import S3Settings
from {{ cookiecutter.module_name }}.data.storage import parse_endpoint
from {{ cookiecutter.module_name }}.errors import (
    CommandError,
    DataAccessError,
    DataNotFoundError,
    DataValidationError,
    first_line,
)
from {{ cookiecutter.module_name }}.spark.settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

APP_NAME = "{{ cookiecutter.project_slug }}"
JAVA_HINT = (
    "Spark needs Java 17 or newer: install a JRE (apt-get install "
    "openjdk-17-jre-headless) or set JAVA_HOME"
)
S3A_HINT = (
    "Spark reads s3:// through Hadoop's s3a connector, which is not on its "
    "classpath: add org.apache.hadoop:hadoop-aws to spark.jars.packages in "
    "spark-defaults.conf (see the README)"
)
# Spark's name for S3 is s3a://, its Hadoop connector; the project writes s3://.
S3_SCHEME = re.compile(r"^s3a?://", re.IGNORECASE)
URL_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
NOT_FOUND = "no such file or folder"
LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def spark_path(uri: str) -> str:
    """Name a location as Spark does: s3:// becomes s3a://; URLs are refused."""
    if URL_SCHEME.match(uri):
        raise DataAccessError(
            f"cannot read {uri!r}: Spark reads local paths and s3:// URIs, "
            "not URLs; copy the file first"
        )
    return S3_SCHEME.sub("s3a://", uri)


def s3a_options(settings: S3Settings) -> dict[str, str]:
    """Hand the project's AWS_* variables to Hadoop's s3a connector.

    The same variables as the pyarrow path, so one .env serves both; a MinIO
    endpoint (AWS_S3_ENDPOINT) needs path-style URLs.
    """
    prefix = "spark.hadoop.fs.s3a."
    options = {f"{prefix}endpoint.region": settings.aws_default_region}
    if settings.aws_s3_endpoint:
        host, scheme = parse_endpoint(settings.aws_s3_endpoint)
        options[f"{prefix}endpoint"] = f"{scheme}://{host}"
        options[f"{prefix}path.style.access"] = "true"
    secret, token = settings.aws_secret_access_key, settings.aws_session_token
    if settings.aws_access_key_id and secret:
        options[f"{prefix}access.key"] = settings.aws_access_key_id
        options[f"{prefix}secret.key"] = secret.get_secret_value()
    if token:
        options[f"{prefix}session.token"] = token.get_secret_value()
        options[f"{prefix}aws.credentials.provider"] = (
            "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
        )
    return options


def quiet_jvm_options() -> dict[str, str]:
    """Keep Spark's JVM to errors, in the project's log format, with no progress bars.

    Without it, a command prints a dozen lines of start-up warnings, and a
    failure its Java stack traces before the one-line error. A
    log4j2.properties of your own in SPARK_CONF_DIR is left in charge. The JVM
    options go in spark.driver.defaultJavaOptions, meant for such defaults:
    spark.driver.extraJavaOptions stays yours.
    """
    options = {"spark.ui.showConsoleProgress": "false"}
    conf_dir = os.environ.get("SPARK_CONF_DIR")
    if not (conf_dir and (Path(conf_dir) / "log4j2.properties").is_file()):
        java_option = f"-Dlog4j.configurationFile={LOG4J_CONFIG.as_uri()}"
        options["spark.driver.defaultJavaOptions"] = java_option
    return options


def quiet_python_side() -> None:
    """Silence what pyspark's Python side prints at every command, and only that.

    pyspark warns that it does not fully support pandas 3, which this project
    tests it with; py4j logs its connections at INFO.
    """
    warnings.filterwarnings(
        "ignore",
        message="PySpark does not yet fully support pandas",
        category=FutureWarning,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)


def require_java() -> None:
    """Fail with the fix, where Spark would fail with a gateway error."""
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise CommandError(JAVA_HINT)


@contextmanager
def spark_session(settings: SparkSettings) -> Iterator[SparkSession]:
    """Join the running Spark session, or start one and stop it when done.

    The Python workers run this interpreter, where the project is installed,
    unless PYSPARK_PYTHON says otherwise (a cluster image sets its own).
    """
    require_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    quiet_python_side()
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    builder = SparkSession.builder.appName(APP_NAME)
    if settings.spark_master:
        builder = builder.master(settings.spark_master)
    options = {**quiet_jvm_options(), **s3a_options(S3Settings())}
    for key, value in options.items():
        builder = builder.config(key, value)
    with spark_errors("start Spark"):
        session = builder.getOrCreate()
    try:
        yield session
    finally:
        if running is None:
            session.stop()


@contextmanager
def spark_errors(action: str, missing_hint: str = "") -> Iterator[None]:
    """Turn Spark's and its JVM's exceptions into one line saying what failed."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException, PySparkException

    try:
        yield
    except AnalysisException as error:
        condition = error.getCondition()
        if condition == "PATH_NOT_FOUND":
            raise DataNotFoundError(
                f"cannot {action}: {NOT_FOUND}{missing_hint}"
            ) from None
        if condition == "PATH_ALREADY_EXISTS":
            raise CommandError(
                f"cannot {action}: it already exists; choose a new folder or "
                "delete it first"
            ) from None
        raise DataValidationError(f"cannot {action}: {first_line(error)}") from None
    except Py4JJavaError as error:
        cause = str(error.java_exception)
        if "S3AFileSystem not found" in cause:
            raise DataAccessError(f"cannot {action}: {S3A_HINT}") from None
        raise DataAccessError(f"cannot {action}: {cause.splitlines()[0]}") from None
    except PySparkException as error:
        if error.getCondition() == "JAVA_GATEWAY_EXITED":
            raise CommandError(JAVA_HINT) from None
        raise DataAccessError(f"cannot {action}: {first_line(error)}") from None
