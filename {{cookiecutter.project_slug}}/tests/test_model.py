"""The model file is consistent, its pipeline copes with odd values, search works."""

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.features import split_features_target
from {{ cookiecutter.module_name }}.model import SEARCH_SPACE, build_estimator
from {{ cookiecutter.module_name }}.training.search import (
    build_pipeline,
    search_best_model,
)
from {{ cookiecutter.module_name }}.training.settings import TrainSettings

from tests.conftest import TINY_GRID


def test_pipeline_fits_and_predicts(titanic_frame: pd.DataFrame) -> None:
    """Probabilities have one column per class and lie in [0, 1]."""
    features, target = split_features_target(titanic_frame)
    pipeline = build_pipeline(random_state=0).fit(features, target)
    probability = pipeline.predict_proba(features)
    assert probability.shape == (len(features), 2)
    assert ((probability >= 0) & (probability <= 1)).all()
    assert (pipeline.predict(features) == target).mean() > 0.7


def test_pipeline_learns_the_sex_effect(titanic_frame: pd.DataFrame) -> None:
    """Women survive more often in the synthetic data, and the model sees it."""
    features, target = split_features_target(titanic_frame)
    pipeline = build_pipeline(random_state=0).fit(features, target)
    probability = pipeline.predict_proba(features)[:, 1]
    is_female = (features["sex"] == "female").to_numpy()
    assert probability[is_female].mean() > probability[~is_female].mean() + 0.2


def test_pipeline_handles_missing_and_unseen_values(titanic_frame) -> None:
    """Missing age/embarked are imputed and an unknown port is ignored."""
    features, target = split_features_target(titanic_frame)
    pipeline = build_pipeline(random_state=0).fit(features, target)
    odd = pd.DataFrame(
        {
            "pclass": [1, 3],
            "sex": ["female", "male"],
            "age": [np.nan, 40.0],
            "sib_sp": [0, 1],
            "parch": [0, 0],
            "fare": [80.0, 7.25],
            "embarked": [np.nan, "X"],
        }
    )
    probability = pipeline.predict_proba(odd)
    assert probability.shape == (2, 2)
    assert not np.isnan(probability).any()


def test_pipeline_handles_nullable_integers(titanic_frame) -> None:
    """DuckDB returns integer columns with NULLs as pandas Int64 holding pd.NA."""
    frame = titanic_frame.astype({"sib_sp": "Int64", "parch": "Int64"})
    frame.loc[:9, ["sib_sp", "parch"]] = pd.NA
    features, target = split_features_target(frame)
    pipeline = build_pipeline(random_state=0).fit(features, target)
    assert not np.isnan(pipeline.predict_proba(features)).any()


def test_search_space_names_parameters_of_the_estimator() -> None:
    """An edit of model.py that misspells a parameter fails here, not in a search."""
    known = build_estimator(random_state=0).get_params()
    assert SEARCH_SPACE
    for name, values in SEARCH_SPACE.items():
        assert name in known, f"{name} is not a parameter of the estimator"
        assert isinstance(values, list) and values, f"{name} has no value to try"


def test_search_picks_from_the_grid(titanic_frame: pd.DataFrame) -> None:
    """best_params_ are drawn from the grid and the winner is refitted."""
    features, target = split_features_target(titanic_frame)
    settings = TrainSettings(
        _env_file=None, param_grid=TINY_GRID, cv_folds=2, scoring="f1", random_state=0
    )
    search = search_best_model(features, target, settings)
    for name, values in TINY_GRID.items():
        assert search.best_params_[f"classifier__{name}"] in values
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_.predict(features).shape == (len(features),)
