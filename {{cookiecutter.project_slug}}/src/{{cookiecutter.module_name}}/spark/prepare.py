"""Prepare data on Spark: check it, then write it as Parquet in key=value folders."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from {{ cookiecutter.module_name }}.data.parquet import COMPRESSION, find_column
from {{ cookiecutter.module_name }}.spark.read import read_rows, require_input
from {{ cookiecutter.module_name }}.spark.session import (
    spark_errors,
    spark_path,
    spark_session,
)
from {{ cookiecutter.module_name }}.spark.settings import PrepareCommand

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

MISSING_HINT = "pass an existing file or folder"


def prepare(command: PrepareCommand) -> None:
    """Write the rows and values `data partition` writes, with Spark's executors.

    The target must not exist: Spark would otherwise mix two datasets, or, with
    an overwrite, delete whatever folder was named by mistake.
    """
    require_input(command.source, MISSING_HINT)
    with spark_session(command) as spark:
        frame = read_rows(
            spark, command.source, require_target=None, missing_hint=MISSING_HINT
        )
        keys = [find_column(frame.columns, key, command.source) for key in command.by]
        with spark_errors(f"write {command.target!r}"):
            (
                frame.write.partitionBy(*dict.fromkeys(keys))
                .option("compression", COMPRESSION)
                .parquet(spark_path(command.target))
            )
            rows = written_rows(spark, command.target)
    logger.info(
        "Wrote %d rows under %s as Parquet%s",
        rows,
        command.target,
        f", partitioned by {', '.join(keys)}" if keys else "",
    )


def written_rows(spark: SparkSession, uri: str) -> int:
    """Count the rows of the Parquet files just written, from their footers.

    Spark's writer does not say how many rows it wrote, and counting the
    source would read it a second time.
    """
    return spark.read.parquet(spark_path(uri)).count()
