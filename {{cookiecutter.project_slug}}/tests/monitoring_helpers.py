"""Synthetic prediction logs and reference profiles, as the app and training write."""

from pathlib import Path

import pandas as pd

from {{ cookiecutter.module_name }}.dataset import DATASET

from tests import declared
from tests.conftest import loaded, make_frame

REFERENCE_ROWS = 2_000
LOG_ROWS = 1_000
START = pd.Timestamp("2026-01-01", tz="UTC")
# Three days of traffic, so per-day figures have several days to show.
LOG_SPAN = pd.Timedelta(days=3)


def predicted_rows(n_rows: int, seed: int) -> pd.DataFrame:
    """Model inputs drawn like the test data, predicted as their true class."""
    frame = loaded(make_frame(n_rows, seed))
    return frame[DATASET.feature_names].assign(
        **{DATASET.prediction: frame[DATASET.target.name]}
    )


def one_category_rows(n_rows: int, seed: int) -> tuple[pd.DataFrame, str]:
    """Rows whose first listed category takes one value, all predicted as one class.

    Returns the rows and the drifting feature's name: a shift both the feature
    tests and the predicted classes' shares must report.
    """
    column = declared.listed()
    assert column.values
    rows = predicted_rows(n_rows, seed).assign(
        **{column.name: str(column.values[0]), DATASET.prediction: declared.CLASSES[0]}
    )
    return rows, column.name


def write_reference(path: Path, n_rows: int = REFERENCE_ROWS) -> Path:
    """Save a reference profile as training does: inputs and predictions."""
    predicted_rows(n_rows, seed=0).to_parquet(path, index=False)
    return path


def log_lines(frame: pd.DataFrame, start: pd.Timestamp = START) -> pd.DataFrame:
    """Add the log's other fields to model inputs and predictions."""
    times = pd.date_range(start, periods=len(frame), freq=LOG_SPAN / len(frame))
    predicted = frame[DATASET.prediction]
    identifier = {DATASET.identifier.name: None} if DATASET.identifier else {}
    return frame.assign(
        timestamp=times.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
        request_id=[f"req-{index}" for index in range(len(frame))],
        row=0,
        **identifier,
        **{
            column: (predicted == value) * 0.8 + 0.1
            for value, column in DATASET.probabilities.items()
        },
        model_name="{{ cookiecutter.module_name }}",
        model_version="1",
        latency_ms=1.5,
    )


def write_log(path: Path, frame: pd.DataFrame) -> Path:
    """Write one JSON object per line, nulls for missing values, as the app does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_json(path, orient="records", lines=True)
    return path
