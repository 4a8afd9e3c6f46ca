"""Any supported data location as one DuckDB relation: files, folders, URLs, S3."""

import csv
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
from pyarrow import fs as pafs

from {{ cookiecutter.module_name }}.data.declaration import (
    Value,
    ValueKind,
)
from {{ cookiecutter.module_name }}.data.io_errors import (
    storage_errors,
)
from {{ cookiecutter.module_name }}.data.storage import (
    HTTP_SCHEMES,
    S3,
    Location,
    filesystem,
    list_files,
    local_copy,
    parse_uri,
    stat,
)
from {{ cookiecutter.module_name }}.errors import (
    DataValidationError,
)

logger = logging.getLogger(__name__)

CSV_SUFFIXES = frozenset({".csv"})
# The delimiters DuckDB's sniffer and Python's tell apart, and the start of a
# file Python's reads to choose.
DELIMITERS = ",;\t|"
DIALECT_SAMPLE_CHARACTERS = 64 * 1024
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
# The DuckDB type ids (DuckDBPyType.id) each kind of column accepts.
INTEGER_IDS = frozenset(
    sign + size
    for sign in ("", "u")
    for size in ("tinyint", "smallint", "integer", "bigint", "hugeint")
)
KIND_IDS: dict[ValueKind, frozenset[str]] = {
    "boolean": frozenset({"boolean"}),
    "integer": INTEGER_IDS,
    "numeric": INTEGER_IDS | {"float", "double", "decimal"},
    "text": frozenset({"varchar"}),
}
# Partition folders hold text (class=1): type the declared keys as their columns.
PARTITION_TYPES = {
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "numeric": pa.float64(),
    "text": pa.string(),
}


def connect() -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB whose progress bar stays out of the logs.

    DuckDB draws one on long queries even when nobody watches: in a job's log,
    a line of redrawn bars per query. The commands log their own progress.
    In Jupyter without ipywidgets DuckDB refuses any change to its bar: the
    notebook keeps it, for a person watching.
    """
    con = duckdb.connect()
    with suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")
    return con


@contextmanager
def read_errors(uri: str) -> Iterator[None]:
    """Report unreachable and unreadable data as one-line errors naming the URI."""
    try:
        with storage_errors(f"read {uri!r}"):
            yield
    except (duckdb.Error, pa.ArrowException) as error:
        raise DataValidationError(f"cannot read {uri!r}: {summary(error)}") from error


def read_batches(reader: pa.RecordBatchReader, uri: str) -> Iterator[pa.RecordBatch]:
    """Stream a source, so a bad row is reported as the source's, not a write's."""
    try:
        yield from reader
    # DuckDB's errors (a CSV row contradicting the sniffed types) reach an Arrow
    # reader as OSError: without this, they would pass for write failures.
    except OSError as error:
        raise DataValidationError(f"cannot read {uri!r}: {summary(error)}") from error


def quoted(name: str) -> str:
    """Quote a column name for SQL, whatever it holds: spaces, quotes, accents."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: Value) -> str:
    """Write a class or a category as an SQL literal of its own type."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def summary(error: Exception) -> str:
    """Put the first paragraph of a reader's message, where the cause is, on a line."""
    return " ".join(str(error).split("\n\n")[0].splitlines())


@contextmanager
def open_relation(
    con: duckdb.DuckDBPyConnection,
    uri: str,
    *,
    sniff_every_row: bool = True,
    key_kinds: Mapping[str, ValueKind] | None = None,
) -> Iterator[duckdb.DuckDBPyRelation]:
    """Expose any supported source as one DuckDB relation, whatever its location.

    Local files go to DuckDB's own readers; folders and Parquet on S3 go through
    an Arrow dataset, which DuckDB scans with projections and filters pushed
    down; remote CSV files (and anything behind a URL) are downloaded first.
    Wrap it in read_errors: its failures are those of the underlying libraries.

    CSV types are sniffed on every row, so that text far down a numeric column
    makes it a text column, which validation reports. That costs a full extra
    pass; `sniff_every_row=False` sniffs a sample, and a row contradicting it
    then fails the read, naming its line. `key_kinds` types a folder's
    key=value parts by column name (the declaration's kinds); other keys,
    and all of them without it, are read as text.
    """
    location = parse_uri(uri)
    if location.scheme not in HTTP_SCHEMES:
        fs = filesystem(location)
        info = stat(location, fs)
        logger.debug("Reading %s (%s)", uri, info.type.name)
        if info.type == pafs.FileType.Directory:
            yield con.from_arrow(_folder_dataset(location, fs, key_kinds or {}))
            return
        if location.scheme == S3 and _file_suffix(location) in PARQUET_SUFFIXES:
            _check_size(info.size, uri)
            yield con.from_arrow(
                ds.dataset(location.path, filesystem=fs, format="parquet")
            )
            return
    # DuckDB's own readers, by extension, for a local file or a downloaded copy.
    suffix = _file_suffix(location)
    with local_copy(location) as path:
        _check_size(path.stat().st_size, uri)
        if suffix in PARQUET_SUFFIXES:
            yield con.read_parquet(str(path))
        else:
            yield _read_csv(con, path, uri, sniff_every_row)


def _read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, uri: str, sniff_every_row: bool
) -> duckdb.DuckDBPyRelation:
    """Read a CSV file with DuckDB, naming the broken line of a malformed one.

    On a malformed file DuckDB's sniffer fails with a page-long message, reads
    each line as one column, or takes another line for the header (a quote left
    open on the last line made it the header of a file of no rows): Python's
    csv module, run only then, finds the line at fault.
    """
    sample_size = -1 if sniff_every_row else None  # None: DuckDB's default sample
    delimiter = _delimiter(path)
    try:
        relation = con.read_csv(str(path), header=True, sample_size=sample_size)
    except duckdb.Error:
        _refuse_malformed(path, uri, delimiter)
        raise
    if len(relation.columns) == 1 or relation.columns != _first_line(path, delimiter):
        _refuse_malformed(path, uri, delimiter)
    return relation


def _delimiter(path: Path) -> str:
    """The delimiter of a CSV file, as Python's csv module tells it from its start."""
    with path.open(newline="", encoding="utf-8", errors="replace") as file:
        sample = file.read(DIALECT_SAMPLE_CHARACTERS)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _first_line(path: Path, delimiter: str) -> list[str]:
    """The names the first line of a CSV file gives, split as Python's csv splits."""
    with path.open(newline="", encoding="utf-8", errors="replace") as file:
        return next(csv.reader(file, delimiter=delimiter), [])


def _refuse_malformed(path: Path, uri: str, delimiter: str) -> None:
    """Name the first line that breaks the CSV format, or text that is not UTF-8."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.reader(file, delimiter=delimiter, strict=True)
            header = next(reader, [])
            bad = next((row for row in reader if row and len(row) != len(header)), None)
    except UnicodeDecodeError:
        problem = "it is not UTF-8 text: a binary file, or another encoding?"
    except csv.Error as error:
        problem = f"line {reader.line_num} is not valid CSV ({error}): check its quotes"
    else:
        if bad is None:
            return
        problem = (
            f"line {reader.line_num} has {len(bad)} fields, the header {len(header)}"
        )
    raise DataValidationError(f"cannot read {uri!r}: {problem}")


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


def _folder_dataset(
    location: Location, fs: pafs.FileSystem, key_kinds: Mapping[str, ValueKind]
) -> ds.Dataset:
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
        partitioning=_hive_partitioning(files[0], location.path, key_kinds),
    )
    factory = ds.FileSystemDatasetFactory(fs, files, ds.ParquetFileFormat(), options)
    # As DuckDB's union_by_name: a part may lack a column or widen its type.
    return factory.finish(factory.inspect(promote_options="permissive", fragments=None))


def _hive_partitioning(
    file: str, folder: str, key_kinds: Mapping[str, ValueKind]
) -> ds.Partitioning:
    """Read key=value folders as columns, typed as declared; other keys as text."""
    parts = PurePosixPath(file).relative_to(folder).parent.parts
    keys = [part.split("=", 1)[0] for part in parts if "=" in part]
    schema = pa.schema(
        [(key, PARTITION_TYPES[key_kinds.get(key, "text")]) for key in keys]
    )
    return ds.partitioning(schema, flavor="hive")
