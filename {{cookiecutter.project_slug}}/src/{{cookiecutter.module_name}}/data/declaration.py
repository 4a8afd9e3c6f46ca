"""The words a dataset is declared with: column kinds, the target, derived features.

dataset.py describes the project's data with these classes, once; the loaders,
the pipeline, the API, scoring, monitoring and the tests read their columns,
types, rules and examples from that description. A declaration the code cannot
use is refused as it is imported, in one line naming the column at fault.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from {{ cookiecutter.module_name }}.errors import (
    DeclarationError,
)

if TYPE_CHECKING:
    import pandas as pd

# A class or a category: what a cell of a categorical column or the target holds.
Value = bool | int | str
# The kinds of values the query engines' checks tell apart (DuckDB and Spark).
ValueKind = Literal["boolean", "integer", "numeric", "text"]
# An example row of inputs, under the code's names; None where a value is missing.
Example = Mapping[str, Value | float | None]
# Names the code uses are Python identifiers in snake_case: they become fields
# of the API's requests, keyword arguments, SQL columns and metric labels.
CODE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# The fields a prediction log line and an API answer add to the data's own.
RESERVED_NAMES = frozenset(
    {"timestamp", "request_id", "row", "latency_ms", "probabilities"}
)
# Names pydantic keeps for its own use on every model.
RESERVED_PREFIXES = ("model_", "probability_")


@dataclass(frozen=True)
class Column:
    """One column of the data file: its name there, and its name in the code."""

    source: str
    name: str
    _: KW_ONLY
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Numeric(Column):
    """A number the model reads, within bounds when they are known."""

    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    missing: bool = False

    @property
    def kind(self) -> ValueKind:
        """Whole numbers are checked as integers; the others as any number."""
        return "integer" if self.integer else "numeric"


@dataclass(frozen=True, kw_only=True)
class Categorical(Column):
    """A category the model reads: one of `values` when they are known."""

    values: tuple[Value, ...] | None = None
    labels: Mapping[Value, str] = field(default_factory=dict)
    missing: bool = False

    @property
    def kind(self) -> ValueKind:
        """The kind of the allowed values; text when none are listed."""
        return value_kind(self.values) if self.values else "text"


@dataclass(frozen=True, kw_only=True)
class Identifier(Column):
    """A row's identifier: echoed back and logged, never read by the model."""

    integer: bool = True

    @property
    def kind(self) -> ValueKind:
        """Integers or text, as declared."""
        return "integer" if self.integer else "text"


@dataclass(frozen=True)
class Ignored(Column):
    """A column of the file nobody reads, listed so that the file is described whole."""


@dataclass(frozen=True, kw_only=True)
class Target(Column):
    """The column the model learns to predict, and the classes it may take."""

    classes: tuple[Value, ...] = ()
    labels: Mapping[Value, str] = field(default_factory=dict)

    @property
    def kind(self) -> ValueKind:
        """The kind of the classes: integers, text or booleans."""
        return value_kind(self.classes)

    def label(self, value: Value) -> str:
        """The class's display name, or the class itself."""
        return self.labels.get(value, str(value))


@dataclass(frozen=True)
class Derived:
    """A feature computed from the others, inside the pipeline, wherever it runs."""

    name: str
    compute: Callable[[pd.DataFrame], pd.Series]
    _: KW_ONLY
    categorical: bool = False
    description: str = ""


Feature = Numeric | Categorical
# A column read from the data: the others are ignored.
LoadedColumn = Identifier | Target | Numeric | Categorical


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """The whole declaration: what a row is, its columns, the target, examples."""

    title: str
    row: str
    question: str
    description: str
    target: Target
    columns: tuple[Column, ...]
    derived: tuple[Derived, ...] = ()
    examples: tuple[Example, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a declaration the code cannot use, naming the column at fault."""
        check_dataset(self)

    @cached_property
    def features(self) -> tuple[Feature, ...]:
        """The model's inputs, in the order of the file."""
        return tuple(c for c in self.columns if isinstance(c, Numeric | Categorical))

    @cached_property
    def feature_names(self) -> list[str]:
        """The inputs' names in the code, as requests, logs and frames hold them."""
        return [feature.name for feature in self.features]

    @cached_property
    def numeric_inputs(self) -> list[str]:
        """The numeric inputs' names, as received."""
        return [c.name for c in self.features if isinstance(c, Numeric)]

    @cached_property
    def categorical_inputs(self) -> list[str]:
        """The categorical inputs' names, as received."""
        return [c.name for c in self.features if isinstance(c, Categorical)]

    @cached_property
    def model_numeric(self) -> list[str]:
        """What the pipeline scales: numeric inputs, then numeric derived features."""
        derived = [d.name for d in self.derived if not d.categorical]
        return self.numeric_inputs + derived

    @cached_property
    def model_categorical(self) -> list[str]:
        """What the pipeline encodes: categorical inputs, then derived ones."""
        derived = [d.name for d in self.derived if d.categorical]
        return self.categorical_inputs + derived

    @cached_property
    def identifier(self) -> Identifier | None:
        """The identifier column, if the data has one."""
        return next((c for c in self.columns if isinstance(c, Identifier)), None)

    @cached_property
    def loaded(self) -> tuple[LoadedColumn, ...]:
        """The columns read from a file: the identifier, the target, the features."""
        head = (self.identifier,) if self.identifier else ()
        return (*head, self.target, *self.features)

    @cached_property
    def source_names(self) -> dict[str, str]:
        """Each loaded column's name in the file, mapped to its name in the code."""
        return {column.source: column.name for column in self.loaded}

    @cached_property
    def prediction(self) -> str:
        """The column holding the predicted class, in scores, logs and profiles."""
        return f"{self.target.name}_pred"

    @cached_property
    def probabilities(self) -> dict[Value, str]:
        """Each class, mapped to the column holding its predicted probability."""
        return {value: f"probability_{value}" for value in self.target.classes}

    def column(self, name: str) -> LoadedColumn:
        """The loaded column with this name in the code."""
        return next(column for column in self.loaded if column.name == name)

    @cached_property
    def kinds_by_source(self) -> dict[str, ValueKind]:
        """The kind of values each loaded column holds, by its name in the file."""
        return {column.source: column.kind for column in self.loaded}


def value_kind(values: tuple[Value, ...] | None) -> ValueKind:
    """The kind shared by every value: booleans, integers or text.

    bool is tested first: Python counts True as the integer 1.
    """
    if values and all(isinstance(value, bool) for value in values):
        return "boolean"
    if values and all(
        isinstance(value, int) and not isinstance(value, bool) for value in values
    ):
        return "integer"
    return "text"


def check_dataset(dataset: Dataset) -> None:
    """Check the declaration as a whole, then each column, then the examples."""
    if not dataset.features:
        raise DeclarationError("dataset.py declares no Numeric or Categorical feature")
    identifiers = [c for c in dataset.columns if isinstance(c, Identifier)]
    if len(identifiers) > 1:
        raise DeclarationError(
            f"dataset.py declares {len(identifiers)} Identifier columns; keep one"
        )
    _check_names(dataset)
    _check_target(dataset.target)
    for column in dataset.columns:
        _check_column(column)
    if not dataset.examples:
        raise DeclarationError(
            "dataset.py declares no example: add a row of inputs, which documents "
            "the API, starts the demo form and checks every model as it loads"
        )
    for position, example in enumerate(dataset.examples):
        _check_example(dataset, example, position)


def _check_names(dataset: Dataset) -> None:
    """Every name must be usable in code, unique, and free of the log's own fields."""
    columns: list[Column] = [dataset.target, *dataset.columns]
    _refuse_duplicates([c.source for c in columns], "column of the file")
    names = [c.name for c in columns] + [d.name for d in dataset.derived]
    _refuse_duplicates(names, "name")
    for name in names:
        problem = name_problem(name)
        if problem:
            raise DeclarationError(f"dataset.py: name {name!r} {problem}")
    if dataset.prediction in names:
        raise DeclarationError(
            f"dataset.py: name {dataset.prediction!r} is where the predicted "
            f"{dataset.target.name} goes; rename that column"
        )


def _refuse_duplicates(names: list[str], what: str) -> None:
    """Name the first value declared twice."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DeclarationError(f"dataset.py declares the {what} {name!r} twice")
        seen.add(name)


def name_problem(name: str) -> str | None:
    """Why a name cannot serve in the code, or None when it can."""
    from pydantic import BaseModel  # what API models already use

    if not CODE_NAME.fullmatch(name) or keyword.iskeyword(name):
        return "must be snake_case: lowercase letters, digits and _, a letter first"
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        return "is taken by the prediction log's own fields; choose another"
    if hasattr(BaseModel, name):
        return "is a method of every API model; choose another"
    return None


def _check_target(target: Target) -> None:
    """Classification needs two classes or more, all of one kind."""
    if len(target.classes) < 2:
        raise DeclarationError(
            f"dataset.py: target {target.source!r} needs two classes or more, "
            f"got {list(target.classes)} (regression is not supported yet)"
        )
    _check_values(target.source, target.classes, target.labels)


def _check_column(column: Column) -> None:
    """Bounds in order, categories listed once and of one kind."""
    if isinstance(column, Numeric):
        low, high = column.minimum, column.maximum
        for bound in (low, high):
            if bound is not None and not math.isfinite(bound):
                raise DeclarationError(
                    f"dataset.py: {column.source!r} has a bound {bound}; "
                    "leave it None when there is none"
                )
        if low is not None and high is not None and low > high:
            raise DeclarationError(
                f"dataset.py: {column.source!r} has minimum {low} above maximum {high}"
            )
    if isinstance(column, Categorical) and column.values is not None:
        if not column.values:
            raise DeclarationError(
                f"dataset.py: {column.source!r} lists no value; "
                "use values=None to accept any text"
            )
        _check_values(column.source, column.values, column.labels)


def _check_values(
    source: str, values: tuple[Value, ...], labels: Mapping[Value, str]
) -> None:
    """Values unique and of one kind, labels only for listed values."""
    if len(set(values)) != len(values) or len({type(v) for v in values}) != 1:
        raise DeclarationError(
            f"dataset.py: {source!r} must list distinct values of one type "
            f"(all integers, all text or all booleans), got {list(values)}"
        )
    if isinstance(values[0], float):
        raise DeclarationError(
            f"dataset.py: {source!r} lists decimal numbers {list(values)}: declare "
            "it Numeric, or list whole numbers"
        )
    unknown = [value for value in labels if value not in values]
    if unknown:
        raise DeclarationError(
            f"dataset.py: {source!r} labels {unknown}, which it does not list"
        )


def _check_example(dataset: Dataset, example: Example, position: int) -> None:
    """An example is a valid request: known inputs, each allowed, none forgotten."""
    where = f"dataset.py: example {position}"
    unknown = sorted(set(example) - set(dataset.feature_names))
    if unknown:
        raise DeclarationError(f"{where} names unknown inputs {unknown}")
    for feature in dataset.features:
        value = example.get(feature.name)
        if not allows(feature, value):
            raise DeclarationError(
                f"{where} gives {feature.name}={value!r}, which "
                f"{feature.source!r} does not allow"
            )


def allows(feature: Feature, value: object) -> bool:
    """Tell whether a feature accepts a value: its kind, its bounds, missing or not."""
    if value is None:
        return feature.missing
    if isinstance(feature, Categorical):
        if feature.values is None:
            return isinstance(value, str)
        # The type too: Python finds True in (0, 1), as True == 1.
        return value in feature.values and type(value) is type(feature.values[0])
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if feature.integer and not float(value).is_integer():
        return False
    low = -math.inf if feature.minimum is None else feature.minimum
    high = math.inf if feature.maximum is None else feature.maximum
    return low <= value <= high
