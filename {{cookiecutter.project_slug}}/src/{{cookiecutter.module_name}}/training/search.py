"""The pipeline to fit and the cross-validated search for its hyperparameters."""

import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from {{ cookiecutter.module_name }}.features import build_preprocessing
from {{ cookiecutter.module_name }}.model import build_estimator
from {{ cookiecutter.module_name }}.training.settings import TrainSettings

# The estimator's step in the pipeline: its parameters are searched as
# "classifier__<name>", which tracking shows without the prefix.
ESTIMATOR_STEP = "classifier"
PARAM_PREFIX = f"{ESTIMATOR_STEP}__"


def build_pipeline(random_state: int) -> Pipeline:
    """Bundle preprocessing with the estimator, so serving reuses the same steps."""
    return Pipeline(
        [
            *build_preprocessing().steps,
            (ESTIMATOR_STEP, build_estimator(random_state)),
        ]
    )


def search_best_model(
    features: pd.DataFrame, target: pd.Series, settings: TrainSettings
) -> GridSearchCV:
    """Try every point of the grid by stratified cross-validation, then refit."""
    grid = settings.search_grid
    seed = settings.random_state
    search = GridSearchCV(
        build_pipeline(seed),
        param_grid={PARAM_PREFIX + name: values for name, values in grid.items()},
        scoring=settings.scoring,
        cv=StratifiedKFold(n_splits=settings.cv_folds, shuffle=True, random_state=seed),
        n_jobs=-1,
        # A fit or a scorer that fails is an error, never a NaN score that
        # leaves the search to keep an arbitrary point (f1 on three classes).
        error_score="raise",
    )
    return search.fit(features, target)


def without_prefix(params: dict) -> dict:
    """The estimator's parameters under their own names, without the step's path."""
    return {key.removeprefix(PARAM_PREFIX): value for key, value in params.items()}
