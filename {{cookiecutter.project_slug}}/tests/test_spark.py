"""The Spark jobs in local mode: same data as `data partition`, same scores as `score`.

One Spark session serves the whole module: starting the JVM takes seconds.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import (
    cli,
)
from {{ cookiecutter.module_name }}.config import (
    S3Settings,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataValidationError,
)
from {{ cookiecutter.module_name }}.spark.session import (
    LOG4J_CONFIG,
    S3A_HINT,
    quiet_jvm_options,
    s3a_options,
    spark_session,
)
from {{ cookiecutter.module_name }}.spark.settings import (
    SparkSettings,
)

from tests import declared
from tests.cli_helpers import only_error, only_error_line, run_command

pytestmark = pytest.mark.usefixtures("isolated_settings")

PREPARE_HINT = "pass an existing file or folder"


# Settings come from spark-defaults.conf, as on a real deployment: here, a small
# local Spark that does not split 200 rows into 200 shuffle partitions.
SPARK_DEFAULTS = """\
spark.master local[2]
spark.sql.shuffle.partitions 2
spark.ui.enabled false
"""
# A line of the commands' LOG_FORMAT (errors.py), which Spark's JVM logs follow.
LOG_LINE = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [A-Z]+ \S+: ")
# Printed by the JVM itself, since Spark's launcher always adds this module:
# no Spark or Java switch turns it off.
JVM_BANNER = "WARNING: Using incubator modules: jdk.incubator.vector"


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One local session for the module; the commands join it instead of starting."""
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 or newer, and no java is installed here")
    conf = tmp_path_factory.mktemp("spark-conf")
    (conf / "spark-defaults.conf").write_text(SPARK_DEFAULTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPARK_CONF_DIR", str(conf))
        patch.delenv("SPARK_MASTER", raising=False)
        with spark_session(SparkSettings(_env_file=None)) as session:
            yield session


def run_spark_command(tmp_path: Path, *argv: str) -> tuple[int, list[str]]:
    """Run a command in a new interpreter, as typed; its exit code and stderr lines.

    Only a new process shows what Spark's JVM prints. Its settings come from a
    spark-defaults.conf of its own, as the module's session's do.
    """
    conf = tmp_path / "spark-conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(SPARK_DEFAULTS)
    module = "{{ cookiecutter.module_name }}"
    completed = subprocess.run(
        [sys.executable, "-m", module, "spark", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "SPARK_CONF_DIR": str(conf)},
        timeout=600,
        check=False,
    )
    return completed.returncode, completed.stderr.splitlines()


def noise(lines: list[str]) -> list[str]:
    """The lines a command printed that are not log lines of the project's format."""
    return [line for line in lines if line != JVM_BANNER and not LOG_LINE.match(line)]


def test_spark_settings_come_from_spark_defaults(spark) -> None:
    """No SPARK_MASTER: the master and every setting come from spark-defaults.conf."""
    assert spark.conf.get("spark.master") == "local[2]"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Put rows in one order: Spark writes its partitions in any order."""
    return frame.sort_values(list(frame.columns), ignore_index=True)


def folders(root: Path) -> list[str]:
    """List the key=value folders below a dataset, as paths relative to it."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*=*") if p.is_dir())


@pytest.mark.usefixtures("spark")
def test_prepare_writes_what_data_partition_writes(
    raw_frame: pd.DataFrame, write_csv, tmp_path: Path
) -> None:
    """Same folders, rows and values, whichever engine wrote them."""
    text = next(
        (c for c in raw_frame if pd.api.types.is_string_dtype(raw_frame[c])), None
    )
    if text is not None:
        # Spreadsheets double the quotes inside a quoted text, as RFC 4180 says.
        raw_frame.loc[0, text] = 'Johnston, Miss. Catherine Helen "Carrie"'
    source = str(write_csv(raw_frame))
    key, optional = DATASET.target, declared.optional_category()
    by = ["--by", key.source.lower(), "--by", optional.source.upper()]
    duckdb_out, spark_out = tmp_path / "duckdb", tmp_path / "spark"
    assert cli.main(["data", "partition", source, str(duckdb_out), *by]) == 0
    assert cli.main(["spark", "prepare", source, str(spark_out), *by]) == 0
    assert folders(spark_out) == folders(duckdb_out)
    missing = f"{optional.source}=__HIVE_DEFAULT_PARTITION__"
    assert any(spark_out.glob(f"*/{missing}"))
    pd.testing.assert_frame_equal(
        sorted_rows(load_dataset(str(spark_out))),
        sorted_rows(load_dataset(str(duckdb_out))),
        check_dtype=False,
    )


@pytest.mark.usefixtures("spark")
def test_prepare_prints_the_rows_written_and_no_jvm_output(
    raw_frame: pd.DataFrame, write_csv, tmp_path: Path
) -> None:
    """One line says what was written; Spark's start-up and warnings stay quiet."""
    source = str(write_csv(raw_frame))
    target = tmp_path / "by-class"
    code, lines = run_spark_command(tmp_path, "prepare", source, str(target))
    assert code == 0, lines
    assert noise(lines) == []
    wrote = f"Wrote {len(raw_frame)} rows under {target} as Parquet"
    assert [line for line in lines if wrote in line] != []


def test_jvm_logging_is_left_to_a_log4j2_file_of_your_own(tmp_path, monkeypatch):
    """Errors only by default; a log4j2.properties in SPARK_CONF_DIR wins."""
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    options = quiet_jvm_options()
    assert options["spark.ui.showConsoleProgress"] == "false"
    assert LOG4J_CONFIG.as_uri() in options["spark.driver.defaultJavaOptions"]
    assert "rootLogger.level = error" in LOG4J_CONFIG.read_text()
    (tmp_path / "log4j2.properties").write_text("rootLogger.level = info\n")
    assert "spark.driver.defaultJavaOptions" not in quiet_jvm_options()


@pytest.mark.usefixtures("spark")
def test_prepare_without_keys_keeps_a_parquet_file_whole(
    data_parquet: Path, tmp_path: Path
) -> None:
    """No --by: one flat folder of Parquet files holding every row."""
    target = tmp_path / "flat"
    assert cli.main(["spark", "prepare", str(data_parquet), str(target)]) == 0
    assert folders(target) == []
    pd.testing.assert_frame_equal(
        sorted_rows(load_dataset(str(target))),
        sorted_rows(load_dataset(str(data_parquet))),
    )


@pytest.mark.usefixtures("spark")
def test_score_equals_batch_scoring(
    trained_store,
    raw_frame: pd.DataFrame,
    write_csv,
    tmp_path: Path,
    monkeypatch,
    caplog,
) -> None:
    """The champion's class and probabilities, row for row, in the same columns."""
    monkeypatch.setenv("MODEL_NAME", trained_store.model_name)
    source = str(write_csv(raw_frame.drop(columns=[DATASET.target.source])))
    batch, folder = tmp_path / "scores.parquet", tmp_path / "spark-scores"
    tracking = ["--mlflow-tracking-uri", trained_store.uri]
    argv = ["score", "--input", source, "--output", str(batch), *tracking]
    assert cli.main(argv) == 0
    argv = ["spark", "score", "--input", source, "--output", str(folder), *tracking]
    caplog.clear()
    assert cli.main(argv) == 0
    assert f"Scored {len(raw_frame)} rows with" in caplog.text
    expected = sorted_rows(pd.read_parquet(batch))
    scores = sorted_rows(pd.read_parquet(folder))
    assert list(scores.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(scores, expected, check_dtype=False)
    for column in DATASET.probabilities.values():
        np.testing.assert_array_equal(scores[column], expected[column])


@pytest.mark.usefixtures("spark")
def test_missing_file_has_the_loaders_message(tmp_path: Path, caplog) -> None:
    """One error line, the one the DuckDB loader gives, and nothing written."""
    with pytest.raises(DataValidationError) as loader:
        load_dataset("nowhere.csv", missing_hint=PREPARE_HINT)
    assert cli.main(["spark", "prepare", "nowhere.csv", str(tmp_path / "out")]) == 2
    assert only_error(caplog) == f"Prepare failed: {loader.value}"
    assert not (tmp_path / "out").exists()


def test_missing_file_stops_before_spark_starts(tmp_path: Path) -> None:
    """A typo costs no JVM start: the terminal shows one line, no Java trace."""
    argv = ["-m", "{{ cookiecutter.module_name }}", "spark", "prepare", "nowhere.csv"]
    completed = run_command(*argv, "out", cwd=tmp_path)
    assert "no such file or folder" in only_error_line(completed, exit_code=2)
    assert "java" not in completed.stderr.lower()


def without_a_feature(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop a required column."""
    return frame.drop(columns=[DATASET.features[0].source])


def unknown_class(frame: pd.DataFrame) -> pd.DataFrame:
    """Put a value outside the declared classes."""
    target = DATASET.target
    unknown = "unknown" if target.kind == "text" else 99
    spoilt = frame.astype({target.source: object})
    spoilt.loc[0, target.source] = unknown
    return spoilt


def header_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the header, no row."""
    return frame.head(0)


@pytest.mark.usefixtures("spark")
@pytest.mark.parametrize("spoil", [without_a_feature, unknown_class, header_only])
def test_bad_schema_has_the_loaders_message(
    spoil, raw_frame: pd.DataFrame, write_csv, tmp_path: Path, caplog
) -> None:
    """Spark refuses the data the loader refuses, in the loader's words."""
    source = str(write_csv(spoil(raw_frame)))
    with pytest.raises(DataValidationError) as loader:
        load_dataset(source)
    assert cli.main(["spark", "prepare", source, str(tmp_path / "out")]) == 2
    assert only_error(caplog) == f"Prepare failed: {loader.value}"


@pytest.mark.usefixtures("spark")
def test_mistyped_column_is_named_with_sparks_type(
    raw_frame: pd.DataFrame, write_csv, tmp_path: Path, caplog
) -> None:
    """Text in a numeric column: the loader's message, with Spark's type name."""
    column = declared.numeric()
    source = str(write_csv(raw_frame.assign(**{column.source: "unknown"})))
    assert cli.main(["spark", "prepare", source, str(tmp_path / "out")]) == 2
    expected = f"has mistyped columns: {column.source} has type string, expected"
    assert expected in only_error(caplog)


@pytest.mark.usefixtures("spark")
def test_existing_target_is_refused(data_csv: Path, tmp_path: Path, caplog):
    """Spark never writes into, or over, a folder that exists."""
    target = tmp_path / "taken"
    target.mkdir()
    assert cli.main(["spark", "prepare", str(data_csv), str(target)]) == 2
    assert "it already exists; choose a new folder" in only_error(caplog)


def test_s3_without_hadoop_aws_names_the_fix(spark, tmp_path: Path) -> None:
    """s3:// needs Hadoop's s3a jars, which pyspark does not ship: say how to add them.

    In one line, in a new process as typed: Spark's JVM logs no stack trace first.

    Reading S3 for real needs those jars, downloaded from Maven Central by
    spark.jars.packages: no test here can fetch them.
    """
    if "hadoop-aws" in spark.conf.get("spark.jars.packages", ""):
        pytest.skip("hadoop-aws is on Spark's classpath: s3:// would be read")
    code, lines = run_spark_command(tmp_path, "prepare", "s3://b/t.csv", "out")
    assert code == 2
    assert noise(lines) == []
    assert [line for line in lines if line.endswith(S3A_HINT)] != []


def test_missing_java_names_the_fix(
    data_csv: Path, tmp_path: Path, monkeypatch, caplog
) -> None:
    """No java on PATH and no JAVA_HOME: the fix, before Spark tries to start."""
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-java"))
    assert cli.main(["spark", "prepare", str(data_csv), "out"]) == 2
    assert "Spark needs Java 17 or newer" in only_error(caplog)


def test_s3a_reads_the_projects_aws_variables() -> None:
    """MinIO as on SSP Cloud: endpoint, path-style URLs, temporary credentials."""
    settings = S3Settings(
        _env_file=None,
        aws_access_key_id="key",
        aws_secret_access_key="secret",
        aws_session_token="token",
        aws_s3_endpoint="minio.lab.sspcloud.fr",
    )
    options = s3a_options(settings)
    assert options["spark.hadoop.fs.s3a.endpoint"] == "https://minio.lab.sspcloud.fr"
    assert options["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert options["spark.hadoop.fs.s3a.secret.key"] == "secret"
    assert options["spark.hadoop.fs.s3a.session.token"] == "token"
    assert "TemporaryAWSCredentialsProvider" in (
        options["spark.hadoop.fs.s3a.aws.credentials.provider"]
    )
