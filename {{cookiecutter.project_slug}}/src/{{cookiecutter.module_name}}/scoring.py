"""Batch scoring: apply the registered model to a file of rows, to Parquet."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from {{ cookiecutter.module_name }}.config import (
    ScoreSettings,
    ServedModelSettings,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.data.parquet import (
    parquet_file,
    write_table,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    TrackingError,
    first_line,
)
from {{ cookiecutter.module_name }}.prediction import (
    check_model,
    predict,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)


def score(model: Pipeline, rows: pd.DataFrame) -> pd.DataFrame:
    """Add the predicted class and each class's probability to the inputs."""
    features = rows[DATASET.feature_names]
    identifier = DATASET.identifier
    kept = [identifier.name] if identifier and identifier.name in rows.columns else []
    return rows[kept + DATASET.feature_names].assign(
        **predict(model, features).columns()
    )


def read_model(settings: ServedModelSettings) -> Pipeline:
    """Load the model through MLflow, or say which one failed and what to do.

    A model whose classes or inputs are not the declared ones is refused here,
    before anything is scored or written.
    """
    # Imported once the input is known good: mlflow takes seconds to load.
    from {{ cookiecutter.module_name }}.registry import TRACKING_FAILURES, load_model

    uri = settings.served_model_uri
    try:
        model = load_model(uri, settings)
    except TRACKING_FAILURES as error:
        raise TrackingError(
            f"cannot load model {uri} (tracking URI "
            f"{settings.mlflow_tracking_uri}): {first_line(error)}; train one with "
            "`python main.py` or pass --model-uri"
        ) from None
    check_model(model, uri)
    return model


def score_file(settings: ScoreSettings) -> pd.DataFrame:
    """Load the rows and the model, score, write the Parquet file."""
    parquet_file(settings.output)  # a wrong name fails before any reading
    rows = load_dataset(
        settings.input,
        require_target=False,
        missing_hint="pass an existing file to --input",
    )
    scores = score(read_model(settings), rows)
    write_table(pa.Table.from_pandas(scores, preserve_index=False), settings.output)
    counts = scores[DATASET.prediction].value_counts().sort_index()
    logger.info(
        "Scored %d rows with %s, predicted %s; wrote %s",
        len(scores),
        settings.served_model_uri,
        ", ".join(f"{value}: {count}" for value, count in counts.items()),
        settings.output,
    )
    return scores
