"""Batch scoring on Spark: the registered model, sent once, applied per batch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pandas as pd
from pyspark import Broadcast
from pyspark.sql import DataFrame
from pyspark.sql.functions import col
from pyspark.sql.types import DoubleType, LongType, StructField, StructType

from {{ cookiecutter.module_name }}.data.parquet import COMPRESSION
from {{ cookiecutter.module_name }}.data.schema import COLUMN_NAMES
from {{ cookiecutter.module_name }}.features import (
    INPUT_FEATURES,
    PREDICTION,
    PROBABILITY,
)
from {{ cookiecutter.module_name }}.scoring import ID_COLUMN, read_model, score
from {{ cookiecutter.module_name }}.spark.prepare import written_rows
from {{ cookiecutter.module_name }}.spark.read import read_passengers, require_input
from {{ cookiecutter.module_name }}.spark.session import (
    spark_errors,
    spark_path,
    spark_session,
)
from {{ cookiecutter.module_name }}.spark.settings import SparkScoreCommand

logger = logging.getLogger(__name__)

MISSING_HINT = "pass an existing file to --input"

# What the `score` command adds to each row, typed as its Parquet file has them.
SCORE_FIELDS = [
    StructField(PREDICTION, LongType()),
    StructField(PROBABILITY, DoubleType()),
]


def score_on_spark(command: SparkScoreCommand) -> None:
    """Score every passenger, in parallel, into a new folder of Parquet files."""
    require_input(command.input, MISSING_HINT)
    with spark_session(command) as spark:
        passengers = read_passengers(
            spark, command.input, require_target=False, missing_hint=MISSING_HINT
        )
        features = model_inputs(passengers)
        # Pickled once for every executor, rather than once per task.
        model = spark.sparkContext.broadcast(read_model(command))
        schema = StructType([*features.schema.fields, *SCORE_FIELDS])
        scores = features.mapInPandas(score_batches(model), schema)
        with spark_errors(f"write {command.output!r}"):
            scores.write.option("compression", COMPRESSION).parquet(
                spark_path(command.output)
            )
            rows = written_rows(spark, command.output)
    logger.info(
        "Scored %d passengers with %s; wrote %s",
        rows,
        command.served_model_uri,
        command.output,
    )


def model_inputs(passengers: DataFrame) -> DataFrame:
    """Keep the identifier and the features, under the project's column names."""
    renamed = passengers.select(
        *(
            col(column).alias(name)
            for column, name in COLUMN_NAMES.items()
            if column in passengers.columns
        )
    )
    kept = [ID_COLUMN] if ID_COLUMN in renamed.columns else []
    return renamed.select(*kept, *INPUT_FEATURES)


def score_batches(
    model: Broadcast,
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Apply the batch scoring's own function to each batch Arrow hands over."""

    def apply(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Score a partition's batches with the executor's copy of the model."""
        fitted = model.value
        for batch in batches:
            yield score(fitted, batch)

    return apply
