"""Load the Titanic data through DuckDB and reject files the model cannot use."""

from __future__ import annotations

import duckdb
import pandas as pd

from {{ cookiecutter.module_name }}.data.schema import (
    COLUMN_NAMES,
    MAX_SHOWN_VALUES,
    DataNotFoundError,
    check_table,
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


# What to do about a missing file, said where the caller knows: training's data.
MISSING_DATA_HINT = "set DATA_URI or pass --data-uri"


def load_titanic(
    uri: str, *, require_target: bool = True, missing_hint: str = MISSING_DATA_HINT
) -> pd.DataFrame:
    """Read and validate the Titanic data so training and scoring fail early.

    Passengers to score have no `Survived` column: `require_target=False` neither
    asks for it nor checks it, and every other rule stays the same.
    """
    with duckdb.connect() as con:
        _create_table(con, uri, missing_hint)
        check_table(DuckDBTable(con), uri, require_target=require_target)
        # The known columns, in COLUMN_NAMES order, under the project's names.
        return con.table(TABLE).df().rename(columns=COLUMN_NAMES)


def _create_table(con: duckdb.DuckDBPyConnection, uri: str, missing_hint: str) -> None:
    """Copy the known columns into memory, so read errors surface here, not later."""
    try:
        with read_errors(uri), open_relation(con, uri) as relation:
            known = [column for column in COLUMN_NAMES if column in relation.columns]
            # Only these columns are read from Parquet. A file with none of them
            # is kept whole, for the checks to say what it lacks.
            kept = (
                relation.select(*map(duckdb.ColumnExpression, known))
                if known
                else relation
            )
            kept.create(TABLE)
    except DataNotFoundError as error:
        raise DataNotFoundError(f"{error}: {missing_hint}") from error


class DuckDBTable:
    """The loaded table, answering the schema checks' questions (TableFacts)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        """Read the column types once; the values are queried on demand."""
        self.con = con
        table = con.table(TABLE)
        self.column_types = dict(zip(table.columns, table.types, strict=True))

    def is_empty(self) -> bool:
        """Refuse a header-only file, on which nothing can be learnt."""
        return self.con.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchone() is None

    def has_kind(self, column: str, kind: str) -> bool:
        """Match the column's DuckDB type id against the ids the kind accepts."""
        return self.column_types[column].id in KIND_IDS[kind]

    def bad_values(self, column: str, allowed: tuple[object, ...]) -> list[object]:
        """Return a few distinct offending values of a column, for the message."""
        placeholders = ", ".join("?" for _ in allowed)
        query = (
            f'SELECT DISTINCT "{column}" FROM {TABLE} '
            f'WHERE "{column}" IS NULL OR "{column}" NOT IN ({placeholders}) '
            f"ORDER BY 1 NULLS FIRST LIMIT {MAX_SHOWN_VALUES}"
        )
        return [row[0] for row in self.con.execute(query, list(allowed)).fetchall()]
