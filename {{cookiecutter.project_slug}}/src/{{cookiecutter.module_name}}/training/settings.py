"""Settings of a training run: data, split, search, artifacts and tracking."""

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from {{ cookiecutter.module_name }}.config import MlflowSettings, blank_is_none

# The scores evaluate() computes on the test set; any of them can pick the champion.
TestMetric = Literal[
    "accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc"
]
TEST_METRICS: tuple[str, ...] = get_args(TestMetric)


def rows_needed_per_class(test_size: float, cv_folds: int) -> int:
    """The fewest rows of a class that a stratified split and its folds accept.

    The test set needs one row of each class, and each training fold one too.
    """
    return max(
        math.ceil(1 / test_size),
        math.ceil(cv_folds / (1 - test_size)) + 1,
    )


class TrainSettings(MlflowSettings):
    """Train, evaluate, save, then track, register and promote the model.

    Each option also reads its environment variable (--data-uri: DATA_URI)
    or .env; the flag wins.
    """

    data_uri: str = Field(
        default="data/raw/titanic.csv",
        description="CSV or Parquet file, or a folder of Parquet files: a local "
        "path, an https:// URL or an s3://bucket/key URI.",
    )
    model_dir: Path = Field(
        default=Path("models"),
        description="Folder receiving this run's model.joblib, metrics.json and "
        "reference.parquet, whether it becomes champion or not: the API and the "
        "drift report use the registry's champion.",
    )
    test_size: float = Field(
        default=0.2, gt=0, lt=1, description="Share of rows held out for the test."
    )
    random_state: int = Field(
        default=42, description="Seed of the split, the folds and the estimator."
    )
    cv_folds: int = Field(default=5, ge=2, description="Cross-validation folds.")
    param_grid: Annotated[dict[str, list[Any]] | None, NoDecode] = Field(
        default=None,
        description="Grid searched instead of model.py's SEARCH_SPACE: a JSON object "
        "from the estimator's parameter names to lists of values (a single value "
        "stands for a list of one).",
    )
    scoring: str = Field(
        default="f1_macro",
        description="scikit-learn scorer the grid search maximises; macro averages "
        "(f1_macro) suit two classes or more, f1 alone only classes 0 and 1.",
    )
    tracking: bool = Field(
        default=True, description="Log the run and register the model in MLflow."
    )
    mlflow_experiment_name: str = Field(
        default="{{ cookiecutter.project_slug }}",
        min_length=1,
        description="MLflow experiment receiving the training runs.",
    )
    promotion_metric: TestMetric = Field(
        default="f1_macro",
        description="Test metric a new version must beat to take the champion alias.",
    )

    @field_validator("param_grid", mode="before")
    @classmethod
    def read_grid(cls, value: Any) -> Any:
        """Read the grid from JSON text, and single values as lists of one."""
        value = blank_is_none(value)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise ValueError(f"not a JSON object: {error}") from None
        if isinstance(value, dict):
            return {
                name: values if isinstance(values, list) else [values]
                for name, values in value.items()
            }
        return value

    @field_validator("param_grid")
    @classmethod
    def check_grid(cls, grid: dict[str, list[Any]] | None) -> dict | None:
        """Refuse unknown parameter names and empty lists before a long search.

        scikit-learn's own checks name the wrong entry and the estimator's
        parameters; setting one point of the grid runs them all, and fits nothing.
        """
        if grid is not None:
            from sklearn.model_selection import ParameterGrid  # slow imports

            from {{ cookiecutter.module_name }}.model import build_estimator

            build_estimator(0).set_params(**next(iter(ParameterGrid(grid))))
        return grid

    @field_validator("scoring")
    @classmethod
    def check_scoring(cls, value: str) -> str:
        """Fail at start-up on a typo rather than deep inside the grid search."""
        from sklearn.metrics import get_scorer_names  # slow import: only when used

        if value not in get_scorer_names():
            raise ValueError(f"unknown scikit-learn scorer {value!r}")
        return value

    @property
    def search_grid(self) -> dict[str, list[Any]]:
        """The grid to search: PARAM_GRID, or the model's own search space."""
        from {{ cookiecutter.module_name }}.model import SEARCH_SPACE

        return self.param_grid or SEARCH_SPACE
