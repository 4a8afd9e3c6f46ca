"""Prepare data on Spark: check it, then write it as Parquet in key=value folders."""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession

from {{ cookiecutter.module_name }}.data.parquet import COMPRESSION, find_column
from {{ cookiecutter.module_name }}.spark.read import read_passengers
from {{ cookiecutter.module_name }}.spark.session import spark_errors, spark_path
from {{ cookiecutter.module_name }}.spark.settings import PrepareCommand

logger = logging.getLogger(__name__)


def prepare(spark: SparkSession, command: PrepareCommand) -> None:
    """Write the rows and values `data partition` writes, with Spark's executors.

    The target must not exist: Spark would otherwise mix two datasets, or, with
    an overwrite, delete whatever folder was named by mistake.
    """
    frame = read_passengers(
        spark,
        command.source,
        require_target=None,
        missing_hint="pass an existing file or folder",
    )
    keys = [find_column(frame.columns, name, command.source) for name in command.by]
    with spark_errors(f"write {command.target!r}"):
        (
            frame.write.partitionBy(*dict.fromkeys(keys))
            .option("compression", COMPRESSION)
            .parquet(spark_path(command.target))
        )
    logger.info(
        "Wrote %s as Parquet%s",
        command.target,
        f", partitioned by {', '.join(keys)}" if keys else "",
    )
