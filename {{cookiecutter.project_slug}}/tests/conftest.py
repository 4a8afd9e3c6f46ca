"""Synthetic Titanic-shaped data, so tests need neither the network nor real files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.data import COLUMN_NAMES

N_ROWS = 200


def make_titanic_frame(n_rows: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Build Kaggle-schema rows where survival depends on sex and class."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["male", "female"], size=n_rows)
    pclass = rng.choice([1, 2, 3], size=n_rows, p=[0.25, 0.25, 0.5])
    age = rng.normal(30, 12, size=n_rows).clip(1, 80).round(1)
    age[rng.random(n_rows) < 0.1] = np.nan
    logit = -1.0 + 2.5 * (sex == "female") + 1.0 * (pclass == 1) - 1.0 * (pclass == 3)
    survived = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    embarked = rng.choice(["S", "C", "Q"], size=n_rows).astype(object)
    embarked[:2] = None
    return pd.DataFrame(
        {
            "PassengerId": np.arange(1, n_rows + 1),
            "Survived": survived,
            "Pclass": pclass,
            "Name": [f"Passenger, Mr. Number {i}" for i in range(n_rows)],
            "Sex": sex,
            "Age": age,
            "SibSp": rng.integers(0, 4, size=n_rows),
            "Parch": rng.integers(0, 3, size=n_rows),
            "Ticket": [f"T{i:05d}" for i in range(n_rows)],
            "Fare": (80 / pclass + rng.gamma(2, 5, size=n_rows)).round(2),
            "Cabin": [f"C{i}" if i % 4 == 0 else None for i in range(n_rows)],
            "Embarked": embarked,
        }
    )


@pytest.fixture
def raw_frame() -> pd.DataFrame:
    """Kaggle-named synthetic frame, to be written to files in various shapes."""
    return make_titanic_frame()


@pytest.fixture
def titanic_frame(raw_frame: pd.DataFrame) -> pd.DataFrame:
    """Synthetic frame with the snake_case names that load_titanic returns."""
    return raw_frame.rename(columns=COLUMN_NAMES)


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write a frame to a CSV under tmp_path and return its path."""

    def write(frame: pd.DataFrame, name: str = "titanic.csv") -> Path:
        """Save the frame without index, as the Kaggle file is laid out."""
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
        return path

    return write


@pytest.fixture
def titanic_csv(raw_frame: pd.DataFrame, write_csv) -> Path:
    """A valid synthetic Titanic CSV file."""
    return write_csv(raw_frame)


@pytest.fixture
def titanic_parquet(raw_frame: pd.DataFrame, tmp_path: Path) -> Path:
    """A valid synthetic Titanic Parquet file."""
    path = tmp_path / "titanic.parquet"
    raw_frame.to_parquet(path, index=False)
    return path
