"""The model's answers: each row's class and class probabilities, as declared.

The API, batch scoring, Spark scoring and the reference profile all predict
through here: one predict_proba call, its columns put in the declaration's
class order, and a model whose classes are not the declared ones refused
before it answers anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.errors import (
    ModelMismatchError,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

CLASSES = list(DATASET.target.classes)
# Text inputs: their missing values are NaN floats, which numpy must not turn
# into the string "nan" by guessing a string type for the whole column.
TEXT_INPUTS = frozenset(
    feature.name for feature in DATASET.features if feature.kind == "text"
)


class Predictions(NamedTuple):
    """Each row's predicted class, and its probability of each declared class."""

    classes: np.ndarray
    probabilities: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The predicted class and one probability per class, under their columns."""
        probabilities = {
            column: self.probabilities[:, position]
            for position, column in enumerate(DATASET.probabilities.values())
        }
        return {DATASET.prediction: self.classes, **probabilities}


def predict(model: Pipeline, rows: pd.DataFrame) -> Predictions:
    """Score rows with one predict_proba call; the class is the most probable one.

    That is what a classifier's predict returns, without a second pass through
    the model. The columns follow the declared classes, whatever order the
    model learnt them in.
    """
    probabilities = model.predict_proba(rows)
    learnt = model.classes_.tolist()
    ordered = probabilities[:, [learnt.index(value) for value in CLASSES]]
    return Predictions(np.asarray(CLASSES).take(ordered.argmax(axis=1)), ordered)


def check_model(model: Any, source: str) -> None:
    """Refuse a model that cannot answer for the declared classes and examples.

    A model trained on other data (other classes, other columns) would answer
    with classes the declaration does not know, or fail at its first request:
    it is refused here, in one line. Scoring the examples, which miss values
    where the declaration allows it, also warms the model up.
    """
    learnt = getattr(model, "classes_", None)
    if learnt is None or not hasattr(model, "predict_proba"):
        raise ModelMismatchError(f"model {source} is not a classifier")
    # repr tells 1 from "1" and from True, which == would not.
    if sorted(map(repr, learnt.tolist())) != sorted(map(repr, CLASSES)):
        raise ModelMismatchError(
            f"model {source} predicts classes {learnt.tolist()}, but dataset.py "
            f"declares {CLASSES}: train a model on data of this declaration"
        )
    try:
        probabilities = model.predict_proba(input_frame(example_columns()))
    except (ValueError, KeyError, TypeError) as error:
        raise ModelMismatchError(
            f"model {source} cannot score dataset.py's examples: {error}"
        ) from None
    if not np.isfinite(probabilities).all():
        raise ModelMismatchError(
            f"model {source} gives non-finite probabilities for the examples"
        )


def example_columns() -> dict[str, list]:
    """The declared examples as input columns, a missing value as NaN."""
    return as_columns(DATASET.examples)


def as_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    """Lay rows out as the model's input columns, a missing value as NaN.

    NaN, not None: in a text column scikit-learn's imputers take None for a
    category, not a missing value; DuckDB hands the training data over with NaN.
    """
    return {
        name: [
            math.nan if value is None else value
            for value in (row.get(name) for row in rows)
        ]
        for name in DATASET.feature_names
    }


def input_frame(columns: Mapping[str, list]) -> pd.DataFrame:
    """Build the model's input frame from typed arrays, the cheapest way pandas offers.

    From lists, pandas would inspect every value to guess each column's type:
    numpy does it in C for the numbers, and text columns are said to be text.
    """
    return pd.DataFrame(
        {
            name: np.asarray(values, dtype=object if name in TEXT_INPUTS else None)
            for name, values in columns.items()
        },
        columns=DATASET.feature_names,
        copy=False,
    )
