"""Load the Titanic data through DuckDB and reject files the model cannot use."""

from pathlib import Path

import duckdb
import pandas as pd

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

INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
NUMERIC_TYPES = INTEGER_TYPES | {"FLOAT", "DOUBLE"}

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

CSV_SUFFIXES = frozenset({".csv"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
# sample_size = -1: sniff types on every row, so text far down a numeric column
# is reported as a mistyped column instead of failing mid-read.
CSV_READER = "read_csv(?, header = true, auto_detect = true, sample_size = -1)"
TABLE = "titanic"
MAX_SHOWN_VALUES = 5


class DataValidationError(ValueError):
    """The input data cannot be used for training or scoring; the message says why."""


class DataNotFoundError(DataValidationError):
    """The configured data location does not exist."""


def load_titanic(uri: str, *, require_target: bool = True) -> pd.DataFrame:
    """Read and validate the Titanic data so training and scoring fail early.

    Passengers to score have no `Survived` column: `require_target=False` neither
    asks for it nor checks it, and every other rule stays the same.
    """
    path = _existing_path(uri)
    expected_kinds = _expected_kinds(require_target)
    with duckdb.connect() as con:
        _create_table(con, path, uri)
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


def _existing_path(uri: str) -> Path:
    """Turn the URI into a local path, failing with a hint when it is absent."""
    path = Path(uri).expanduser()
    if not path.exists():
        raise DataNotFoundError(
            f"data not found at {uri!r}: set DATA_URI or pass --data-uri"
        )
    return path


def _create_table(con: duckdb.DuckDBPyConnection, path: Path, uri: str) -> None:
    """Materialise the file in memory so read errors surface here, not later."""
    reader, source = _reader(path, uri)
    try:
        con.execute(f"CREATE TEMP TABLE {TABLE} AS SELECT * FROM {reader}", [source])
    except duckdb.Error as error:
        summary = " ".join(str(error).split("\n\n")[0].splitlines())
        raise DataValidationError(f"cannot read {uri!r}: {summary}") from error


def _reader(path: Path, uri: str) -> tuple[str, str | list[str]]:
    """Pick the DuckDB reader by extension; the path is bound, never quoted."""
    if path.is_dir():
        return "read_parquet(?, union_by_name = true)", _parquet_files(path, uri)
    if path.stat().st_size == 0:
        raise DataValidationError(f"data file {uri!r} is empty")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return CSV_READER, str(path)
    if suffix in PARQUET_SUFFIXES:
        return "read_parquet(?)", str(path)
    known = ", ".join(sorted(CSV_SUFFIXES | PARQUET_SUFFIXES))
    raise DataValidationError(
        f"unsupported file type {suffix!r} for {uri!r}: expected one of {known}"
    )


def _parquet_files(folder: Path, uri: str) -> list[str]:
    """List a folder's Parquet files explicitly so no glob pattern is interpreted."""
    files = sorted(
        str(file)
        for file in folder.iterdir()
        if file.suffix.lower() in PARQUET_SUFFIXES
    )
    if not files:
        raise DataValidationError(f"folder {uri!r} contains no .parquet or .pq file")
    return files


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
