"""The model file is consistent, its pipeline copes with odd values, search works."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.features import (
    split_features_target,
)
from {{ cookiecutter.module_name }}.model import (
    SEARCH_SPACE,
    build_estimator,
)
from {{ cookiecutter.module_name }}.prediction import (
    example_columns,
    input_frame,
    predict,
)
from {{ cookiecutter.module_name }}.training.search import (
    build_pipeline,
    search_best_model,
)
from {{ cookiecutter.module_name }}.training.settings import (
    TrainSettings,
)

from tests import declared
from tests.conftest import TINY_GRID, loaded, make_frame, make_noise_frame


@pytest.fixture(scope="module")
def fitted() -> tuple:
    """A pipeline fitted on the synthetic rows, with its inputs and target."""
    features, target = split_features_target(loaded(make_frame()))
    return build_pipeline(random_state=0).fit(features, target), features, target


def test_pipeline_fits_and_predicts(fitted) -> None:
    """Probabilities have one column per declared class and lie in [0, 1]."""
    pipeline, features, target = fitted
    probability = pipeline.predict_proba(features)
    assert probability.shape == (len(features), len(DATASET.target.classes))
    assert ((probability >= 0) & (probability <= 1)).all()
    assert (pipeline.predict(features) == target).mean() > 0.7


def test_pipeline_learns_what_noise_does_not_teach(fitted) -> None:
    """The synthetic target follows the features: held-out rows are predicted.

    On rows whose target was drawn at random, the same pipeline does no better
    than guessing the commonest class.
    """
    pipeline, _, _ = fitted
    unseen, truth = split_features_target(loaded(make_frame(400, seed=7)))
    learnt = (predict(pipeline, unseen).classes == truth.to_numpy()).mean()
    noise, noise_truth = split_features_target(loaded(make_noise_frame(400, seed=8)))
    guessed = (predict(pipeline, noise).classes == noise_truth.to_numpy()).mean()
    commonest = noise_truth.value_counts(normalize=True).max()
    assert learnt > 1 / len(DATASET.target.classes) + 0.15
    assert guessed < commonest + 0.1


def test_pipeline_handles_missing_and_unseen_values(fitted) -> None:
    """Missing values are imputed, an unknown category is ignored."""
    pipeline, _, _ = fitted
    rows = [dict(example) for example in DATASET.examples]
    optional = declared.optional()
    rows[0][optional.name] = None
    frame = input_frame(
        {
            name: [np.nan if row.get(name) is None else row[name] for row in rows]
            for name in DATASET.feature_names
        }
    )
    text = [f.name for f in DATASET.features if f.kind == "text"]
    if text:
        frame.loc[0, text[0]] = "never seen"
    probability = pipeline.predict_proba(frame)
    assert probability.shape == (len(rows), len(DATASET.target.classes))
    assert not np.isnan(probability).any()


def test_examples_score(fitted) -> None:
    """The declared examples, built as the API builds requests, get an answer."""
    pipeline, _, _ = fitted
    answer = predict(pipeline, input_frame(example_columns()))
    assert set(answer.classes) <= set(DATASET.target.classes)
    assert np.allclose(answer.probabilities.sum(axis=1), 1)


def test_pipeline_handles_integers_with_gaps(loaded_frame) -> None:
    """An integer column with gaps, as floats with NaN as the loader gives it, fits.

    pd.NA could not be compared once categories of several types share a
    step: the loader reads such a column as floats, as requests are.
    """
    column = declared.integer_column()
    frame = loaded_frame.astype({column.name: "float64"})
    frame.loc[:9, column.name] = np.nan
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


def test_search_picks_from_the_grid(loaded_frame: pd.DataFrame) -> None:
    """best_params_ are drawn from the grid and the winner is refitted."""
    features, target = split_features_target(loaded_frame)
    settings = TrainSettings(
        _env_file=None,
        param_grid=TINY_GRID,
        cv_folds=2,
        scoring="f1_macro",
        random_state=0,
    )
    search = search_best_model(features, target, settings)
    for name, values in TINY_GRID.items():
        assert search.best_params_[f"classifier__{name}"] in values
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_.predict(features).shape == (len(features),)
