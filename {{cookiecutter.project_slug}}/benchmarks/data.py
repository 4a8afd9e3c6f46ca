"""Benchmark CSV + pandas against Parquet + DuckDB on 10 million Titanic-like rows.

The course's point, measured: a columnar, compressed, typed format read by an
engine that only reads what the query needs. One synthetic table is written as
CSV, as one Parquet file and as Parquet partitioned by class, in a temporary
folder deleted at the end; then the same query (first class passengers over 30:
mean fare, survival rate and count by sex and port) runs on each, every method
in a fresh process so that its peak memory is its own.

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
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where used, so that each measured method pays its own imports.
    import numpy as np
    import pyarrow as pa

logger = logging.getLogger("benchmarks.data")

CSV_FILE = "titanic.csv"
PARQUET_FILE = "titanic.parquet"
PARTITIONED_FOLDER = "titanic"
SEED = 20240101
# The same question for every method: a filter on the partition column and
# another column, then a group-by.
QUERY = """
SELECT Sex, Embarked, avg(Fare) AS mean_fare, avg(Survived) AS survival_rate,
       count(*) AS passengers
FROM {source}
WHERE Pclass = 1 AND Age > 30
GROUP BY Sex, Embarked
"""
METHODS = {
    "csv-pandas": "CSV + pandas",
    "parquet-duckdb": "Parquet + DuckDB",
    "partitioned-duckdb": "Partitioned Parquet + DuckDB",
}
TARGET_SPEED_UP = 10
TARGET_SIZE_RATIO = 5
MIB = 1024 * 1024
# pyarrow's default row group: 1 Mi rows.
ROW_GROUP_ROWS = 1024 * 1024

# Distributions of the Kaggle training set (891 passengers), by class where the
# class matters: class shares, share of women, age, cabin known, survival.
CLASS_SHARES = [0.242, 0.207, 0.551]
FEMALE_SHARE = {1: 0.435, 2: 0.413, 3: 0.293}
AGE_MEAN = {1: 38.0, 2: 30.0, 3: 25.0}
AGE_STD = {1: 14.0, 2: 14.0, 3: 12.0}
MEDIAN_FARE = {1: 60.0, 2: 14.25, 3: 8.05}
CABIN_SHARE = {1: 0.815, 2: 0.087, 3: 0.024}
CABIN_DECKS = {1: "ABCDE", 2: "DEF", 3: "EFG"}
SURVIVAL = {("female", 1): 0.968, ("female", 2): 0.921, ("female", 3): 0.5}
SURVIVAL |= {("male", 1): 0.369, ("male", 2): 0.157, ("male", 3): 0.135}
SIB_SP = {0: 0.682, 1: 0.235, 2: 0.031, 3: 0.018, 4: 0.02, 5: 0.006, 8: 0.008}
PARCH = {0: 0.761, 1: 0.132, 2: 0.09, 3: 0.006, 4: 0.004, 5: 0.006, 6: 0.001}
PORTS = {"S": 0.724, "C": 0.189, "Q": 0.087}
MISSING_AGE = 0.199
MISSING_PORT = 0.002
DECKS = "ABCDEFG"
# Fares are per ticket, so few distinct values: 248 among 891 passengers.
FARES_PER_CLASS = 120
# Families and groups share a ticket: 681 tickets for 891 passengers.
TICKETS_PER_PASSENGER = 681 / 891
TICKET_PREFIXES = ["PC ", "C.A. ", "A/5 ", "STON/O2. ", "SOTON/O.Q. ", "W./C. "]
TICKET_PREFIX_SHARE = 0.25
# Surnames: two syllables and an ending, some 18,000, drawn with Zipf's law
# like real ones: a few are common, most are rare.
SYLLABLES = [consonant + vowel for consonant in "bdfghklmnprstvw" for vowel in "aeio"]
SURNAME_ENDINGS = ["son", "er", "ley", "s", "an"]
MALE_NAMES = ["John", "William", "Thomas", "Charles", "George", "James", "Henry"]
FEMALE_NAMES = ["Mary", "Anna", "Elizabeth", "Margaret", "Alice", "Helen", "Ellen"]


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
    with tempfile.TemporaryDirectory(prefix="titanic-benchmark-") as name:
        folder = Path(name)
        # Even the data is written by a child: Linux carries a process's peak
        # memory over to the programs it starts, so this one must stay small.
        run_child(["--write", "--rows", str(args.rows)], folder)
        sizes = file_sizes(folder)
        results = {method: run_measure(method, folder) for method in METHODS}
    report(args.rows, sizes, results)
    return 0 if agree(results) else 1


def run_child(arguments: list[str], folder: Path) -> None:
    """Run this script again in a fresh interpreter, on the shared folder."""
    command = [sys.executable, __file__, *arguments, "--folder", str(folder)]
    subprocess.run(command, check=True)


def write_copies(rows: int, folder: Path) -> None:
    """Generate the table once and write it as CSV, Parquet and partitions."""
    import pyarrow.csv as pa_csv
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    started = time.perf_counter()
    table = make_passengers(rows, SEED)
    logger.info("Generated %d rows in %.1fs", rows, time.perf_counter() - started)
    started = time.perf_counter()
    pa_csv.write_csv(table, folder / CSV_FILE)
    pq.write_table(table, folder / PARQUET_FILE, compression="zstd")
    ds.write_dataset(
        table,
        folder / PARTITIONED_FOLDER,
        format="parquet",
        partitioning=["Pclass"],
        partitioning_flavor="hive",
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        # Full row groups, as in the single file, not one per incoming batch.
        min_rows_per_group=ROW_GROUP_ROWS,
        max_rows_per_group=ROW_GROUP_ROWS,
    )
    logger.info("Wrote CSV and Parquet in %.1fs", time.perf_counter() - started)


def file_sizes(folder: Path) -> dict[str, int]:
    """Bytes on disk of each copy, the partitioned one summed over its files."""
    partitioned = folder / PARTITIONED_FOLDER
    return {
        CSV_FILE: (folder / CSV_FILE).stat().st_size,
        PARQUET_FILE: (folder / PARQUET_FILE).stat().st_size,
        f"{PARTITIONED_FOLDER}/ (Pclass=1..3)": sum(
            file.stat().st_size for file in partitioned.rglob("*.parquet")
        ),
    }


def make_passengers(rows: int, seed: int) -> pa.Table:
    """Draw passengers with the Kaggle schema and its main distributions."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    pclass = rng.choice([1, 2, 3], size=rows, p=CLASS_SHARES)
    female = rng.random(rows) < _by_class(pclass, FEMALE_SHARE)
    sex = np.where(female, "female", "male")
    age = rng.normal(_by_class(pclass, AGE_MEAN), _by_class(pclass, AGE_STD))
    age = age.clip(0.42, 80)
    # Whole years, a few with a half, and months for infants, as in the data.
    half = 0.5 * (rng.random(rows) < 0.03)
    age = np.where(age < 1, age.round(2), np.floor(age) + half)
    age[rng.random(rows) < MISSING_AGE] = np.nan
    survival = np.select(
        [(sex == s) & (pclass == c) for s, c in SURVIVAL], list(SURVIVAL.values())
    )
    return pa.table(
        {
            "PassengerId": np.arange(1, rows + 1),
            "Survived": (rng.random(rows) < survival).astype(np.int64),
            "Pclass": pclass,
            "Name": _names(rng, female),
            "Sex": sex,
            "Age": pa.array(age, from_pandas=True),
            "SibSp": _draw(rng, SIB_SP, rows),
            "Parch": _draw(rng, PARCH, rows),
            "Ticket": _tickets(rng, rows),
            "Fare": _fares(rng, pclass),
            "Cabin": _cabins(rng, pclass),
            "Embarked": _with_missing(rng, _draw(rng, PORTS, rows), MISSING_PORT),
        }
    )


def _by_class(pclass: np.ndarray, values: dict[int, float]) -> np.ndarray:
    """Spread a per-class parameter over the rows, by each row's class."""
    import numpy as np

    return np.select([pclass == c for c in values], list(values.values()))


def _draw(rng: np.random.Generator, shares: dict, rows: int) -> np.ndarray:
    """Draw values (numbers or codes) with the shares of the real column."""
    return rng.choice(list(shares), size=rows, p=list(shares.values()))


def _with_missing(
    rng: np.random.Generator, values: np.ndarray, share: float
) -> pa.Array:
    """Blank a share of the values out, as missing entries of the real file."""
    import pyarrow as pa

    return pa.array(values, mask=rng.random(len(values)) < share)


def _names(rng: np.random.Generator, female: np.ndarray) -> pa.Array:
    """Build `Surname, Title First Middle` names, as in the passenger list."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(female)
    surnames = [
        (first + second + ending).capitalize()
        for first in SYLLABLES
        for second in SYLLABLES
        for ending in SURNAME_ENDINGS
    ]
    rng.shuffle(surnames)
    married = female & (rng.random(rows) < 0.5)
    title = pa.array(np.select([married, female], ["Mrs.", "Miss."], "Mr."))
    first = pc.if_else(
        pa.array(female),
        _zipf(rng, FEMALE_NAMES, rows),
        _zipf(rng, MALE_NAMES, rows),
    )
    middle = _zipf(rng, MALE_NAMES + FEMALE_NAMES, rows)
    head = pc.binary_join_element_wise(_zipf(rng, surnames, rows), title, ", ")
    return pc.binary_join_element_wise(head, first, middle, " ")


def _zipf(rng: np.random.Generator, words: list[str], rows: int) -> pa.Array:
    """Draw words with Zipf's law (the k-th most common has weight 1/k), in Arrow."""
    import numpy as np
    import pyarrow as pa

    weights = 1 / np.arange(1, len(words) + 1)
    drawn = rng.choice(len(words), size=rows, p=weights / weights.sum())
    return pa.array(words).take(drawn)


def _tickets(rng: np.random.Generator, rows: int) -> pa.Array:
    """Numbers of 4 to 6 digits, shared by neighbours; some with a prefix."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    ticket = np.floor(np.arange(rows) * TICKETS_PER_PASSENGER).astype(np.int64)
    count = int(ticket[-1]) + 1
    number = pc.cast(pa.array(rng.integers(1_000, 400_000, size=count)), pa.string())
    prefix = _zipf(rng, TICKET_PREFIXES, count)
    has_prefix = pa.array(rng.random(count) < TICKET_PREFIX_SHARE)
    tickets = pc.if_else(
        has_prefix, pc.binary_join_element_wise(prefix, number, ""), number
    )
    return tickets.take(ticket)


def _fares(rng: np.random.Generator, pclass: np.ndarray) -> np.ndarray:
    """Fares from a short price list per class: real fares repeat a lot."""
    import numpy as np

    fares = np.empty(len(pclass))
    for value, median in MEDIAN_FARE.items():
        prices = (median * rng.lognormal(0, 0.5, size=FARES_PER_CLASS)).round(4)
        rows = pclass == value
        fares[rows] = rng.choice(prices, size=int(rows.sum()))
    return fares


def _cabins(rng: np.random.Generator, pclass: np.ndarray) -> pa.Array:
    """Deck letter and number, known mostly in first class, as in the data."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(pclass)
    deck = np.empty(rows, dtype=np.int64)
    for value, decks in CABIN_DECKS.items():
        chosen = pclass == value
        deck[chosen] = rng.integers(0, len(decks), size=int(chosen.sum()))
        deck[chosen] += DECKS.index(decks[0])
    cabin = pc.binary_join_element_wise(
        pa.array(list(DECKS)).take(deck),
        pc.cast(pa.array(rng.integers(1, 150, size=rows)), pa.string()),
        "",
    )
    known = rng.random(rows) < _by_class(pclass, CABIN_SHARE)
    return pc.if_else(pa.array(known), cabin, pa.scalar(None, pa.string()))


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
    rows = QUERIES[method](folder)
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux: the high-water mark of this process.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"seconds": seconds, "peak_mib": peak_mib, "rows": rows}
    (folder / f"{method}.json").write_text(json.dumps(result))


def _csv_pandas(folder: Path) -> list[list]:
    """What most notebooks do: read the whole CSV, then filter and group."""
    import pandas as pd

    frame = pd.read_csv(folder / CSV_FILE)
    chosen = frame[(frame["Pclass"] == 1) & (frame["Age"] > 30)]
    grouped = chosen.groupby(["Sex", "Embarked"], dropna=False).agg(
        mean_fare=("Fare", "mean"),
        survival_rate=("Survived", "mean"),
        passengers=("Survived", "size"),
    )
    return [
        [sex, None if pd.isna(port) else port, float(fare), float(rate), int(count)]
        for (sex, port), (fare, rate, count) in zip(
            grouped.index, grouped.itertuples(index=False), strict=True
        )
    ]


def _parquet_duckdb(folder: Path) -> list[list]:
    """DuckDB reads only the columns and row groups the query needs."""
    return _duckdb("read_parquet(?)", str(folder / PARQUET_FILE))


def _partitioned_duckdb(folder: Path) -> list[list]:
    """The class filter skips the Pclass=2 and Pclass=3 folders entirely."""
    pattern = str(folder / PARTITIONED_FOLDER / "*" / "*.parquet")
    return _duckdb("read_parquet(?, hive_partitioning = true)", pattern)


def _duckdb(source: str, path: str) -> list[list]:
    """Run the shared query on a DuckDB reader, the path bound as a parameter."""
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute(QUERY.format(source=source), [path]).fetchall()
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


def _same(reference: dict[tuple, list], other: dict[tuple, list]) -> bool:
    """Same groups and counts; means equal but for the order of summation."""
    return reference.keys() == other.keys() and all(
        other[key][2] == reference[key][2]
        and all(
            math.isclose(mine, theirs, rel_tol=1e-9)
            for mine, theirs in zip(other[key][:2], reference[key][:2], strict=True)
        )
        for key in reference
    )


def _by_group(rows: list[list]) -> dict[tuple, list]:
    """Index result rows by (sex, port), whatever order a method returned them in."""
    return {(sex, port): values for sex, port, *values in rows}


def report(rows: int, sizes: dict[str, int], results: dict[str, dict]) -> None:
    """Log times, peak memory, sizes and ratios against the course's targets."""
    baseline = results["csv-pandas"]["seconds"]
    lines = [f"{rows:,} rows; the query: {' '.join(QUERY.split())}", ""]
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
