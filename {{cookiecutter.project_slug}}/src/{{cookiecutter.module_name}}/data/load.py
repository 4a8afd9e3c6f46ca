"""Load the declared columns through DuckDB and reject data the model cannot use."""

from __future__ import annotations

import duckdb
import pandas as pd

from {{ cookiecutter.module_name }}.data.declaration import (
    ValueKind,
)
from {{ cookiecutter.module_name }}.data.schema import (
    MAX_SHOWN_VALUES,
    ValueRule,
    check_table,
)
from {{ cookiecutter.module_name }}.data.sources import (
    KIND_IDS,
    open_relation,
    quoted,
    read_errors,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataNotFoundError,
)

TABLE = "dataset"


# What to do about a missing file, said where the caller knows: training's data.
MISSING_DATA_HINT = "set DATA_URI or pass --data-uri"


def load_dataset(
    uri: str, *, require_target: bool = True, missing_hint: str = MISSING_DATA_HINT
) -> pd.DataFrame:
    """Read and validate the declared columns, so training and scoring fail early.

    Rows to score have no target column: `require_target=False` neither asks
    for it nor checks it, and every other rule stays the same.
    """
    with duckdb.connect() as con:
        _create_table(con, uri, missing_hint)
        check_table(DuckDBTable(con), uri, require_target=require_target)
        # The declared columns, in the declaration's order, under the code's names.
        frame = con.table(TABLE).df().rename(columns=DATASET.source_names)
    return as_numpy_types(frame)


def as_numpy_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn DuckDB's nullable integers and booleans into numpy columns.

    A gap there is pandas' NA, which scikit-learn's imputers cannot compare
    once categories of several types share a step: as a float column with
    NaN, it is the missing value the API's frames hold too. A column without
    gaps keeps its integer or boolean type.
    """
    types = {
        name: "float64" if frame[name].hasnans else frame[name].to_numpy().dtype
        for name, dtype in frame.dtypes.items()
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "biu"
    }
    return frame.astype(types)


def _create_table(con: duckdb.DuckDBPyConnection, uri: str, missing_hint: str) -> None:
    """Copy the known columns into memory, so read errors surface here, not later."""
    try:
        with (
            read_errors(uri),
            open_relation(con, uri, key_kinds=DATASET.kinds_by_source) as relation,
        ):
            known = [c for c in DATASET.source_names if c in relation.columns]
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

    def has_kind(self, column: str, kind: ValueKind) -> bool:
        """Match the column's DuckDB type id against the ids the kind accepts."""
        return self.column_types[column].id in KIND_IDS[kind]

    def bad_values(self, column: str, rule: ValueRule) -> list[object]:
        """Return a few distinct offending values of a column, for the message."""
        name = quoted(column)
        conditions: list[str] = []
        parameters: list[object] = []
        if not rule.missing:
            conditions.append(f"{name} IS NULL")
        if rule.allowed is not None:
            placeholders = ", ".join("?" for _ in rule.allowed)
            conditions.append(f"{name} NOT IN ({placeholders})")
            parameters.extend(rule.allowed)
        if rule.minimum is not None:
            conditions.append(f"{name} < ?")
            parameters.append(rule.minimum)
        if rule.maximum is not None:
            conditions.append(f"{name} > ?")
            parameters.append(rule.maximum)
        query = (
            f"SELECT DISTINCT {name} FROM {TABLE} WHERE {' OR '.join(conditions)} "
            f"ORDER BY 1 NULLS FIRST LIMIT {MAX_SHOWN_VALUES}"
        )
        return [row[0] for row in self.con.execute(query, parameters).fetchall()]
