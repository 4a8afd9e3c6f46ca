"""Synthetic rows that follow dataset.py, so tests need neither network nor files."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.config import (
    S3Settings,
)
from {{ cookiecutter.module_name }}.data.synthetic import (
    synthetic_rows,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.model import (
    SEARCH_SPACE,
)
from {{ cookiecutter.module_name }}.monitoring.settings import (
    MonitoringSettings,
)
from {{ cookiecutter.module_name }}.training.settings import (
    TrainSettings,
)
from {{ cookiecutter.module_name }}.training.train import (
    TrainingResult,
    train,
)

N_ROWS = 200
MODEL_NAME = "{{ cookiecutter.module_name }}_test"


def tiny_grid() -> dict[str, list]:
    """Two points of the model's own search space, whatever the model.

    The first value of every parameter, and the first two of the first one:
    a real search with two child runs, that takes seconds.
    """
    return {
        name: values[: 2 if position == 0 else 1]
        for position, (name, values) in enumerate(SEARCH_SPACE.items())
    }


TINY_GRID = tiny_grid()
# One point of that grid, from the command line: the cheapest real training.
FIRST_POINT = {name: values[0] for name, values in TINY_GRID.items()}
FAST_TRAINING = ["--param-grid", json.dumps(FIRST_POINT), "--cv-folds", "2"]


def make_frame(n_rows: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Rows of every declared column, under the file's names, with a target to learn."""
    return synthetic_rows(n_rows, seed)


def loaded(raw: pd.DataFrame) -> pd.DataFrame:
    """The declared columns of a file's frame under the code's names, as loaded."""
    return raw[list(DATASET.source_names)].rename(columns=DATASET.source_names)


@pytest.fixture
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty folder with no settings in the environment."""
    monkeypatch.chdir(tmp_path)
    settings = (TrainSettings, MonitoringSettings, S3Settings)
    for name in {field for model in settings for field in model.model_fields}:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def raw_frame() -> pd.DataFrame:
    """Synthetic rows under the file's names, to be written in various shapes."""
    return make_frame()


@pytest.fixture
def loaded_frame(raw_frame: pd.DataFrame) -> pd.DataFrame:
    """The same rows under the code's names, as load_dataset returns them."""
    return loaded(raw_frame)


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write a frame to a CSV under tmp_path and return its path."""

    def write(frame: pd.DataFrame, name: str = "data.csv") -> Path:
        """Save the frame without index, as a data file is laid out."""
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
        return path

    return write


@pytest.fixture
def data_csv(raw_frame: pd.DataFrame, write_csv) -> Path:
    """A valid synthetic CSV file."""
    return write_csv(raw_frame)


@pytest.fixture
def data_parquet(raw_frame: pd.DataFrame, tmp_path: Path) -> Path:
    """A valid synthetic Parquet file."""
    path = tmp_path / "data.parquet"
    raw_frame.to_parquet(path, index=False)
    return path


def make_noise_frame(n_rows: int = N_ROWS, seed: int = 1) -> pd.DataFrame:
    """Same features, but a target drawn at random: nothing to learn, low F1."""
    return synthetic_rows(n_rows, seed, learnable=False)


def tracked_settings(folder: Path, data_uri: Path) -> TrainSettings:
    """Settings for a fast tracked training into the store under `folder`."""
    values: dict[str, Any] = {
        "data_uri": str(data_uri),
        "model_dir": folder / "models",
        "mlflow_tracking_uri": f"sqlite:///{folder}/mlflow.db",
        "mlflow_experiment_name": "tests",
        "model_name": MODEL_NAME,
        "model_alias": "champion",
        "promotion_metric": "f1_macro",
        "tracking": True,
        "test_size": 0.2,
        "random_state": 0,
        "scoring": "f1_macro",
        "param_grid": TINY_GRID,
        "cv_folds": 2,
    }
    return TrainSettings(_env_file=None, **values)


@dataclass(frozen=True)
class TrainedStore:
    """A temporary MLflow store holding four versions of MODEL_NAME."""

    folder: Path
    uri: str
    model_name: str
    good_csv: Path
    results: list[TrainingResult]


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> TrainedStore:
    """Train noise, good, noise, good into one store, shared by tracking tests.

    Expected aliases: v1 champion (first), v2 champion (better), v3 challenger
    (worse), v4 challenger (same data and seed as v2: a tie keeps the champion).
    """
    folder = tmp_path_factory.mktemp("mlflow-store")
    good_csv = folder / "good.csv"
    noise_csv = folder / "noise.csv"
    make_frame().to_csv(good_csv, index=False)
    make_noise_frame().to_csv(noise_csv, index=False)
    with pytest.MonkeyPatch.context() as patch:
        # The default artifact root (./mlruns) is resolved in the working folder.
        patch.chdir(folder)
        results = [
            train(tracked_settings(folder, data))
            for data in (noise_csv, good_csv, noise_csv, good_csv)
        ]
    uri = f"sqlite:///{folder}/mlflow.db"
    return TrainedStore(folder, uri, MODEL_NAME, good_csv, results)


def save_model_with_other_classes(path: Path) -> None:
    """Save, as an MLflow model folder, a pipeline that learnt undeclared classes.

    What a model trained on another dataset looks like to this project: every
    consumer must refuse it rather than answer with classes nobody declared.
    """
    import mlflow

    from {{ cookiecutter.module_name }}.features import split_features_target
    from {{ cookiecutter.module_name }}.training.search import build_pipeline
    from {{ cookiecutter.module_name }}.training.tracking import skops_trusted_types

    features, target = split_features_target(loaded(make_frame()))
    renamed = {
        value: f"other-{index}" for index, value in enumerate(DATASET.target.classes)
    }
    model = build_pipeline(random_state=0).fit(features, target.map(renamed))
    mlflow.sklearn.save_model(
        model,
        path,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=skops_trusted_types(model),
    )


def failing_on_second_call(
    function: Callable[..., Any], error: Exception
) -> Callable[..., Any]:
    """Wrap a function to raise `error` at its second call: a failure midway."""
    calls = count()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        """Call the function, but for the second time."""
        if next(calls) == 1:
            raise error
        return function(*args, **kwargs)

    return wrapper
