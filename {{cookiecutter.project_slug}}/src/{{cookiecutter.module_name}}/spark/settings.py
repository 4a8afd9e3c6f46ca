"""The Spark jobs' settings: their arguments, and where Spark runs.

Spark's own settings (memory, executors, packages) belong to spark-defaults.conf
in SPARK_CONF_DIR, or to the cluster's submission, never to this code.
"""

from pydantic import Field, field_validator
from pydantic_settings import CliPositionalArg

from {{ cookiecutter.module_name }}.config import (
    ProjectSettings,
    ServedModelSettings,
    blank_is_none,
)


class SparkSettings(ProjectSettings):
    """Where Spark runs: SPARK_MASTER, else spark-defaults.conf, else local[*]."""

    spark_master: str | None = Field(
        default=None,
        description="Spark master URL (local[4], k8s://https://host:443); unset: "
        "spark.master of spark-defaults.conf, else local[*], every core here.",
    )

    _blank_master_is_unset = field_validator("spark_master", mode="before")(
        blank_is_none
    )


class PrepareCommand(SparkSettings):
    """Check rows as training does, write them as Parquet, by key folders."""

    source: CliPositionalArg[str] = Field(
        description="CSV file, Parquet file or folder: a local path or an s3:// URI."
    )
    target: CliPositionalArg[str] = Field(
        description="New folder to write the Parquet files to: local or s3://."
    )
    by: list[str] = Field(
        default_factory=list,
        description="Partition column, any case (region finds Region); repeat to "
        "nest; none: one flat folder.",
    )


class SparkScoreCommand(ServedModelSettings, SparkSettings):
    """Score rows with the registered model on Spark, into Parquet files.

    The output has the columns and probabilities of the `score` command.
    """

    input: str = Field(
        description="CSV file, Parquet file or folder of rows: a local path "
        "or an s3:// URI; no target column needed."
    )
    output: str = Field(description="New folder to write the Parquet files to.")
