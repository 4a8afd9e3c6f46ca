"""Guess a dataset declaration from a data file: kinds, classes, bounds, gaps.

The file is read through the loader's own reader (any location, CSV or
Parquet) and profiled in DuckDB, column by column; each guess comes with what
was observed, for the person who reviews the declaration it becomes.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from {{ cookiecutter.module_name }}.data.declaration import (
    CODE_NAME,
    Categorical,
    Column,
    Dataset,
    Identifier,
    Ignored,
    Numeric,
    Target,
    Value,
    ValueKind,
    name_problem,
)
from {{ cookiecutter.module_name }}.data.sources import (
    KIND_IDS,
    open_relation,
    quoted,
    read_errors,
    sql_literal,
)
from {{ cookiecutter.module_name }}.errors import (
    DataValidationError,
)

# A text column with at most this many values is a category; more is free text.
MAX_CATEGORIES = 20
# An integer column with at most this many values is a code (a class, a rating).
MAX_INTEGER_CATEGORIES = 5
# More classes than this is a number to predict, not a class.
MAX_CLASSES = 50
# Rows of the data the declaration keeps as examples: one per class, at most.
EXAMPLE_ROWS = 3


@dataclass(frozen=True)
class Profile:
    """What one column holds, as DuckDB counts it."""

    source: str
    type_name: str
    kind: ValueKind | None
    rows: int
    missing: int
    distinct: int
    minimum: Any
    maximum: Any
    values: tuple[Value, ...] | None

    @property
    def observed(self) -> str:
        """Say what was seen, for the comment above the column's declaration."""
        seen = f"{self.distinct:,} distinct {self.type_name} values"
        if self.kind in ("integer", "numeric") and self.minimum is not None:
            seen += f", {_number(self.minimum)} to {_number(self.maximum)}"
        if self.missing:
            seen += f"; missing in {self.missing:,} of {self.rows:,} rows"
        return f"Observed {seen}."


@dataclass(frozen=True)
class Guess:
    """A column's declaration and the reason for it."""

    column: Column
    reason: str


@dataclass(frozen=True)
class Inferred:
    """The declaration guessed from a file, with what backs each guess."""

    dataset: Dataset
    guesses: list[Guess]
    class_counts: dict[Value, int]
    rows: int


def infer_dataset(
    uri: str, target: str, identifier: str | None, rows_per_class: int
) -> Inferred:
    """Read the file, profile every column, and guess the whole declaration."""
    with read_errors(uri), duckdb.connect() as con, open_relation(con, uri) as data:
        columns = list(data.columns)
        for role, name in (("target", target), ("--id", identifier)):
            if name is not None and name not in columns:
                raise DataValidationError(
                    f"no column {name!r} ({role}) in {uri!r}: its columns are "
                    f"{', '.join(columns)}"
                )
        profiles = [_profile(data, column, column == target) for column in columns]
        if not profiles or profiles[0].rows == 0:
            raise DataValidationError(f"data at {uri!r} contains no rows")
        counts = _class_counts(data, target)
        by_source = {profile.source: profile for profile in profiles}
        target_column = _guess_target(by_source[target], counts, rows_per_class)
        examples = [
            _example_row(data, target, value) for value in list(counts)[:EXAMPLE_ROWS]
        ]
    names = _code_names(columns)
    guesses = [
        _guess(profile, names[profile.source], identifier)
        for profile in profiles
        if profile.source != target
    ]
    dataset = _dataset(uri, target_column, guesses, examples)
    return Inferred(dataset, guesses, counts, profiles[0].rows)


def _profile(data: duckdb.DuckDBPyRelation, column: str, is_target: bool) -> Profile:
    """Count a column's missing and distinct values, its range, its few values."""
    name = quoted(column)
    type_ = data.types[data.columns.index(column)]
    kind = _kind(type_.id)
    ranged = kind in ("integer", "numeric")
    [(rows, missing, distinct, low, high)] = data.aggregate(
        f"count(*), count(*) - count({name}), count(DISTINCT {name}), "
        + (f"min({name}), max({name})" if ranged else "NULL, NULL")
    ).fetchall()
    limit = MAX_CLASSES if is_target else MAX_CATEGORIES
    values = None
    if kind is not None and 0 < distinct <= limit:
        values = tuple(
            row[0]
            for row in data.filter(f"{name} IS NOT NULL")
            .select(name)
            .distinct()
            .order(name)
            .fetchall()
        )
    return Profile(column, str(type_), kind, rows, missing, distinct, low, high, values)


def _kind(type_id: str) -> ValueKind | None:
    """The kind a DuckDB type holds; None for types no check knows (dates, lists)."""
    for kind in ("boolean", "integer", "numeric", "text"):
        if type_id in KIND_IDS[kind]:
            return kind
    return None


def _class_counts(data: duckdb.DuckDBPyRelation, target: str) -> dict[Value, int]:
    """Rows per class of the target, missing values left out, largest class first."""
    name = quoted(target)
    rows = (
        data.filter(f"{name} IS NOT NULL")
        .aggregate(f"{name}, count(*) AS n", name)
        .order(f"n DESC, {name}")
        .limit(MAX_CLASSES + 1)
        .fetchall()
    )
    return {value: count for value, count in rows}


def _example_row(
    data: duckdb.DuckDBPyRelation, target: str, value: Value
) -> dict[str, Any]:
    """The first row of a class, under the file's names, as plain Python values."""
    (row,) = data.filter(f"{quoted(target)} = {sql_literal(value)}").limit(1).fetchall()
    return dict(zip(data.columns, row, strict=True))


def _guess_target(profile: Profile, counts: dict[Value, int], needed: int) -> Target:
    """Declare the target with its classes, or refuse one a classifier cannot learn."""
    where = f"target {profile.source!r}"
    if profile.kind not in ("boolean", "integer", "text"):
        raise DataValidationError(
            f"{where} holds {profile.type_name} values: classes must be integers, "
            "text or booleans (regression is not supported yet)"
        )
    if profile.missing:
        raise DataValidationError(
            f"{where} is missing in {profile.missing:,} rows: drop or fill them first"
        )
    if len(counts) < 2:
        raise DataValidationError(
            f"{where} is constant ({list(counts)}): there is nothing to predict"
        )
    if len(counts) > MAX_CLASSES:
        raise DataValidationError(
            f"{where} has more than {MAX_CLASSES} distinct values: too many for "
            "classes (regression is not supported yet)"
        )
    rare = {value: count for value, count in counts.items() if count < needed}
    if rare:
        raise DataValidationError(
            f"{where} has too few rows of class(es) {rare}: a stratified split "
            f"and its cross-validation need {needed} of each; merge or drop them"
        )
    return Target(
        profile.source,
        _code_name(profile.source),
        classes=tuple(sorted(counts)),
        description=profile.source,
    )


def _guess(profile: Profile, name: str, identifier: str | None) -> Guess:
    """Guess one column's kind from its type, values and gaps."""
    source, observed = profile.source, profile.observed
    if source == identifier:
        if profile.kind not in ("integer", "text"):
            raise DataValidationError(
                f"--id {source!r} holds {profile.type_name} values: an identifier "
                "holds integers or text"
            )
        column: Column = Identifier(
            source, name, integer=profile.kind == "integer", description=source
        )
        return Guess(column, f"{observed} The identifier (--id).")
    ignored = _why_ignored(profile)
    if ignored:
        return Guess(Ignored(source, name, description=source), f"{observed} {ignored}")
    missing = profile.missing > 0
    if profile.values is not None and (
        profile.kind in ("boolean", "text")
        or (profile.kind == "integer" and profile.distinct <= MAX_INTEGER_CATEGORIES)
    ):
        column = Categorical(
            source, name, values=profile.values, missing=missing, description=source
        )
        return Guess(column, f"{observed} Categorical: few values.")
    low, high = generous_bounds(profile.minimum, profile.maximum)
    integer = profile.kind == "integer"
    column = Numeric(
        source,
        name,
        minimum=int(low) if integer else low,
        maximum=int(high) if integer else high,
        integer=integer,
        missing=missing,
        description=source,
    )
    return Guess(column, f"{observed} Numeric; bounds: twice the range seen.")


def _why_ignored(profile: Profile) -> str | None:
    """Say why a column cannot be a feature, or None when it can."""
    if profile.kind is None:
        return (
            f"Ignored: no feature reads {profile.type_name} values; derive "
            "numbers from it in a Derived feature."
        )
    if profile.distinct == 0:
        return "Ignored: always missing."
    if profile.distinct == 1:
        return "Ignored: constant."
    if profile.kind == "text" and profile.values is None:
        return "Ignored: too many values for categories (free text?)."
    unique = profile.missing == 0 and profile.distinct == profile.rows
    if profile.kind == "integer" and unique and profile.rows > MAX_INTEGER_CATEGORIES:
        return "Ignored: unique on every row, an identifier? Pass it as --id."
    return None


def generous_bounds(low: Any, high: Any) -> tuple[float, float]:
    """Widen the observed range by its width on each side, in round numbers.

    A column seen from 0 upwards is taken as a quantity that cannot be
    negative: its lower bound stays 0.
    """
    low, high = float(low), float(high)
    width = (high - low) or abs(high) or 1.0
    wide_low = 0.0 if low >= 0 else _round_out(low - width, math.floor)
    return wide_low, _round_out(high + width, math.ceil)


def _round_out(value: float, direction: Any) -> float:
    """Round to two significant digits, away from the observed range."""
    if value == 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(abs(value))) - 1)
    return float(direction(value / step) * step)


def _code_names(sources: list[str]) -> dict[str, str]:
    """Give each column a distinct snake_case name the code can use."""
    names: dict[str, str] = {}
    for source in sources:
        name = _code_name(source)
        candidate, suffix = name, 2
        while candidate in names.values():
            candidate, suffix = f"{name}_{suffix}", suffix + 1
        names[source] = candidate
    return names


def _code_name(source: str) -> str:
    """OrderId to order_id, "Body Mass (g)" to body_mass_g."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", source)
    name = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_") or "column"
    if not CODE_NAME.fullmatch(name) or keyword.iskeyword(name):
        name = f"column_{name}"
    if name_problem(name):
        name = f"column_{name}"
    return name


def _number(value: Any) -> str:
    """A value as a short number: 80 rather than 80.0, Decimal as a float."""
    number = float(value) if isinstance(value, Decimal) else value
    return f"{number:g}" if isinstance(number, float) else str(number)


def _dataset(
    uri: str, target: Target, guesses: list[Guess], examples: list[dict[str, Any]]
) -> Dataset:
    """Assemble the declaration, with a title and examples taken from the file."""
    columns = tuple(guess.column for guess in guesses)
    features = [c for c in columns if isinstance(c, Numeric | Categorical)]
    if not features:
        raise DataValidationError(
            f"no column of {uri!r} can be a feature (numbers or categories): "
            "see what each holds with --help, or declare dataset.py by hand"
        )
    title = Path(uri.rstrip("/")).stem.replace("_", " ").replace("-", " ").strip()
    return Dataset(
        title=title.capitalize() or "Dataset",
        row="row",
        question=f"Which {target.name} for this row?",
        description=f"Describe a row of {title or 'the data'} and ask the model.",
        target=target,
        columns=columns,
        examples=tuple(
            {
                feature.name: _plain(example[feature.source])
                for feature in features
                if example[feature.source] is not None
            }
            for example in examples
        ),
    )


def _plain(value: Any) -> Any:
    """A DuckDB value as JSON would hold it: a Decimal becomes a float."""
    return float(value) if isinstance(value, Decimal) else value


def summary_lines(inferred: Inferred, path: Path) -> list[str]:
    """Say what was guessed, column by column, then what to review."""
    target = inferred.dataset.target
    counts = ", ".join(f"{value}: {n:,}" for value, n in inferred.class_counts.items())
    lines = [
        f"Read {inferred.rows:,} rows; target {target.source} ({target.name}), "
        f"{len(target.classes)} classes: {counts}"
    ]
    for guess in inferred.guesses:
        column = guess.column
        lines.append(
            f"{column.source} ({column.name}): {type(column).__name__}. {guess.reason}"
        )
    lines.append(
        f"Wrote {path}. Review it before training: the kinds (a number that is a "
        "code is Categorical), the bounds, which columns may be missing, the "
        "descriptions (the demo form's labels), row and question."
    )
    return lines
