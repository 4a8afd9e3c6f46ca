"""Load the Titanic data through DuckDB and reject files the model cannot use."""

import logging

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

logger = logging.getLogger(__name__)

INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
NUMERIC_TYPES = INTEGER_TYPES | {"FLOAT", "DOUBLE"}

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
    expected_kinds = _expected_kinds(require_target)
    with duckdb.connect() as con:
        _create_table(con, uri, missing_hint)
        _check_not_empty(con, uri)
        column_types = _column_types(con)
        _check_required_columns(column_types, expected_kinds, uri)
        _check_column_types(column_types, expected_kinds, uri)
        _check_allowed_values(con, expected_kinds, uri)
        return _select_renamed(con, column_types)


def _expected_kinds(require_target: bool) -> dict[str, str]:
    """Drop the target from the checked columns when the data is to be scored."""
    if require_target:
        return EXPECTED_KINDS
    return {
        column: kind
        for column, kind in EXPECTED_KINDS.items()
        if column != TARGET_COLUMN
    }


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


def _check_not_empty(con: duckdb.DuckDBPyConnection, uri: str) -> None:
    """Refuse a header-only file, on which nothing can be learnt."""
    (count,) = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    if count == 0:
        raise DataValidationError(f"data at {uri!r} contains no rows")


def _column_types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Map each column to the type DuckDB inferred, as `DESCRIBE` reports it."""
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {TABLE}").fetchall()}


def _check_required_columns(
    column_types: dict[str, str], expected_kinds: dict[str, str], uri: str
) -> None:
    """Name every missing column at once, so one fix is enough."""
    missing = [column for column in expected_kinds if column not in column_types]
    if missing:
        raise DataValidationError(
            f"data at {uri!r} is missing required columns: {', '.join(missing)}"
        )


def _check_column_types(
    column_types: dict[str, str], expected_kinds: dict[str, str], uri: str
) -> None:
    """Catch text in numeric columns, which would break or silently skew the model."""
    problems = [
        f"{column} has type {column_types[column]}, expected {kind}"
        for column, kind in expected_kinds.items()
        if not _has_kind(column_types[column], kind)
    ]
    if problems:
        raise DataValidationError(
            f"data at {uri!r} has mistyped columns: {'; '.join(problems)}"
        )


def _has_kind(duckdb_type: str, kind: str) -> bool:
    """Tell whether a DuckDB type name belongs to the expected kind of values."""
    if kind == "integer":
        return duckdb_type in INTEGER_TYPES
    if kind == "numeric":
        return duckdb_type in NUMERIC_TYPES or duckdb_type.startswith("DECIMAL")
    return duckdb_type == "VARCHAR"


def _check_allowed_values(
    con: duckdb.DuckDBPyConnection, expected_kinds: dict[str, str], uri: str
) -> None:
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
    if problems:
        raise DataValidationError(
            f"data at {uri!r} has unexpected values: {'; '.join(problems)}"
        )


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


def _select_renamed(
    con: duckdb.DuckDBPyConnection, column_types: dict[str, str]
) -> pd.DataFrame:
    """Keep the known columns under snake_case names, the project's convention."""
    selected = ", ".join(
        f'"{source}" AS {target}'
        for source, target in COLUMN_NAMES.items()
        if source in column_types
    )
    return con.execute(f"SELECT {selected} FROM {TABLE}").df()
