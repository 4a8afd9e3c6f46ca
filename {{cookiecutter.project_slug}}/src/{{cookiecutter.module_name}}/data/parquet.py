"""Write Parquet, locally or on S3: one compressed file, or partitioned folders."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from {{ cookiecutter.module_name }}.data.io_errors import (
    storage_errors,
)
from {{ cookiecutter.module_name }}.data.sources import (
    PARQUET_SUFFIXES,
    connect,
    open_relation,
    read_batches,
    read_errors,
)
from {{ cookiecutter.module_name }}.data.storage import (
    Location,
    filesystem,
    list_files,
    open_output,
    parse_uri,
    removed_on_failure,
    require_bucket,
    stat,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    CommandError,
    DataValidationError,
)

logger = logging.getLogger(__name__)

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


def parquet_file(uri: str) -> Location:
    """Parse where a Parquet file goes, refusing a name that says another format.

    Parquet bytes in `scores.csv` would open as garbage in a spreadsheet.
    """
    target = parse_uri(uri)
    if target.suffix not in PARQUET_SUFFIXES:
        raise CommandError(
            f"cannot write {uri!r}: a Parquet file name ends in "
            f"{' or '.join(sorted(PARQUET_SUFFIXES))}"
        )
    return target


def convert(source_uri: str, target_uri: str) -> None:
    """Rewrite a CSV (or any readable data) as one zstd-compressed Parquet file."""
    target = parquet_file(target_uri)  # a wrong name fails before any reading
    with _stream(source_uri) as reader:
        batches = read_batches(reader, source_uri)
        rows = write_parquet(batches, reader.schema, target_uri)
    size = f"{stat(target, filesystem(target)).size:,}"
    logger.info("Wrote %d rows (%s bytes) to %s", rows, size, target_uri)


def partition(source_uri: str, target_uri: str, by: list[str]) -> None:
    """Split data into key=value folders, so a filter on a key skips whole files."""
    target = parse_uri(target_uri)
    fs = filesystem(target)
    require_bucket(target, fs, "write")
    if list_files(target, fs):
        raise CommandError(
            f"cannot write {target_uri!r}: it already holds files; "
            "choose a new folder or delete it first"
        )
    written: list[ds.WrittenFile] = []
    with _stream(source_uri) as reader:
        names = [find_column(reader.schema.names, name, source_uri) for name in by]
        keys = [reader.schema.field(name) for name in dict.fromkeys(names)]
        with (
            removed_on_failure(fs, [target.path]),
            storage_errors(f"write {target_uri!r}"),
        ):
            ds.write_dataset(
                read_batches(reader, source_uri),
                target.path,
                schema=reader.schema,
                filesystem=fs,
                format="parquet",
                partitioning=ds.partitioning(pa.schema(keys), flavor="hive"),
                file_options=ds.ParquetFileFormat().make_write_options(
                    compression=COMPRESSION
                ),
                basename_template=PART_NAME,
                min_rows_per_group=MIN_GROUP_ROWS,
                file_visitor=written.append,
            )
    logger.info(
        "Wrote %d rows in %d files (%s bytes) under %s, partitioned by %s",
        sum(file.metadata.num_rows for file in written),
        len(written),
        f"{sum(file.size for file in written):,}",
        target_uri,
        ", ".join(by),
    )


@contextmanager
def _stream(uri: str) -> Iterator[pa.RecordBatchReader]:
    """Read any supported source in batches, through DuckDB."""
    with (
        read_errors(uri),
        connect() as con,
        open_relation(
            con,
            uri,
            sniff_every_row=SNIFF_EVERY_ROW,
            key_kinds=DATASET.kinds_by_source,
        ) as relation,
        relation.to_arrow_reader(BATCH_ROWS) as reader,
    ):
        yield reader


def find_column(columns: list[str], name: str, uri: str) -> str:
    """Find the column --by names, ignoring case, so `region` finds `Region`."""
    for column in columns:
        if column.lower() == name.lower():
            return column
    raise DataValidationError(
        f"no column {name!r} in {uri!r}: its columns are {', '.join(columns)}"
    )


def write_table(table: pa.Table, uri: str) -> None:
    """Write one table as one Parquet file, locally or to an S3 bucket."""
    write_parquet([table], table.schema, uri)


def write_parquet(
    batches: Iterable[pa.RecordBatch | pa.Table], schema: pa.Schema, uri: str
) -> int:
    """Write one Parquet file that appears whole at the end, or not at all.

    The rows go to a hidden file beside the target, which takes the target's
    name once complete (on S3, an upload that never completes leaves nothing):
    a failure midway, a full disk or a killed process leaves whatever was
    there before, never a truncated file under the target's name. Returns the
    number of rows written.
    """
    target = parquet_file(uri)
    fs = filesystem(target)
    require_bucket(target, fs, "write")
    partial = target.sibling(f".{target.name}.{secrets.token_hex(4)}.incomplete")
    rows = 0
    with storage_errors(f"write {uri!r}"), removed_on_failure(fs, [partial.path]):
        with (
            open_output(partial, fs) as sink,
            pq.ParquetWriter(sink, schema, compression=COMPRESSION) as writer,
        ):
            for batch in batches:
                writer.write(batch)
                rows += batch.num_rows
        fs.move(partial.path, target.path)
    return rows
