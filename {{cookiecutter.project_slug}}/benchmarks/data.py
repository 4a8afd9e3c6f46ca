"""Benchmark CSV + pandas against Parquet + DuckDB on 10 million synthetic rows.

The course's point, measured: a columnar, compressed, typed format read by an
engine that only reads what the query needs. One synthetic table, drawn from
dataset.py by data/synthetic.py, is written as CSV, as one Parquet file and as
Parquet partitioned by the query's filter column, in a temporary folder deleted
at the end; then the same query (Query below: a filter on a category and on a
number, a group-by, a mean, the share of the first class, a count) runs on
each, every method in a fresh process so that its peak memory is its own.

Run it from the project folder with the project's venv (about 2 minutes):

    python benchmarks/data.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where used, so that each measured method pays its own imports.
    import pyarrow as pa

logger = logging.getLogger("benchmarks.data")

CSV_FILE = "data.csv"
PARQUET_FILE = "data.parquet"
PARTITIONED_FOLDER = "partitioned"
QUERY_FILE = "query.json"
SEED = 20240101
METHODS = {
    "csv-pandas": "CSV + pandas",
    "parquet-duckdb": "Parquet + DuckDB",
    "partitioned-duckdb": "Partitioned Parquet + DuckDB",
}
TARGET_SPEED_UP = 10
TARGET_SIZE_RATIO = 5
MIB = 1024 * 1024
# pyarrow's default row group: 1 Mi rows. The table is drawn a row group at a
# time, so that writing 30 million rows takes the memory of one group.
ROW_GROUP_ROWS = 1024 * 1024


@dataclass(frozen=True)
class Query:
    """The question every method answers, in the file's column names.

    The rows holding `key_value` in `key` whose `number` is above `threshold`,
    grouped by `group`: the mean of `mean`, the share of `first_class` in
    `target`, the count. Plain values, so that the measured processes read it
    as JSON without importing the project (whose imports would count in their
    memory); `sql` is DuckDB's version, reading FROM {source}.
    """

    key: str
    key_value: bool | int | str
    number: str
    threshold: float
    group: str
    mean: str
    target: str
    first_class: bool | int | str
    sql: str


def declared_query() -> Query:
    """Ask the question of dataset.py's columns, picked by role, whatever the data.

    The first listed category is the key (and the partitions' column), the
    next one (else the target) the group; the first number is filtered at the
    middle of its range, the last one averaged.
    """
    from {{ cookiecutter.module_name }}.data.declaration import (
        Categorical,
        Numeric,
    )
    from {{ cookiecutter.module_name }}.data.sources import (
        quoted,
        sql_literal,
    )
    from {{ cookiecutter.module_name }}.data.synthetic import (
        bounds,
    )
    from {{ cookiecutter.module_name }}.dataset import (
        DATASET,
    )

    target = DATASET.target
    listed = [
        (feature, feature.values[0])
        for feature in DATASET.features
        if isinstance(feature, Categorical) and feature.values
    ]
    numbers = [f for f in DATASET.features if isinstance(f, Numeric)]
    if not numbers:
        raise SystemExit("benchmarks/data.py needs a numeric feature in dataset.py")
    key, value = listed[0] if listed else (target, target.classes[0])
    group = listed[1][0] if len(listed) > 1 else target
    number, mean = numbers[0], numbers[-1]
    threshold = sum(bounds(number)) / 2
    first = target.classes[0]
    sql = (
        f"SELECT {quoted(group.source)}, avg({quoted(mean.source)}) AS mean_value, "
        f"avg(CASE WHEN {quoted(target.source)} = {sql_literal(first)} THEN 1 ELSE 0 "
        "END) AS first_share, count(*) AS row_count FROM {source} "
        f"WHERE {quoted(key.source)} = {sql_literal(value)} "
        f"AND {quoted(number.source)} > {threshold!r} GROUP BY {quoted(group.source)}"
    )
    return Query(
        key.source,
        value,
        number.source,
        threshold,
        group.source,
        mean.source,
        target.source,
        first,
        sql,
    )


def read_query(folder: Path) -> Query:
    """The question the parent process wrote for the measured ones."""
    return Query(**json.loads((folder / QUERY_FILE).read_text()))


def print_load_average() -> None:
    """Say how busy the machine was, so a reader can judge a run's noise.

    Every benchmark prints it at its start; they take it from here.
    """
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at start: {load}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Write the three copies once, measure each method, report, check agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    # Internal: what the child processes are asked to do.
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)
    if args.write:
        write_copies(args.rows, args.folder)
        return 0
    if args.measure:
        measure(args.measure, args.folder)
        return 0
    print_load_average()
    with tempfile.TemporaryDirectory(prefix="data-benchmark-") as name:
        folder = Path(name)
        # Even the data is written by a child: Linux carries a process's peak
        # memory over to the programs it starts, so this one must stay small.
        run_child(["--write", "--rows", str(args.rows)], folder)
        query = read_query(folder)
        sizes = file_sizes(folder, query)
        results = {method: run_measure(method, folder) for method in METHODS}
    report(args.rows, query, sizes, results)
    return 0 if agree(results) else 1


def run_child(arguments: list[str], folder: Path) -> None:
    """Run this script again in a fresh interpreter, on the shared folder."""
    command = [sys.executable, __file__, *arguments, "--folder", str(folder)]
    subprocess.run(command, check=True)


def write_copies(rows: int, folder: Path) -> None:
    """Draw the table a row group at a time; write it as CSV, Parquet, partitions.

    The question goes beside them, for the measured processes to read.
    """
    import pyarrow.csv as pa_csv
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    query = declared_query()
    (folder / QUERY_FILE).write_text(json.dumps(asdict(query)))
    started = time.perf_counter()
    groups = synthetic_groups(rows)
    first = next(groups)
    with (
        pa_csv.CSVWriter(folder / CSV_FILE, first.schema) as csv,
        pq.ParquetWriter(
            folder / PARQUET_FILE, first.schema, compression="zstd"
        ) as parquet,
    ):
        for group in chain([first], groups):
            csv.write_table(group)
            parquet.write_table(group)
    ds.write_dataset(
        ds.dataset(folder / PARQUET_FILE),
        folder / PARTITIONED_FOLDER,
        format="parquet",
        partitioning=[query.key],
        partitioning_flavor="hive",
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        # Full row groups, as in the single file, not one per incoming batch.
        min_rows_per_group=ROW_GROUP_ROWS,
        max_rows_per_group=ROW_GROUP_ROWS,
    )
    logger.info("Wrote %d rows in %.1fs", rows, time.perf_counter() - started)


def synthetic_groups(rows: int) -> Iterator[pa.Table]:
    """Synthetic rows of dataset.py, a row group at a time, each from its seed.

    Integer identifiers run on from one group to the next, as in one file.
    """
    import pyarrow as pa

    from {{ cookiecutter.module_name }}.data.synthetic import (
        synthetic_rows,
    )
    from {{ cookiecutter.module_name }}.dataset import (
        DATASET,
    )

    identifier = DATASET.identifier
    for start in range(0, rows, ROW_GROUP_ROWS):
        frame = synthetic_rows(min(ROW_GROUP_ROWS, rows - start), SEED + start)
        if identifier and identifier.integer:
            frame[identifier.source] += start
        yield pa.Table.from_pandas(frame, preserve_index=False)


def file_sizes(folder: Path, query: Query) -> dict[str, int]:
    """Bytes on disk of each copy, the partitioned one summed over its files."""
    partitioned = folder / PARTITIONED_FOLDER
    return {
        CSV_FILE: (folder / CSV_FILE).stat().st_size,
        PARQUET_FILE: (folder / PARQUET_FILE).stat().st_size,
        f"{PARTITIONED_FOLDER}/ ({query.key}=...)": sum(
            file.stat().st_size for file in partitioned.rglob("*.parquet")
        ),
    }


def run_measure(method: str, folder: Path) -> dict:
    """Run one method in its own process, so its peak memory is its own."""
    run_child(["--measure", method], folder)
    measured = json.loads((folder / f"{method}.json").read_text())
    logger.info(
        "%-28s %6.2fs, peak %5.0f MiB",
        METHODS[method],
        measured["seconds"],
        measured["peak_mib"],
    )
    return measured


def measure(method: str, folder: Path) -> None:
    """Time reading and querying, then record this process's peak memory."""
    # Imported before the clock starts: start-up time is not the point here.
    importlib.import_module(LIBRARIES[method])
    started = time.perf_counter()
    rows = QUERIES[method](folder, read_query(folder))
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux: the high-water mark of this process.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"seconds": seconds, "peak_mib": peak_mib, "rows": rows}
    (folder / f"{method}.json").write_text(json.dumps(result))


def _csv_pandas(folder: Path, query: Query) -> list[list]:
    """What most notebooks do: read the whole CSV, then filter and group."""
    import pandas as pd

    frame = pd.read_csv(folder / CSV_FILE)
    chosen = frame[
        (frame[query.key] == query.key_value) & (frame[query.number] > query.threshold)
    ]
    first_class = chosen[query.target] == query.first_class
    grouped = chosen.assign(first_class=first_class).groupby(query.group, dropna=False)
    result = grouped.agg(
        mean_value=(query.mean, "mean"),
        first_share=("first_class", "mean"),
        row_count=("first_class", "size"),
    )
    # tolist: Python scalars, as DuckDB returns them; a missing group is None.
    return [
        [None if pd.isna(group) else group, float(mean), float(share), int(count)]
        for group, (mean, share, count) in zip(
            result.index.tolist(), result.itertuples(index=False), strict=True
        )
    ]


def _parquet_duckdb(folder: Path, query: Query) -> list[list]:
    """DuckDB reads only the columns and row groups the query needs."""
    return _duckdb(query, "read_parquet(?)", str(folder / PARQUET_FILE))


def _partitioned_duckdb(folder: Path, query: Query) -> list[list]:
    """The key filter skips every other key's folder entirely."""
    pattern = str(folder / PARTITIONED_FOLDER / "*" / "*.parquet")
    return _duckdb(query, "read_parquet(?, hive_partitioning = true)", pattern)


def _duckdb(query: Query, source: str, path: str) -> list[list]:
    """Run the shared query on a DuckDB reader, the path bound as a parameter."""
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute(query.sql.replace("{source}", source), [path]).fetchall()
    return [list(row) for row in rows]


QUERIES = {
    "csv-pandas": _csv_pandas,
    "parquet-duckdb": _parquet_duckdb,
    "partitioned-duckdb": _partitioned_duckdb,
}
LIBRARIES = {
    "csv-pandas": "pandas",
    "parquet-duckdb": "duckdb",
    "partitioned-duckdb": "duckdb",
}


def agree(results: dict[str, dict]) -> bool:
    """Check that every method found the same groups, counts and means."""
    reference, *others = (_by_group(result["rows"]) for result in results.values())
    if all(_same(reference, other) for other in others):
        logger.info("All three methods agree on %d groups", len(reference))
        return True
    logger.error("Results differ between methods: %s", results)
    return False


def _same(reference: dict[object, list], other: dict[object, list]) -> bool:
    """Same groups and counts; means equal but for the order of summation."""
    return reference.keys() == other.keys() and all(
        other[key][2] == reference[key][2]
        and all(
            math.isclose(mine, theirs, rel_tol=1e-9)
            for mine, theirs in zip(other[key][:2], reference[key][:2], strict=True)
        )
        for key in reference
    )


def _by_group(rows: list[list]) -> dict[object, list]:
    """Index result rows by group, whatever order a method returned them in."""
    return {group: values for group, *values in rows}


def report(
    rows: int, query: Query, sizes: dict[str, int], results: dict[str, dict]
) -> None:
    """Log times, peak memory, sizes and ratios against the course's targets."""
    baseline = results["csv-pandas"]["seconds"]
    sql = query.sql.replace("{source}", "data")
    lines = [f"{rows:,} rows; the query: {sql}", ""]
    lines.append(f"{'method':<30}{'seconds':>9}{'peak MiB':>10}{'speed-up':>10}")
    for method, result in results.items():
        lines.append(
            f"{METHODS[method]:<30}{result['seconds']:>9.2f}"
            f"{result['peak_mib']:>10.0f}{baseline / result['seconds']:>9.1f}x"
        )
    csv_size = sizes[CSV_FILE]
    lines += ["", f"{'file':<30}{'MiB':>9}{'vs CSV':>10}"]
    for name, size in sizes.items():
        lines.append(f"{name:<30}{size / MIB:>9.1f}{csv_size / size:>9.1f}x")
    lines.append("")
    lines += [
        _verdict(
            METHODS[method], "faster", baseline / result["seconds"], TARGET_SPEED_UP
        )
        for method, result in results.items()
        if method != "csv-pandas"
    ]
    lines += [
        _verdict(name, "smaller", csv_size / size, TARGET_SIZE_RATIO)
        for name, size in sizes.items()
        if name != CSV_FILE
    ]
    logger.info("\n%s", "\n".join(lines))


def _verdict(subject: str, how: str, ratio: float, target: int) -> str:
    """Say whether a ratio against CSV reaches the course's target."""
    status = "met" if ratio >= target else "MISSED"
    return f"{subject}: {ratio:.1f}x {how} than CSV (target {target}x): {status}"


if __name__ == "__main__":
    raise SystemExit(main())
