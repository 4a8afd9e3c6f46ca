"""The checks the dataset declaration implies: columns, types, allowed values.

The checks ask a table the questions of TableFacts, which each query engine
answers (DuckDB in load.py, Spark where chosen): every engine refuses the same
data with the same messages.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Column,
    Identifier,
    LoadedColumn,
    Numeric,
    Target,
    Value,
    ValueKind,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataValidationError,
)

# Offending values a message shows at most, per column.
MAX_SHOWN_VALUES = 5
# Why a number column is read as text, most often: a French spreadsheet's
# export writes decimal commas, which no CSV reader takes for numbers.
TEXT_IN_NUMBERS_HINT = (
    "text where numbers belong: decimal commas, 22,5 for 22.5, or words"
)


@dataclass(frozen=True)
class ValueRule:
    """What a column's values may be: listed values, bounds, missing or not."""

    allowed: tuple[Value, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    missing: bool = True

    def describe(self) -> str:
        """Say what is allowed, for the message that shows what is not."""
        if self.allowed is not None:
            return ", ".join(repr(value) for value in self.allowed)
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{self.minimum:g} or more"
        if self.maximum is not None:
            return f"{self.maximum:g} or less"
        return "any value but a missing one"


class TableFacts(Protocol):
    """What the checks ask of a table, answered by the engine that holds it."""

    @property
    def column_types(self) -> Mapping[str, object]:
        """Each column's type, as the engine names it in messages."""

    def is_empty(self) -> bool:
        """Tell whether the table has no row."""

    def has_kind(self, column: str, kind: ValueKind) -> bool:
        """Tell whether a column's type holds values of a kind (declaration.py)."""

    def bad_values(self, column: str, rule: ValueRule) -> list[object]:
        """Up to MAX_SHOWN_VALUES distinct values the rule refuses, NULL first."""


def value_rule(column: Column) -> ValueRule | None:
    """The rule a declared column's values follow; None when anything goes."""
    rule = ValueRule()
    if isinstance(column, Target):
        rule = ValueRule(allowed=column.classes, missing=False)
    elif isinstance(column, Categorical):
        rule = ValueRule(allowed=column.values, missing=column.missing)
    elif isinstance(column, Numeric):
        rule = ValueRule(
            minimum=column.minimum, maximum=column.maximum, missing=column.missing
        )
    return None if rule == ValueRule() else rule


def checked_columns(*, require_target: bool) -> dict[str, LoadedColumn]:
    """The declared columns a table must have, by their names in the file.

    Data to score has no target: without it, it is neither asked for nor checked.
    """
    return {
        column.source: column
        for column in DATASET.loaded
        if require_target or not isinstance(column, Target)
    }


def check_table(table: TableFacts, uri: str, *, require_target: bool) -> None:
    """Refuse data the model cannot use, naming the first problem found.

    Each check relies on those before it.
    """
    columns = checked_columns(require_target=require_target)
    problem = (
        ("contains no rows" if table.is_empty() else None)
        or _missing_columns(table, columns)
        or _mistyped_columns(table, columns)
        or _unexpected_values(table, columns)
    )
    if problem:
        raise DataValidationError(f"data at {uri!r} {problem}")


def _missing_columns(table: TableFacts, columns: Mapping[str, Column]) -> str | None:
    """Name every missing column at once, so one fix is enough.

    The identifier may be absent: rows without one are scored all the same.
    """
    missing = [
        source
        for source, column in columns.items()
        if source not in table.column_types and not isinstance(column, Identifier)
    ]
    return f"is missing required columns: {', '.join(missing)}" if missing else None


def _mistyped_columns(
    table: TableFacts, columns: Mapping[str, LoadedColumn]
) -> str | None:
    """Catch text in numeric columns, which would break or silently skew the model."""
    mistyped = {
        source: column.kind
        for source, column in columns.items()
        if source in table.column_types and not table.has_kind(source, column.kind)
    }
    if not mistyped:
        return None
    problems = "; ".join(
        f"{source} has type {table.column_types[source]}, expected {kind}"
        for source, kind in mistyped.items()
    )
    text_in_numbers = any(
        kind in ("integer", "numeric") and table.has_kind(source, "text")
        for source, kind in mistyped.items()
    )
    hint = f" ({TEXT_IN_NUMBERS_HINT})" if text_in_numbers else ""
    return f"has mistyped columns: {problems}{hint}"


def _unexpected_values(table: TableFacts, columns: Mapping[str, Column]) -> str | None:
    """Refuse values outside the declared categories or bounds, and missing ones."""
    problems = []
    for source, column in columns.items():
        rule = value_rule(column)
        if rule is None:
            continue
        bad = table.bad_values(source, rule)
        if bad:
            shown = ", ".join("NULL" if value is None else repr(value) for value in bad)
            problems.append(f"{source} has values {shown} (allowed: {rule.describe()})")
    return f"has unexpected values: {'; '.join(problems)}" if problems else None
