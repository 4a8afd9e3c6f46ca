"""The training workflow: load, split, search, evaluate, save, then track."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import joblib
import pandas as pd
from sklearn.model_selection import GridSearchCV, train_test_split

from {{ cookiecutter.module_name }} import (
    __version__,
)
from {{ cookiecutter.module_name }}.config import (
    REFERENCE_FILE,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataAccessError,
    DataValidationError,
    SaveError,
    TrackingError,
    first_line,
)
from {{ cookiecutter.module_name }}.features import (
    DataSplit,
    split_features_target,
)
from {{ cookiecutter.module_name }}.monitoring.reference import (
    build_reference,
    save_reference,
)
from {{ cookiecutter.module_name }}.training.evaluate import (
    evaluate,
)
from {{ cookiecutter.module_name }}.training.search import (
    search_best_model,
)
from {{ cookiecutter.module_name }}.training.settings import (
    TEST_METRICS,
    TrainSettings,
    rows_needed_per_class,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from {{ cookiecutter.module_name }}.training.promotion import Promotion

logger = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
METRICS_FILE = "metrics.json"


@dataclass(frozen=True)
class TrainingResult:
    """What a training run produced, for the caller to report or test."""

    best_params: dict
    cv_score: float
    metrics: dict
    model_dir: Path
    registered_version: str | None = None
    promotion: Promotion | None = None


def train(settings: TrainSettings) -> TrainingResult:
    """Run the whole workflow once, save its artifacts, then log them to MLflow.

    With tracking on, a second thread imports MLflow and opens the experiment
    while the search runs: that wait (seconds, more on a fresh store) overlaps
    the fits, whose work happens in joblib's worker processes.
    """
    split = _load_and_split(settings)
    with ThreadPoolExecutor(max_workers=1) as background:
        experiment = (
            background.submit(_open_experiment, settings) if settings.tracking else None
        )
        search = _search(split, settings)
        metrics = evaluate(search.best_estimator_, split.x_test, split.y_test)
        result = _save_artifacts(search, metrics, split.x_train, settings)
        if experiment is None:
            return result
        promotion = _track(experiment, search, metrics, split, settings, result)
    return replace(result, registered_version=promotion.version, promotion=promotion)


def _load_and_split(settings: TrainSettings) -> DataSplit:
    """Read and check the data, then hold out the stratified test set."""
    frame = load_dataset(settings.data_uri)
    logger.info("Loaded %d rows from %s", len(frame), settings.data_uri)
    return split_train_test(frame, settings)


def _search(split: DataSplit, settings: TrainSettings) -> GridSearchCV:
    """Search the grid on the training rows, saying what is tried and what won."""
    logger.info(
        "Grid search on %d rows: %s, %d folds, scoring=%s",
        len(split.x_train),
        settings.search_grid,
        settings.cv_folds,
        settings.scoring,
    )
    try:
        search = search_best_model(split.x_train, split.y_train, settings)
    except ValueError as error:
        raise DataValidationError(
            f"the grid search failed (SCORING={settings.scoring}, "
            f"{DATASET.target.name} classes {list(DATASET.target.classes)}): "
            f"{first_line(error)}"
        ) from None
    logger.info(
        "Best params %s, CV %s %.4f",
        search.best_params_,
        settings.scoring,
        search.best_score_,
    )
    return search


def split_train_test(frame: pd.DataFrame, settings: TrainSettings) -> DataSplit:
    """Hold out a stratified test set: the same rows for the same data and seed.

    The rows are sorted first, on every column: the same data read from a CSV
    file or from partitions, which return rows in another order, then gives
    the same split, and the same model.
    """
    ordered = frame.sort_values(list(frame.columns), kind="stable", ignore_index=True)
    features, target = split_features_target(ordered)
    _check_class_sizes(target, settings)
    return DataSplit(
        *train_test_split(
            features,
            target,
            test_size=settings.test_size,
            random_state=settings.random_state,
            stratify=target,
        )
    )


def _check_class_sizes(target: pd.Series, settings: TrainSettings) -> None:
    """Fail clearly when a class is too rare to split and cross-validate."""
    needed = rows_needed_per_class(settings.test_size, settings.cv_folds)
    counts = target.value_counts().reindex(DATASET.target.classes, fill_value=0)
    if counts.min() < needed:
        raise DataValidationError(
            f"{DATASET.target.name} needs at least {needed} rows of each class for "
            f"test_size={settings.test_size} and cv_folds={settings.cv_folds}, "
            f"found {counts.to_dict()}"
        )


def _save_artifacts(
    search: GridSearchCV, metrics: dict, x_train: pd.DataFrame, settings: TrainSettings
) -> TrainingResult:
    """Write the model, a metrics report and the reference profile side by side.

    The model serves, the report is for review, the profile for drift monitoring.
    """
    result = TrainingResult(
        best_params=search.best_params_,
        cv_score=float(search.best_score_),
        metrics=metrics,
        model_dir=settings.model_dir,
    )
    report = {
        "metrics": metrics,
        "best_params": result.best_params,
        "cv_score": result.cv_score,
        "scoring": settings.scoring,
        "data_uri": settings.data_uri,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
    }
    reference = build_reference(
        search.best_estimator_, x_train, random_state=settings.random_state
    )
    try:
        _write_set(settings.model_dir, search.best_estimator_, report, reference)
    except (OSError, DataAccessError) as error:
        raise SaveError(
            f"cannot save the model in {settings.model_dir}: {first_line(error)}; "
            "the files already there were kept"
        ) from None
    return result


def _write_set(
    model_dir: Path, model: Pipeline, report: dict, reference: pd.DataFrame
) -> None:
    """Write the three files to a hidden folder, then move them in together.

    A full disk or a crash fails before anything is moved, so model_dir keeps
    its last good set whole, never a truncated model beside stale files.
    Renames within one folder need no space, and each replaces its file at once.
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".incomplete-", dir=model_dir) as folder:
        staging = Path(folder)
        joblib.dump(model, staging / MODEL_FILE)
        save_reference(reference, staging / REFERENCE_FILE)
        (staging / METRICS_FILE).write_text(
            json.dumps(report, indent=2) + "\n", encoding="utf-8"
        )
        for name in (MODEL_FILE, REFERENCE_FILE, METRICS_FILE):
            os.replace(staging / name, model_dir / name)


def _open_experiment(settings: TrainSettings) -> None:
    """Import the tracking code and open the experiment, in the background."""
    # Imported here: mlflow takes seconds to load and --no-tracking needs none of it.
    from {{ cookiecutter.module_name }}.training import tracking

    tracking.open_experiment(settings)


def _track(
    experiment: Future,
    search: GridSearchCV,
    metrics: dict,
    split: DataSplit,
    settings: TrainSettings,
    saved: TrainingResult,
) -> Promotion:
    """Log to MLflow after the local save, so a tracking failure loses no model."""
    # Once the background thread has imported them, these imports cost nothing.
    wait([experiment])
    from {{ cookiecutter.module_name }}.training import tracking

    try:
        experiment.result()
        return tracking.log_training(search, metrics, split, settings)
    except tracking.STORE_FAILURES as error:
        raise TrackingError(
            f"cannot log to MLflow at {settings.mlflow_tracking_uri}: "
            f"{first_line(error)}; the trained model was kept at "
            f"{saved.model_dir / MODEL_FILE}"
        ) from error


def log_result(result: TrainingResult) -> None:
    """Report the numbers and where the artifacts are, for the person at the shell."""
    scores = ", ".join(f"{name} {result.metrics[name]:.4f}" for name in TEST_METRICS)
    logger.info("Test %s", scores)
    logger.info(
        "This run's model, metrics and reference profile saved in %s",
        result.model_dir,
    )
    if result.promotion is None:
        logger.info("Tracking off: nothing logged to MLflow")
        return
    logger.info(
        "Registered %s version %s",
        result.promotion.model_name,
        result.registered_version,
    )
    logger.info("Promotion: %s", result.promotion.summary())
