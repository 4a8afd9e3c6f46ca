"""Everything MLflow: the training run, its model in the registry, and its alias."""

from __future__ import annotations

import logging
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature

from {{ cookiecutter.module_name }} import __version__
from {{ cookiecutter.module_name }}.config import TEST_METRICS, Settings
from {{ cookiecutter.module_name }}.features import NUMERIC_INPUTS, TARGET, DataSplit
from {{ cookiecutter.module_name }}.monitoring.reference import REFERENCE_ARTIFACT_DIR
from {{ cookiecutter.module_name }}.plots import (
    confusion_matrix_figure,
    roc_curve_figure,
)
from {{ cookiecutter.module_name }}.registry import connect

if TYPE_CHECKING:
    from mlflow.data.pandas_dataset import PandasDataset
    from mlflow.models.model import ModelInfo
    from sklearn.model_selection import GridSearchCV


logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
MODEL_ARTIFACT = "model"
INPUT_EXAMPLE_ROWS = 5
PARAM_PREFIX = "classifier__"
PACKAGE_DIR = Path(__file__).resolve().parent
# skops refuses to load any type it does not know. The pipeline needs these three:
# the forest's trees, numpy dtypes, and our own FunctionTransformer function, a
# plain top-level function that skops stores by name. Trusting them by name keeps
# skops' safe loading instead of falling back to (cloud)pickle; a new step in
# model.py that needs another type fails loudly at log_model, naming that type.
SKOPS_TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "{{ cookiecutter.module_name }}.features.add_derived_features",
]


@dataclass(frozen=True)
class Promotion:
    """The alias a new registered version received, and the scores behind it."""

    model_name: str
    version: str
    run_id: str
    metric: str
    score: float
    champion_version: str | None
    champion_score: float | None
    alias: str

    @property
    def promoted(self) -> bool:
        """Tell whether the new version became the champion."""
        return self.alias == CHAMPION

    def summary(self) -> str:
        """Say in one line what happened and why, for the person at the shell."""
        head = f"{self.model_name} version {self.version} is {self.alias}"
        if self.champion_version is None:
            return f"{head}: test {self.metric} {self.score:.4f}, no champion before"
        previous = (
            "unknown" if self.champion_score is None else f"{self.champion_score:.4f}"
        )
        verb = "beats" if self.promoted else "does not beat"
        return (
            f"{head}: test {self.metric} {self.score:.4f} {verb} champion "
            f"version {self.champion_version} at {previous}"
        )

    def tags(self) -> dict[str, str]:
        """Record the decision on the run and the model version, for later audits."""
        tags = {
            "promotion.alias": self.alias,
            "promotion.metric": self.metric,
            "promotion.score": repr(self.score),
        }
        if self.champion_version is not None:
            tags["promotion.champion_version"] = self.champion_version
        if self.champion_score is not None:
            tags["promotion.champion_score"] = repr(self.champion_score)
        return tags


def log_training(
    search: GridSearchCV,
    metrics: dict,
    split: DataSplit,
    settings: Settings,
    reference_path: Path,
) -> Promotion:
    """Record one training as a parent run, register its model, then promote it.

    The reference profile goes with the run that produced the model, so the
    drift baseline of any registered version can be found again.
    """
    connect(settings)
    mlflow.set_experiment(settings.mlflow_experiment_name)
    model = search.best_estimator_
    with (
        _known_warnings_silenced(),
        mlflow.start_run(run_name=_run_name(search)) as run,
    ):
        mlflow.set_tags(run_tags(settings))
        log_grid_search(search, settings)
        test_dataset = log_datasets(split, settings.data_uri)
        log_figures(model, metrics, split)
        mlflow.log_artifact(str(reference_path), artifact_path=REFERENCE_ARTIFACT_DIR)
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


def run_tags(settings: Settings) -> dict[str, str]:
    """Tag the run with what it was trained from, to reproduce it later."""
    tags = {"data_uri": settings.data_uri, "package_version": __version__}
    commit = git_commit()
    if commit is not None:
        tags["git_commit"] = commit
    return tags


def git_commit(folder: Path = PACKAGE_DIR) -> str | None:
    """Return the commit of the code that trained, or None outside a git checkout."""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None


def log_grid_search(search: GridSearchCV, settings: Settings) -> None:
    """Log the search settings and winner on the parent, each grid point as a child."""
    mlflow.log_params(
        {
            **_short_names(search.best_params_),
            "grid_n_trees": settings.n_trees,
            "grid_max_depth": settings.max_depth,
            "cv_folds": settings.cv_folds,
            "scoring": settings.scoring,
            "test_size": settings.test_size,
            "random_state": settings.random_state,
            "promotion_metric": settings.promotion_metric,
        }
    )
    results = search.cv_results_
    for index, params in enumerate(results["params"]):
        short = _short_names(params)
        name = "-".join(f"{key}={value}" for key, value in short.items())
        with mlflow.start_run(run_name=name, nested=True):
            mlflow.log_params(short)
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
        frame = features.assign(**{TARGET: target})
        datasets[context] = mlflow.data.from_pandas(
            frame, source=data_uri, targets=TARGET, name=f"titanic-{context}"
        )
        mlflow.log_input(datasets[context], context=context)
    return datasets["testing"]


def log_figures(model, metrics: dict, split: DataSplit) -> None:
    """Attach the confusion matrix and ROC curve, viewable in the MLflow UI."""
    mlflow.log_figure(
        confusion_matrix_figure(metrics["confusion_matrix"]),
        "plots/confusion_matrix.png",
    )
    mlflow.log_figure(
        roc_curve_figure(model, split.x_test, split.y_test), "plots/roc_curve.png"
    )


def log_model_and_register(model, x_test: pd.DataFrame, model_name: str) -> ModelInfo:
    """Log the pipeline with its signature and an example, as a new registry version.

    skops, safe to load and MLflow's default since 3.17, is asked for explicitly
    so that MLflow 3.9 to 3.16 (default cloudpickle) store the same format; it
    needs the types in SKOPS_TRUSTED_TYPES. The signature describes `predict`,
    the method the pyfunc flavour serves.
    Numeric inputs are declared as doubles: the pipeline imputes them, so a
    missing sib_sp must pass MLflow's schema check, which an integer would fail.
    """
    example = x_test.astype({column: "float64" for column in NUMERIC_INPUTS})
    return mlflow.sklearn.log_model(
        model,
        name=MODEL_ARTIFACT,
        signature=infer_signature(example, model.predict(example)),
        input_example=example.head(INPUT_EXAMPLE_ROWS),
        registered_model_name=model_name,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
        pip_requirements=model_requirements(),
    )


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


def promote_if_better(
    client: MlflowClient,
    model_name: str,
    version: str,
    run_id: str,
    metric: str,
    score: float,
) -> Promotion:
    """Give the new version the champion alias only if it beats the champion."""
    champion_version, champion_score = champion_metric(client, model_name, metric)
    promotion = Promotion(
        model_name=model_name,
        version=version,
        run_id=run_id,
        metric=metric,
        score=score,
        champion_version=champion_version,
        champion_score=champion_score,
        alias=choose_alias(score, champion_version, champion_score),
    )
    client.set_registered_model_alias(model_name, promotion.alias, version)
    for key, value in promotion.tags().items():
        client.set_model_version_tag(model_name, version, key, value)
    logger.info(
        "Alias %r now points to %s version %s", promotion.alias, model_name, version
    )
    return promotion


def choose_alias(
    score: float, champion_version: str | None, champion_score: float | None
) -> str:
    """Promote only on a strictly better score: a tie or an unknown score keeps it."""
    if champion_version is None:
        return CHAMPION
    if champion_score is None or score <= champion_score:
        return CHALLENGER
    return CHAMPION


def champion_metric(
    client: MlflowClient, model_name: str, metric: str
) -> tuple[str | None, float | None]:
    """Read the champion's version and its test score from the run that logged it."""
    # The model exists (log_model just registered a version): read its aliases
    # rather than match the error MLflow raises for a missing alias.
    version = client.get_registered_model(model_name).aliases.get(CHAMPION)
    if version is None:
        return None, None
    champion = client.get_model_version(model_name, str(version))
    score = client.get_run(champion.run_id).data.metrics.get(f"test_{metric}")
    if score is None:
        logger.warning(
            "Champion version %s has no test_%s: it keeps the alias", version, metric
        )
    return str(version), score


@contextmanager
def _known_warnings_silenced() -> Iterator[None]:
    """Hide two MLflow warnings that do not apply here, so real ones stand out.

    MLflow registers its local-file dataset source twice, so any local path is
    "ambiguous"; and it hints that integer columns cannot hold missing values,
    which is true of pclass (and survived, in the datasets), but data.py rejects
    a missing one.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*can be interpreted in multiple")
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains")
        yield


def _run_name(search: GridSearchCV) -> str:
    """Name the parent run after its winner, so the runs list reads at a glance."""
    short = _short_names(search.best_params_)
    return "train-" + "-".join(f"{key}={value}" for key, value in short.items())


def _short_names(params: dict) -> dict:
    """Drop the pipeline step prefix: `n_estimators` reads better than the path."""
    return {key.removeprefix(PARAM_PREFIX): value for key, value in params.items()}
