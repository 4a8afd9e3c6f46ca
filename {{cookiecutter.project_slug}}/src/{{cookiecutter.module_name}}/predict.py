"""Batch scoring: apply the registered model to a file of passengers, to Parquet."""

from __future__ import annotations

import argparse
import logging

import pandas as pd
import pyarrow as pa

from {{ cookiecutter.module_name }}.cli import (
    EXIT_INVALID_INPUT,
    EXIT_OK,
    EXIT_TRACKING_FAILED,
    load_settings,
)
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.data.load import (
    DataAccessError,
    DataNotFoundError,
    DataValidationError,
    load_titanic,
)
from {{ cookiecutter.module_name }}.data.parquet import write_table
from {{ cookiecutter.module_name }}.data.storage import StorageError
from {{ cookiecutter.module_name }}.features import (
    INPUT_FEATURES,
    PREDICTION,
    PROBABILITY,
)
from {{ cookiecutter.module_name }}.logs import configure_logging, first_line

logger = logging.getLogger("{{ cookiecutter.module_name }}.predict")

ID_COLUMN = "passenger_id"


def build_parser() -> argparse.ArgumentParser:
    """Describe the flags; the model's location defaults to the configured alias."""
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.module_name }}.predict",
        description="Score passengers with the registered model and write Parquet.",
        epilog="MLFLOW_TRACKING_URI, MODEL_NAME and MODEL_ALIAS (environment or "
        ".env) choose the default model: models:/MODEL_NAME@MODEL_ALIAS.",
    )
    parser.add_argument(
        "--input",
        required=True,
        help="CSV or Parquet passengers to score: local path, https:// or s3:// URI",
    )
    parser.add_argument(
        "--output", required=True, help="Parquet file to write, local or s3://"
    )
    parser.add_argument(
        "--model-uri",
        help="models:/NAME@ALIAS, runs:/RUN_ID/model or a local model folder",
    )
    parser.add_argument(
        "--tracking-uri", help="MLflow store (overrides MLFLOW_TRACKING_URI)"
    )
    return parser


def score(model, passengers: pd.DataFrame) -> pd.DataFrame:
    """Add the predicted class and its probability to the identifiers and features."""
    features = passengers[INPUT_FEATURES]
    kept = [ID_COLUMN] if ID_COLUMN in passengers.columns else []
    return passengers[kept + INPUT_FEATURES].assign(
        **{
            PREDICTION: model.predict(features).astype(int),
            PROBABILITY: model.predict_proba(features)[:, 1],
        }
    )


def write_parquet(scores: pd.DataFrame, uri: str) -> bool:
    """Write the scores locally or to S3; log why and return False if it cannot."""
    try:
        write_table(pa.Table.from_pandas(scores, preserve_index=False), uri)
    except StorageError as error:
        logger.error("Cannot write the scores: %s", error)
        return False
    return True


def read_passengers(uri: str) -> pd.DataFrame | None:
    """Load and validate the input without a target; log why and return None if bad."""
    try:
        return load_titanic(uri, require_target=False)
    except DataNotFoundError:
        logger.error("Input not found: %s: pass an existing file to --input", uri)
    except DataAccessError as error:
        logger.error("Input unavailable: %s", error)
    except DataValidationError as error:
        logger.error("Invalid input: %s", error)
    return None


def read_model(model_uri: str, settings: Settings):
    """Load the model through MLflow; log why and return None if it cannot."""
    # Imported once the input is known good: mlflow takes seconds to load.
    from {{ cookiecutter.module_name }}.registry import TRACKING_FAILURES, load_model

    try:
        return load_model(model_uri, settings)
    except TRACKING_FAILURES as error:
        logger.error(
            "Cannot load model %s (tracking URI %s): %s. Train one with "
            "`python main.py` or pass --model-uri",
            model_uri,
            settings.mlflow_tracking_uri,
            first_line(error),
        )
    return None


def main(argv: list[str] | None = None) -> int:
    """Load the passengers and the model, score, write; failures exit non-zero."""
    args = build_parser().parse_args(argv)
    configure_logging("INFO")
    overrides = {"mlflow_tracking_uri": args.tracking_uri} if args.tracking_uri else {}
    settings = load_settings(**overrides)
    if settings is None:
        return EXIT_INVALID_INPUT
    passengers = read_passengers(args.input)
    if passengers is None:
        return EXIT_INVALID_INPUT
    model_uri = (
        args.model_uri or f"models:/{settings.model_name}@{settings.model_alias}"
    )
    model = read_model(model_uri, settings)
    if model is None:
        return EXIT_TRACKING_FAILED
    scores = score(model, passengers)
    if not write_parquet(scores, args.output):
        return EXIT_INVALID_INPUT
    logger.info(
        "Scored %d passengers with %s: %d predicted to survive; wrote %s",
        len(scores),
        model_uri,
        int(scores[PREDICTION].sum()),
        args.output,
    )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
