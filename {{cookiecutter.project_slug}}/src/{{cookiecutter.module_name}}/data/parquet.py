"""Write Parquet, locally or on S3: one compressed file, or partitioned folders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from {{ cookiecutter.module_name }}.data.io_errors import StorageError, storage_errors
from {{ cookiecutter.module_name }}.data.schema import DataValidationError
from {{ cookiecutter.module_name }}.data.sources import (
    PARQUET_SUFFIXES,
    open_relation,
    read_errors,
    summary,
)
from {{ cookiecutter.module_name }}.data.storage import (
    filesystem,
    list_files,
    open_output,
    parse_uri,
    removed_on_failure,
    require_bucket,
    stat,
)

# zstd: files about as small as gzip's, read and written several times faster.
COMPRESSION = "zstd"
# Rows streamed from DuckDB at a time: memory stays flat on files of any size.
BATCH_ROWS = 200_000
# Rows a partition gathers before writing a row group: small groups compress and
# scan badly, and each partition buffers at most this many rows.
MIN_GROUP_ROWS = 128 * 1024
PART_NAME = "part-{i}.parquet"
# Big CSV files are what these commands are for: sniff types on a sample, as a
# pass over every row would double time and memory. A row contradicting the
# sample then fails the conversion, naming its line.
SNIFF_EVERY_ROW = False


@dataclass(frozen=True)
class WriteSummary:
    """What a write produced, for the command to report."""

    rows: int
    files: int
    bytes: int
    target: str


def convert(source_uri: str, target_uri: str) -> WriteSummary:
    """Rewrite a CSV (or any readable data) as one zstd-compressed Parquet file."""
    target = parse_uri(target_uri)
    if target.suffix not in PARQUET_SUFFIXES:
        raise StorageError(
            f"cannot write {target_uri!r}: a Parquet file name ends in "
            f"{' or '.join(sorted(PARQUET_SUFFIXES))}"
        )
    fs = filesystem(target)
    require_bucket(target, fs, "write")
    rows = 0
    with (
        read_errors(source_uri),
        duckdb.connect() as con,
        open_relation(con, source_uri, sniff_every_row=SNIFF_EVERY_ROW) as relation,
        relation.to_arrow_reader(BATCH_ROWS) as reader,
        removed_on_failure(fs, [target.path]),
        storage_errors(f"write {target_uri!r}"),
        open_output(target, fs) as sink,
        pq.ParquetWriter(sink, reader.schema, compression=COMPRESSION) as writer,
    ):
        for batch in _batches(reader, source_uri):
            writer.write_batch(batch)
            rows += batch.num_rows
    return WriteSummary(rows, 1, stat(target, fs).size, target_uri)


def partition(source_uri: str, target_uri: str, by: list[str]) -> WriteSummary:
    """Split data into key=value folders, so a filter on a key skips whole files."""
    target = parse_uri(target_uri)
    fs = filesystem(target)
    require_bucket(target, fs, "write")
    if list_files(target, fs):
        raise StorageError(
            f"cannot write {target_uri!r}: it already holds files; "
            "choose a new folder or delete it first"
        )
    written: list[ds.WrittenFile] = []
    with (
        read_errors(source_uri),
        duckdb.connect() as con,
        open_relation(con, source_uri, sniff_every_row=SNIFF_EVERY_ROW) as relation,
    ):
        keys = list(dict.fromkeys(_column(relation, name, source_uri) for name in by))
        with (
            relation.to_arrow_reader(BATCH_ROWS) as reader,
            removed_on_failure(fs, [target.path]),
            storage_errors(f"write {target_uri!r}"),
        ):
            ds.write_dataset(
                _batches(reader, source_uri),
                target.path,
                schema=reader.schema,
                filesystem=fs,
                format="parquet",
                partitioning=ds.partitioning(
                    pa.schema([reader.schema.field(key) for key in keys]),
                    flavor="hive",
                ),
                file_options=ds.ParquetFileFormat().make_write_options(
                    compression=COMPRESSION
                ),
                basename_template=PART_NAME,
                min_rows_per_group=MIN_GROUP_ROWS,
                file_visitor=written.append,
            )
    return WriteSummary(
        rows=sum(file.metadata.num_rows for file in written),
        files=len(written),
        bytes=sum(file.size for file in written),
        target=target_uri,
    )


def _batches(reader: pa.RecordBatchReader, uri: str) -> Iterator[pa.RecordBatch]:
    """Stream the source, so a bad row is reported as the source's, not a write."""
    try:
        yield from reader
    # DuckDB's errors (a CSV row contradicting the sniffed types) reach an Arrow
    # reader as OSError: without this, they would pass for write failures.
    except OSError as error:
        raise DataValidationError(f"cannot read {uri!r}: {summary(error)}") from error


def _column(relation: duckdb.DuckDBPyRelation, name: str, uri: str) -> str:
    """Find the column --by names, ignoring case, so `pclass` finds `Pclass`."""
    for column in relation.columns:
        if column.lower() == name.lower():
            return column
    raise DataValidationError(
        f"no column {name!r} in {uri!r}: its columns are "
        f"{', '.join(relation.columns)}"
    )


def write_table(table: pa.Table, uri: str) -> None:
    """Write one Parquet file, creating its local folder, or to an S3 bucket."""
    target = parse_uri(uri)
    fs = filesystem(target)
    require_bucket(target, fs, "write")
    with storage_errors(f"write {uri!r}"), open_output(target, fs) as sink:
        pq.write_table(table, sink, compression=COMPRESSION)
