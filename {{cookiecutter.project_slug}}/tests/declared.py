"""The columns of dataset.py the tests exercise, picked by role, whatever the data.

A test about a kind of column the declaration lacks (no categorical, no
column that may be missing) is skipped, saying so, rather than passing idly.
"""

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Column,
    Identifier,
    Ignored,
    Numeric,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

TARGET = DATASET.target
IDENTIFIER = DATASET.identifier
CLASSES = list(TARGET.classes)


def first(kind: type[Column], why: str, test: Callable[[Any], bool] = bool) -> Any:
    """The first declared column of a kind that passes the test, or skip the test."""
    for column in DATASET.columns:
        if isinstance(column, kind) and test(column):
            return column
    pytest.skip(f"dataset.py declares no {why}")


def numeric() -> Numeric:
    """A numeric feature."""
    return first(Numeric, "numeric feature")


def decimal() -> Numeric:
    """A numeric feature that takes decimal numbers, not only whole ones."""
    return first(Numeric, "decimal feature", lambda c: not c.integer)


def bounded() -> Numeric:
    """A numeric feature with an upper bound."""
    return first(
        Numeric, "numeric feature with a maximum", lambda c: c.maximum is not None
    )


def listed() -> Categorical:
    """A categorical feature whose values are listed."""
    return first(Categorical, "categorical feature with values", lambda c: c.values)


def optional() -> Numeric | Categorical:
    """A feature that may be missing."""
    return next(
        (feature for feature in DATASET.features if feature.missing),
        None,
    ) or pytest.skip("dataset.py declares no feature that may be missing")


def optional_category() -> Categorical:
    """A categorical feature that may be missing: values that name folders alike.

    Engines write a whole float as 47 or as 47.0 in a key=value folder name;
    categories are written as they are.
    """
    return first(
        Categorical, "categorical feature that may be missing", lambda c: c.missing
    )


def required() -> Numeric | Categorical:
    """A feature that must not be missing."""
    return next(
        (feature for feature in DATASET.features if not feature.missing),
        None,
    ) or pytest.skip("dataset.py declares no feature that must be present")


def integer_column() -> Numeric | Categorical:
    """A feature holding whole numbers: an integer number or integer category."""
    return next(
        (feature for feature in DATASET.features if feature.kind == "integer"),
        None,
    ) or pytest.skip("dataset.py declares no integer feature")


def identifier() -> Identifier:
    """The identifier column."""
    return IDENTIFIER or pytest.skip("dataset.py declares no identifier")


def not_read() -> list[str]:
    """The file's columns the model never reads: ignored ones and the identifier."""
    return [
        column.source
        for column in DATASET.columns
        if isinstance(column, Ignored | Identifier)
    ]


def refused_value(column: Numeric | Categorical) -> Any:
    """A value the column's rules refuse: unlisted, or past the upper bound."""
    if isinstance(column, Categorical):
        assert column.values, "only listed categories refuse a value"
        if column.kind == "integer":
            return max(column.values) + 1  # type: ignore[operator]
        if column.kind == "text":
            return "not-a-" + str(column.values[0])
        pytest.skip(f"{column.source} lists both booleans: none is refused")
    assert column.maximum is not None, "only a bounded number refuses a value"
    return column.maximum + 1


def example() -> dict[str, Any]:
    """The first declared example: a valid row of inputs, as the API takes it."""
    return dict(DATASET.examples[0])


def holds_kind(values: pd.Series, kind: str) -> bool:
    """Tell whether a loaded column's type holds values of a declared kind."""
    checks = {
        "boolean": pd.api.types.is_bool_dtype,
        "integer": pd.api.types.is_integer_dtype,
        "numeric": pd.api.types.is_numeric_dtype,
        "text": pd.api.types.is_string_dtype,
    }
    return bool(checks[kind](values))
