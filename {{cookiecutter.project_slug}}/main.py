"""Command line: train the Titanic survival model end to end, save and track it."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from {{ cookiecutter.module_name }}.cli import (
    EXIT_INVALID_INPUT,
    EXIT_OK,
    EXIT_TRACKING_FAILED,
    load_settings,
)
from {{ cookiecutter.module_name }}.config import TEST_METRICS
from {{ cookiecutter.module_name }}.logs import configure_logging

if TYPE_CHECKING:
    from {{ cookiecutter.module_name }}.training.train import TrainingResult

logger = logging.getLogger("{{ cookiecutter.module_name }}.main")


def build_parser() -> argparse.ArgumentParser:
    """Describe the flags; each one overrides an environment variable or `.env`."""
    parser = argparse.ArgumentParser(
        description="Train the Titanic survival model and save it with its metrics.",
        epilog="Flags win over environment variables, which win over a .env file.",
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument(
        "--data-uri",
        help="CSV or Parquet file, or folder of Parquet files: local path, "
        "https:// URL or s3:// URI (overrides DATA_URI)",
    )
    parser.add_argument(
        "--model-dir",
        help="folder for model.joblib and metrics.json (overrides MODEL_DIR)",
    )
    parser.add_argument(
        "--n-trees",
        type=int,
        nargs="+",
        metavar="N",
        help="forest sizes to try in the grid search (overrides N_TREES)",
    )
    parser.add_argument(
        "--max-depth",
        type=int,
        nargs="+",
        metavar="N",
        help="tree depths to try in the grid search (overrides MAX_DEPTH)",
    )
    parser.add_argument(
        "--cv-folds", type=int, help="cross-validation folds (overrides CV_FOLDS)"
    )
    parser.add_argument(
        "--test-size",
        type=float,
        help="share of rows held out for the test metrics (overrides TEST_SIZE)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        help="seed for the split, the folds and the forest (overrides RANDOM_STATE)",
    )
    parser.add_argument(
        "--log-level", help="DEBUG, INFO, WARNING or ERROR (overrides LOG_LEVEL)"
    )
    tracking = parser.add_argument_group("MLflow tracking and model registry")
    tracking.add_argument(
        "--tracking-uri",
        dest="mlflow_tracking_uri",
        help="sqlite:///mlflow.db or a server URL (overrides MLFLOW_TRACKING_URI)",
    )
    tracking.add_argument(
        "--experiment",
        dest="mlflow_experiment_name",
        help="experiment receiving the run (overrides MLFLOW_EXPERIMENT_NAME)",
    )
    tracking.add_argument(
        "--model-name", help="registered model name (overrides MODEL_NAME)"
    )
    tracking.add_argument(
        "--promotion-metric",
        help=f"test metric deciding the champion: {', '.join(TEST_METRICS)} "
        "(overrides PROMOTION_METRIC)",
    )
    tracking.add_argument(
        "--no-tracking",
        dest="tracking",
        action="store_false",
        help="train and save locally, without MLflow (overrides TRACKING)",
    )
    return parser


def log_result(result: TrainingResult) -> None:
    """Report the numbers and where the artifacts are, for the person at the shell."""
    metrics = result.metrics
    logger.info(
        "Test accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, ROC AUC %.4f",
        metrics["accuracy"],
        metrics["precision"],
        metrics["recall"],
        metrics["f1"],
        metrics["roc_auc"],
    )
    logger.info("Model saved to %s", result.model_path)
    logger.info("Metrics saved to %s", result.metrics_path)
    if result.promotion is None:
        logger.info("Tracking off: nothing logged to MLflow")
        return
    logger.info(
        "Registered %s version %s",
        result.promotion.model_name,
        result.registered_version,
    )
    logger.info("Promotion: %s", result.promotion.summary())


def main(argv: list[str] | None = None) -> int:
    """Parse flags, build settings, train, and turn known failures into exit codes."""
    overrides = vars(build_parser().parse_args(argv))
    configure_logging("INFO")
    settings = load_settings(**overrides)
    if settings is None:
        return EXIT_INVALID_INPUT
    # Imported here: scikit-learn takes seconds to load and --help needs none of it.
    from {{ cookiecutter.module_name }}.data.load import DataAccessError, DataValidationError
    from {{ cookiecutter.module_name }}.training.train import TrackingError, train

    try:
        result = train(settings)
    except DataAccessError as error:
        logger.error("Data unavailable: %s", error)
        return EXIT_INVALID_INPUT
    except DataValidationError as error:
        logger.error("Invalid data: %s", error)
        return EXIT_INVALID_INPUT
    except TrackingError as error:
        logger.error(
            "Tracking failed: %s. The trained model was kept at %s",
            error,
            error.model_path,
        )
        return EXIT_TRACKING_FAILED
    log_result(result)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
