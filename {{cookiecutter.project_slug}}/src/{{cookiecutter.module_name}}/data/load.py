"""Load the Titanic data through DuckDB and reject files the model cannot use."""

from __future__ import annotations

import duckdb
import pandas as pd

from {{ cookiecutter.module_name }}.data.schema import (
    ALLOWED_VALUES,
    COLUMN_NAMES,
    EXPECTED_KINDS,
    TARGET_COLUMN,
    DataNotFoundError,
    DataValidationError,
)
from {{ cookiecutter.module_name }}.data.sources import open_relation, read_errors

# The DuckDB type ids (DuckDBPyType.id) each kind of column accepts.
INTEGER_IDS = {
    sign + size
    for sign in ("", "u")
    for size in ("tinyint", "smallint", "integer", "bigint", "hugeint")
}
KIND_IDS = {
    "integer": INTEGER_IDS,
    "numeric": INTEGER_IDS | {"float", "double", "decimal"},
    "text": {"varchar"},
}

TABLE = "titanic"
MAX_SHOWN_VALUES = 5


# What to do about a missing file, said where the caller knows: training's data.
MISSING_DATA_HINT = "set DATA_URI or pass --data-uri"


def load_titanic(
    uri: str, *, require_target: bool = True, missing_hint: str = MISSING_DATA_HINT
) -> pd.DataFrame:
    """Read and validate the Titanic data so training and scoring fail early.

    Passengers to score have no `Survived` column: `require_target=False` neither
    asks for it nor checks it, and every other rule stays the same.
    """
    expected_kinds = {
        column: kind
        for column, kind in EXPECTED_KINDS.items()
        if require_target or column != TARGET_COLUMN
    }
    with duckdb.connect() as con:
        _create_table(con, uri, missing_hint)
        table = con.table(TABLE)
        column_types = dict(zip(table.columns, table.types, strict=True))
        # The first problem found: each check relies on those before it.
        problem = (
            _emptiness(con)
            or _missing_columns(column_types, expected_kinds)
            or _mistyped_columns(column_types, expected_kinds)
            or _unexpected_values(con, expected_kinds)
        )
        if problem:
            raise DataValidationError(f"data at {uri!r} {problem}")
        # The known columns, in COLUMN_NAMES order, under the project's names.
        return table.df().rename(columns=COLUMN_NAMES)


def _create_table(con: duckdb.DuckDBPyConnection, uri: str, missing_hint: str) -> None:
    """Copy the known columns into memory, so read errors surface here, not later."""
    try:
        with read_errors(uri), open_relation(con, uri) as relation:
            known = [column for column in COLUMN_NAMES if column in relation.columns]
            # Only these columns are read from Parquet. A file with none of them
            # is kept whole, for the checks below to say what it lacks.
            kept = (
                relation.select(*map(duckdb.ColumnExpression, known))
                if known
                else relation
            )
            kept.create(TABLE)
    except DataNotFoundError as error:
        raise DataNotFoundError(f"{error}: {missing_hint}") from error


def _emptiness(con: duckdb.DuckDBPyConnection) -> str | None:
    """Refuse a header-only file, on which nothing can be learnt."""
    [(count,)] = con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()
    return "contains no rows" if count == 0 else None


def _missing_columns(
    column_types: dict[str, duckdb.sqltypes.DuckDBPyType],
    expected_kinds: dict[str, str],
) -> str | None:
    """Name every missing column at once, so one fix is enough."""
    missing = [column for column in expected_kinds if column not in column_types]
    return f"is missing required columns: {', '.join(missing)}" if missing else None


def _mistyped_columns(
    column_types: dict[str, duckdb.sqltypes.DuckDBPyType],
    expected_kinds: dict[str, str],
) -> str | None:
    """Catch text in numeric columns, which would break or silently skew the model."""
    problems = [
        f"{column} has type {column_types[column]}, expected {kind}"
        for column, kind in expected_kinds.items()
        if column_types[column].id not in KIND_IDS[kind]
    ]
    return f"has mistyped columns: {'; '.join(problems)}" if problems else None


def _unexpected_values(
    con: duckdb.DuckDBPyConnection, expected_kinds: dict[str, str]
) -> str | None:
    """Reject values outside the known categories, including missing ones."""
    problems = []
    for column, allowed in ALLOWED_VALUES.items():
        if column not in expected_kinds:
            continue
        bad = _bad_values(con, column, allowed)
        if bad:
            shown = ", ".join("NULL" if value is None else repr(value) for value in bad)
            expected = ", ".join(repr(value) for value in allowed)
            problems.append(f"{column} has values {shown} (allowed: {expected})")
    return f"has unexpected values: {'; '.join(problems)}" if problems else None


def _bad_values(
    con: duckdb.DuckDBPyConnection, column: str, allowed: tuple[object, ...]
) -> list[object]:
    """Return a few distinct offending values of a column, for the error message."""
    placeholders = ", ".join("?" for _ in allowed)
    query = (
        f'SELECT DISTINCT "{column}" FROM {TABLE} '
        f'WHERE "{column}" IS NULL OR "{column}" NOT IN ({placeholders}) '
        f"ORDER BY 1 NULLS FIRST LIMIT {MAX_SHOWN_VALUES}"
    )
    return [row[0] for row in con.execute(query, list(allowed)).fetchall()]
