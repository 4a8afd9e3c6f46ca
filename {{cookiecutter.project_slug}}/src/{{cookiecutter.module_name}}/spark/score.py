"""Batch scoring on Spark: the registered model, sent once, applied per batch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pandas as pd
from pyspark import Broadcast
from pyspark.sql import DataFrame
from pyspark.sql.functions import col
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from {{ cookiecutter.module_name }}.data.parquet import (
    COMPRESSION,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.scoring import (
    read_model,
    score,
)
from {{ cookiecutter.module_name }}.spark.prepare import (
    written_rows,
)
from {{ cookiecutter.module_name }}.spark.read import (
    read_rows,
    require_input,
)
from {{ cookiecutter.module_name }}.spark.session import (
    spark_errors,
    spark_path,
    spark_session,
)
from {{ cookiecutter.module_name }}.spark.settings import SparkScoreCommand

logger = logging.getLogger(__name__)

MISSING_HINT = "pass an existing file to --input"

# The class's Spark type, as the `score` command's Parquet file has it.
CLASS_TYPES: dict[str, DataType] = {
    "boolean": BooleanType(),
    "integer": LongType(),
    "text": StringType(),
}
# What the `score` command adds to each row: the class, each class's probability.
SCORE_FIELDS = [
    StructField(DATASET.prediction, CLASS_TYPES[DATASET.target.kind]),
    *(StructField(name, DoubleType()) for name in DATASET.probabilities.values()),
]


def score_on_spark(command: SparkScoreCommand) -> None:
    """Score every row, in parallel, into a new folder of Parquet files."""
    require_input(command.input, MISSING_HINT)
    with spark_session(command) as spark:
        frame = read_rows(
            spark, command.input, require_target=False, missing_hint=MISSING_HINT
        )
        features = model_inputs(frame)
        # Pickled once for every executor, rather than once per task.
        model = spark.sparkContext.broadcast(read_model(command))
        schema = StructType([*features.schema.fields, *SCORE_FIELDS])
        scores = features.mapInPandas(score_batches(model), schema)
        with spark_errors(f"write {command.output!r}"):
            scores.write.option("compression", COMPRESSION).parquet(
                spark_path(command.output)
            )
            written = written_rows(spark, command.output)
    logger.info(
        "Scored %d rows with %s; wrote %s",
        written,
        command.served_model_uri,
        command.output,
    )


def model_inputs(rows: DataFrame) -> DataFrame:
    """Keep the identifier and the features, under the code's column names."""
    renamed = rows.select(
        *(
            col(f"`{source}`").alias(name)
            for source, name in DATASET.source_names.items()
            if source in rows.columns
        )
    )
    identifier = DATASET.identifier
    kept = (
        [identifier.name] if identifier and identifier.name in renamed.columns else []
    )
    return renamed.select(*kept, *DATASET.feature_names)


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
