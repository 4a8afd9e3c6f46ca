"""The Titanic data's schema: its columns, kinds and values, their checks, errors.

The checks ask a table the questions of TableFacts, which each query engine
answers (DuckDB in load.py, Spark where chosen): every engine refuses the same
data with the same messages.
"""

from collections.abc import Mapping
from typing import Protocol

from {{ cookiecutter.module_name }}.errors import CommandError

COLUMN_NAMES = {
    "PassengerId": "passenger_id",
    "Survived": "survived",
    "Pclass": "pclass",
    "Name": "name",
    "Sex": "sex",
    "Age": "age",
    "SibSp": "sib_sp",
    "Parch": "parch",
    "Ticket": "ticket",
    "Fare": "fare",
    "Cabin": "cabin",
    "Embarked": "embarked",
}

EXPECTED_KINDS = {
    "Survived": "integer",
    "Pclass": "integer",
    "Sex": "text",
    "Age": "numeric",
    "SibSp": "numeric",
    "Parch": "numeric",
    "Fare": "numeric",
    "Embarked": "text",
}
# Only training needs the target: scoring data is checked without it.
TARGET_COLUMN = "Survived"

ALLOWED_VALUES = {
    "Survived": (0, 1),
    "Pclass": (1, 2, 3),
    "Sex": ("female", "male"),
}


class DataValidationError(CommandError, ValueError):
    """The input data cannot be used for training or scoring; the message says why."""


class DataAccessError(DataValidationError):
    """A location cannot be reached, read or written: credentials, network, URI."""


class DataNotFoundError(DataAccessError):
    """Nothing exists at the location, or its bucket does not exist."""


# Offending values a message shows at most, per column.
MAX_SHOWN_VALUES = 5
# Why a number column is read as text, most often: a French spreadsheet's
# export writes decimal commas, which no CSV reader takes for numbers.
TEXT_IN_NUMBERS_HINT = (
    "text where numbers belong: decimal commas, 22,5 for 22.5, or words"
)


class TableFacts(Protocol):
    """What the checks ask of a table, answered by the engine that holds it."""

    @property
    def column_types(self) -> Mapping[str, object]:
        """Each column's type, as the engine names it in messages."""

    def is_empty(self) -> bool:
        """Tell whether the table has no row."""

    def has_kind(self, column: str, kind: str) -> bool:
        """Tell whether a column's type holds values of a kind of EXPECTED_KINDS."""

    def bad_values(self, column: str, allowed: tuple[object, ...]) -> list[object]:
        """Up to MAX_SHOWN_VALUES distinct values not allowed, NULL first, sorted."""


def check_table(table: TableFacts, uri: str, *, require_target: bool) -> None:
    """Refuse data the model cannot use, naming the first problem found.

    Data to score has no target: `require_target=False` neither asks for it nor
    checks it. Each check relies on those before it.
    """
    expected_kinds = {
        column: kind
        for column, kind in EXPECTED_KINDS.items()
        if require_target or column != TARGET_COLUMN
    }
    problem = (
        ("contains no rows" if table.is_empty() else None)
        or _missing_columns(table, expected_kinds)
        or _mistyped_columns(table, expected_kinds)
        or _unexpected_values(table, expected_kinds)
    )
    if problem:
        raise DataValidationError(f"data at {uri!r} {problem}")


def _missing_columns(table: TableFacts, expected_kinds: dict[str, str]) -> str | None:
    """Name every missing column at once, so one fix is enough."""
    missing = [column for column in expected_kinds if column not in table.column_types]
    return f"is missing required columns: {', '.join(missing)}" if missing else None


def _mistyped_columns(table: TableFacts, expected_kinds: dict[str, str]) -> str | None:
    """Catch text in numeric columns, which would break or silently skew the model."""
    mistyped = {
        column: kind
        for column, kind in expected_kinds.items()
        if not table.has_kind(column, kind)
    }
    if not mistyped:
        return None
    problems = "; ".join(
        f"{column} has type {table.column_types[column]}, expected {kind}"
        for column, kind in mistyped.items()
    )
    text_in_numbers = any(
        kind != "text" and table.has_kind(column, "text")
        for column, kind in mistyped.items()
    )
    hint = f" ({TEXT_IN_NUMBERS_HINT})" if text_in_numbers else ""
    return f"has mistyped columns: {problems}{hint}"


def _unexpected_values(table: TableFacts, expected_kinds: dict[str, str]) -> str | None:
    """Reject values outside the known categories, including missing ones."""
    problems = []
    for column, allowed in ALLOWED_VALUES.items():
        if column not in expected_kinds:
            continue
        bad = table.bad_values(column, allowed)
        if bad:
            shown = ", ".join("NULL" if value is None else repr(value) for value in bad)
            expected = ", ".join(repr(value) for value in allowed)
            problems.append(f"{column} has values {shown} (allowed: {expected})")
    return f"has unexpected values: {'; '.join(problems)}" if problems else None
