"""The model's input frame, built from validated passengers the same way everywhere."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.features import INPUT_FEATURES

from app.schemas import Passenger

Columns = dict[str, list]
# Text inputs: their missing values are NaN floats, which numpy must not turn
# into the string "nan" by guessing a string type for the whole column.
TEXT_INPUTS = frozenset({"sex", "embarked"})


def passenger_columns(passengers: Sequence[Passenger]) -> Columns:
    """Lay the passengers out as model input columns, a missing value as NaN.

    NaN, not None: in a text column scikit-learn's imputers take None for a
    category, not a missing value; DuckDB hands the training data over with NaN.
    """
    return {
        name: [
            math.nan if value is None else value
            for value in (getattr(passenger, name) for passenger in passengers)
        ]
        for name in INPUT_FEATURES
    }


def build_frame(columns: Columns) -> pd.DataFrame:
    """Build the model's input frame from typed arrays, the cheapest way pandas offers.

    From lists, pandas would inspect every value to guess each column's type:
    numpy does it in C for the numbers, and text columns are said to be text.
    """
    return pd.DataFrame(
        {
            name: np.asarray(values, dtype=object if name in TEXT_INPUTS else None)
            for name, values in columns.items()
        },
        columns=INPUT_FEATURES,
        copy=False,
    )
