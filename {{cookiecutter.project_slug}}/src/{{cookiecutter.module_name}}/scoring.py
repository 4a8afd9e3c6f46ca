"""Batch scoring: apply the registered model to a file of passengers, to Parquet."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from {{ cookiecutter.module_name }}.config import ScoreSettings, ServedModelSettings
from {{ cookiecutter.module_name }}.data.load import load_titanic
from {{ cookiecutter.module_name }}.data.parquet import parquet_file, write_table
from {{ cookiecutter.module_name }}.errors import TrackingError, first_line
from {{ cookiecutter.module_name }}.features import (
    INPUT_FEATURES,
    PREDICTION,
    PROBABILITY,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

ID_COLUMN = "passenger_id"


def score(model: Pipeline, passengers: pd.DataFrame) -> pd.DataFrame:
    """Add the predicted class and its probability to the identifiers and features."""
    features = passengers[INPUT_FEATURES]
    kept = [ID_COLUMN] if ID_COLUMN in passengers.columns else []
    return passengers[kept + INPUT_FEATURES].assign(
        **{
            PREDICTION: model.predict(features).astype(int),
            PROBABILITY: model.predict_proba(features)[:, 1],
        }
    )


def read_model(settings: ServedModelSettings) -> Pipeline:
    """Load the model through MLflow, or say which one failed and what to do."""
    # Imported once the input is known good: mlflow takes seconds to load.
    from {{ cookiecutter.module_name }}.registry import TRACKING_FAILURES, load_model

    try:
        return load_model(settings.served_model_uri, settings)
    except TRACKING_FAILURES as error:
        raise TrackingError(
            f"cannot load model {settings.served_model_uri} (tracking URI "
            f"{settings.mlflow_tracking_uri}): {first_line(error)}; train one with "
            "`python main.py` or pass --model-uri"
        ) from None


def score_file(settings: ScoreSettings) -> pd.DataFrame:
    """Load the passengers and the model, score, write the Parquet file."""
    parquet_file(settings.output)  # a wrong name fails before any reading
    passengers = load_titanic(
        settings.input,
        require_target=False,
        missing_hint="pass an existing file to --input",
    )
    scores = score(read_model(settings), passengers)
    write_table(pa.Table.from_pandas(scores, preserve_index=False), settings.output)
    logger.info(
        "Scored %d passengers with %s: %d predicted to survive; wrote %s",
        len(scores),
        settings.served_model_uri,
        int(scores[PREDICTION].sum()),
        settings.output,
    )
    return scores
