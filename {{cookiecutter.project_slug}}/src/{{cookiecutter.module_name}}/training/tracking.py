"""Everything MLflow: the training run, its model in the registry, and its alias."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import mlflow
import pandas as pd
import skops.io
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import PandasDataset, from_pandas
from mlflow.models import infer_signature
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.module_name }} import __version__
from {{ cookiecutter.module_name }}.config import REFERENCE_FILE
from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.features import (
    DataSplit,
)
from {{ cookiecutter.module_name }}.monitoring.reference import REFERENCE_ARTIFACT_DIR
from {{ cookiecutter.module_name }}.plots import (
    confusion_matrix_figure,
    roc_curve_figure,
)
from {{ cookiecutter.module_name }}.registry import (
    TRACKING_FAILURES,
    connect,
)
from {{ cookiecutter.module_name }}.training.promotion import (
    PROBLEM_TAG,
    Promotion,
    problem_digest,
    promote_if_better,
)
from {{ cookiecutter.module_name }}.training.search import without_prefix
from {{ cookiecutter.module_name }}.training.settings import TEST_METRICS, TrainSettings

if TYPE_CHECKING:
    from mlflow.models.model import ModelInfo
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline


logger = logging.getLogger(__name__)

# What recording a run can fail with: a server or a store out of reach, and a
# local SQLite store that cannot be written (a full disk), which MLflow leaves
# to SQLAlchemy to report.
STORE_FAILURES = (*TRACKING_FAILURES, SQLAlchemyError)
MODEL_ARTIFACT = "model"
PIP_VERSION_UNKNOWN = "Failed to resolve installed pip version"
INPUT_EXAMPLE_ROWS = 5


def log_training(
    search: GridSearchCV,
    metrics: dict,
    split: DataSplit,
    settings: TrainSettings,
) -> Promotion:
    """Record one training as a parent run, register its model, then promote it.

    The experiment must be open (open_experiment). The reference profile goes
    with the run that produced the model, so the drift baseline of any
    registered version can be found again. MLflow tags the git commit itself
    (mlflow.source.git.commit) when run from a checkout.
    """
    model = search.best_estimator_
    with (
        _known_warnings_silenced(),
        mlflow.start_run(run_name=f"train-{_point_name(search.best_params_)}") as run,
    ):
        mlflow.set_tags(
            {
                "data_uri": settings.data_uri,
                "package_version": __version__,
                PROBLEM_TAG: problem_digest(),
            }
        )
        log_grid_search(search, settings)
        test_dataset = log_datasets(split, settings.data_uri)
        log_figures(model, metrics, split)
        mlflow.log_artifact(
            str(settings.model_dir / REFERENCE_FILE),
            artifact_path=REFERENCE_ARTIFACT_DIR,
        )
        model_info = log_model_and_register(model, split.x_test, settings.model_name)
        log_scores(search, metrics, model_info, test_dataset)
        promotion = promote_if_better(
            MlflowClient(),
            model_name=settings.model_name,
            version=str(model_info.registered_model_version),
            run_id=run.info.run_id,
            metric=settings.promotion_metric,
            score=metrics[settings.promotion_metric],
        )
        mlflow.set_tags(promotion.tags())
    logger.info(
        "Logged run %s to experiment %r at %s",
        run.info.run_id,
        settings.mlflow_experiment_name,
        settings.mlflow_tracking_uri,
    )
    return promotion


def open_experiment(settings: TrainSettings) -> None:
    """Connect to the store and make the experiment the active one.

    A fresh SQLite store creates its tables here, which takes seconds: training
    calls this while the grid search runs, so that the wait overlaps the fits.
    """
    connect(settings)
    mlflow.set_experiment(settings.mlflow_experiment_name)


def log_grid_search(search: GridSearchCV, settings: TrainSettings) -> None:
    """Log the search settings and winner on the parent, each grid point as a child."""
    mlflow.log_params(
        {
            **without_prefix(search.best_params_),
            **{f"grid_{name}": values for name, values in settings.search_grid.items()},
            "cv_folds": settings.cv_folds,
            "scoring": settings.scoring,
            "test_size": settings.test_size,
            "random_state": settings.random_state,
            "promotion_metric": settings.promotion_metric,
        }
    )
    results = search.cv_results_
    for index, params in enumerate(results["params"]):
        with mlflow.start_run(run_name=_point_name(params), nested=True):
            mlflow.log_params(without_prefix(params))
            mlflow.log_metrics(
                {
                    "cv_mean": float(results["mean_test_score"][index]),
                    "cv_std": float(results["std_test_score"][index]),
                    "cv_rank": int(results["rank_test_score"][index]),
                }
            )


def log_datasets(split: DataSplit, data_uri: str) -> PandasDataset:
    """Record which rows trained and which tested the model; return the test set."""
    datasets = {}
    for context, features, target in (
        ("training", split.x_train, split.y_train),
        ("testing", split.x_test, split.y_test),
    ):
        target_name = DATASET.target.name
        frame = features.assign(**{target_name: target})
        datasets[context] = from_pandas(
            frame, source=data_uri, targets=target_name, name=context
        )
        mlflow.log_input(datasets[context], context=context)
    return datasets["testing"]


def log_figures(model: Pipeline, metrics: dict, split: DataSplit) -> None:
    """Attach the confusion matrix and ROC curve, viewable in the MLflow UI."""
    mlflow.log_figure(
        confusion_matrix_figure(metrics["confusion_matrix"]),
        "plots/confusion_matrix.png",
    )
    mlflow.log_figure(
        roc_curve_figure(model, split.x_test, split.y_test), "plots/roc_curve.png"
    )


def log_model_and_register(
    model: Pipeline, x_test: pd.DataFrame, model_name: str
) -> ModelInfo:
    """Log the pipeline with its signature and an example, as a new registry version.

    skops, safe to load and MLflow's default since 3.17, is asked for explicitly
    so that MLflow 3.9 to 3.16 (default cloudpickle) store the same format. The
    signature describes `predict`, the method the pyfunc flavour serves.
    Numbers, and integer categories that may be missing, are declared as
    doubles: the pipeline imputes them, so a missing value must pass MLflow's
    schema check, which an integer column would fail.
    """
    example = x_test.astype(dict.fromkeys(_double_inputs(), "float64"))
    return mlflow.sklearn.log_model(
        model,
        name=MODEL_ARTIFACT,
        signature=infer_signature(example, model.predict(example)),
        input_example=example.head(INPUT_EXAMPLE_ROWS),
        registered_model_name=model_name,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=skops_trusted_types(model),
        pip_requirements=model_requirements(),
    )


def _double_inputs() -> list[str]:
    """The inputs MLflow's signature must declare as doubles, missing values and all."""
    return DATASET.numeric_inputs + [
        feature.name
        for feature in DATASET.features
        if feature.kind == "integer" and feature.missing
    ]


def skops_trusted_types(model: Pipeline) -> list[str]:
    """The types skops must be told to trust to load this model, found by skops.

    skops refuses, at load, any type it does not know: a tree's structure, numpy
    dtypes, the project's own feature function. Asking skops which types this
    fitted model holds keeps its safe loading, instead of a fall back to
    pickle, for whatever estimator model.py declares.
    """
    return skops.io.get_untrusted_types(data=skops.io.dumps(model))


def model_requirements() -> list[str]:
    """Pin what loading the pipeline needs, instead of MLflow's guess.

    MLflow's guess loads the model in a subprocess (seconds) and lists whatever
    the venv holds, pytest and this unpublished package included. The package
    (for add_derived_features) must be installed wherever the model is loaded,
    exactly as for model.joblib.
    """
    return [
        *mlflow.sklearn.get_default_pip_requirements(include_skops=True),
        f"pandas=={pd.__version__}",
    ]


def log_scores(
    search: GridSearchCV,
    metrics: dict,
    model_info: ModelInfo,
    test_dataset: PandasDataset,
) -> None:
    """Log the CV and test scores on the run, and link the test ones to the model."""
    mlflow.log_metric("cv_score", float(search.best_score_))
    mlflow.log_metrics(
        {f"test_{name}": metrics[name] for name in TEST_METRICS},
        model_id=model_info.model_id,
        dataset=test_dataset,
    )


@contextmanager
def _known_warnings_silenced() -> Iterator[None]:
    """Hide three MLflow warnings that do not apply here, so real ones stand out.

    MLflow registers its local-file dataset source twice, so any local path is
    "ambiguous"; it hints that integer columns cannot hold missing values,
    which is true of integer columns declared without missing values (and of
    the target, in the datasets), but the loader rejects a missing one there;
    and it cannot pin pip in the model's conda.yaml, which nothing here uses,
    because uv builds venvs without pip.
    """
    environment = logging.getLogger("mlflow.utils.environment")
    environment.addFilter(_not_about_pip_version)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*interpreted in multiple")
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains")
            yield
    finally:
        environment.removeFilter(_not_about_pip_version)


def _not_about_pip_version(record: logging.LogRecord) -> bool:
    """Drop MLflow's warning that no pip is installed, keep every other record."""
    return not record.getMessage().startswith(PIP_VERSION_UNKNOWN)


def _point_name(params: dict) -> str:
    """Name a run after its grid point, so the runs list reads at a glance."""
    return "-".join(f"{key}={value}" for key, value in without_prefix(params).items())
