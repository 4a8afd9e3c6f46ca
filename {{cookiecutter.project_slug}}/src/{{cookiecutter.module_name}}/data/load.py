"""Load the Titanic data through DuckDB and reject files the model cannot use."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
from pyarrow import fs as pafs

from {{ cookiecutter.module_name }}.data.storage import (
    HTTP_SCHEMES,
    S3,
    Location,
    LocationNotFoundError,
    StorageError,
    filesystem,
    list_files,
    local_copy,
    parse_uri,
    stat,
    storage_errors,
)
from {{ cookiecutter.module_name }}.errors import CommandError

logger = logging.getLogger(__name__)

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
# Partition folders hold text (pclass=1): type the known keys as their columns.
PARTITION_TYPES = {"integer": pa.int64(), "numeric": pa.float64(), "text": pa.string()}
TABLE = "titanic"
MAX_SHOWN_VALUES = 5


class DataValidationError(CommandError, ValueError):
    """The input data cannot be used for training or scoring; the message says why."""


class DataNotFoundError(DataValidationError):
    """The configured data location does not exist."""


class DataAccessError(DataValidationError):
    """The data location cannot be reached: credentials, network or URI scheme."""


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


def _create_table(
    con: duckdb.DuckDBPyConnection, uri: str, missing_hint: str
) -> None:
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


@contextmanager
def read_errors(uri: str) -> Iterator[None]:
    """Report unreachable and unreadable data as one-line errors naming the URI."""
    try:
        with storage_errors(f"read {uri!r}"):
            yield
    except LocationNotFoundError as error:
        raise DataNotFoundError(str(error)) from error
    except StorageError as error:
        raise DataAccessError(str(error)) from error
    except (duckdb.Error, pa.ArrowException) as error:
        raise DataValidationError(f"cannot read {uri!r}: {summary(error)}") from error


def summary(error: Exception) -> str:
    """Put the first paragraph of a reader's message, where the cause is, on a line."""
    return " ".join(str(error).split("\n\n")[0].splitlines())


@contextmanager
def open_relation(
    con: duckdb.DuckDBPyConnection, uri: str, *, sniff_every_row: bool = True
) -> Iterator[duckdb.DuckDBPyRelation]:
    """Expose any supported source as one DuckDB relation, whatever its location.

    Local files go to DuckDB's own readers; folders and Parquet on S3 go through
    an Arrow dataset, which DuckDB scans with projections and filters pushed
    down; remote CSV files (and anything behind a URL) are downloaded first.
    Wrap it in read_errors: its failures are those of the underlying libraries.

    CSV types are sniffed on every row, so that text far down a numeric column
    makes it a text column, which validation reports. That costs a full extra
    pass; `sniff_every_row=False` sniffs a sample, and a row contradicting it
    then fails the read, naming its line.
    """
    location = parse_uri(uri)
    if location.scheme in HTTP_SCHEMES:
        _file_suffix(location)
        with local_copy(location) as path:
            yield _local_file_relation(con, path, location, sniff_every_row)
        return
    fs = filesystem(location)
    info = stat(location, fs)
    logger.debug("Reading %s (%s)", uri, info.type.name)
    if info.type == pafs.FileType.Directory:
        yield con.from_arrow(_folder_dataset(location, fs))
        return
    if location.scheme == S3 and _file_suffix(location) in PARQUET_SUFFIXES:
        _check_size(info.size, uri)
        yield con.from_arrow(ds.dataset(location.path, filesystem=fs, format="parquet"))
        return
    with local_copy(location) as path:
        yield _local_file_relation(con, path, location, sniff_every_row)


def _local_file_relation(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    location: Location,
    sniff_every_row: bool,
) -> duckdb.DuckDBPyRelation:
    """Pick DuckDB's reader by extension, the same for a file and a download."""
    _check_size(path.stat().st_size, location.uri)
    if _file_suffix(location) in CSV_SUFFIXES:
        sample = {"sample_size": -1} if sniff_every_row else {}
        return con.read_csv(str(path), header=True, **sample)
    return con.read_parquet(str(path))


def _check_size(size: int, uri: str) -> None:
    """Refuse an empty file before a reader fails on it with a murkier message."""
    if size == 0:
        raise DataValidationError(f"data file {uri!r} is empty")


def _file_suffix(location: Location) -> str:
    """Return the file's extension, refusing formats the readers do not know."""
    suffix = location.suffix
    if suffix in CSV_SUFFIXES | PARQUET_SUFFIXES:
        return suffix
    known = ", ".join(sorted(CSV_SUFFIXES | PARQUET_SUFFIXES))
    raise DataValidationError(
        f"unsupported file type {suffix!r} for {location.uri!r}: "
        f"expected one of {known}"
    )


def _folder_dataset(location: Location, fs: pafs.FileSystem) -> ds.Dataset:
    """Read every Parquet file below a folder as one table, partition keys included.

    Files are listed explicitly by extension, so no glob pattern is interpreted
    and stray files (_SUCCESS, .crc) are skipped.
    """
    files = [
        info.path
        for info in list_files(location, fs)
        if PurePosixPath(info.path).suffix.lower() in PARQUET_SUFFIXES
    ]
    if not files:
        raise DataValidationError(
            f"folder {location.uri!r} contains no .parquet or .pq file"
        )
    options = ds.FileSystemFactoryOptions(
        partition_base_dir=location.path,
        partitioning=_hive_partitioning(files[0], location.path),
    )
    factory = ds.FileSystemDatasetFactory(fs, files, ds.ParquetFileFormat(), options)
    # As DuckDB's union_by_name: a part may lack a column or widen its type.
    return factory.finish(factory.inspect(promote_options="permissive", fragments=None))


def _hive_partitioning(file: str, folder: str) -> ds.Partitioning:
    """Read key=value folders as columns, typed as the schema expects them."""
    parts = PurePosixPath(file).relative_to(folder).parent.parts
    keys = [part.split("=", 1)[0] for part in parts if "=" in part]
    schema = pa.schema(
        [(key, PARTITION_TYPES[EXPECTED_KINDS.get(key, "text")]) for key in keys]
    )
    return ds.partitioning(schema, flavor="hive")


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

