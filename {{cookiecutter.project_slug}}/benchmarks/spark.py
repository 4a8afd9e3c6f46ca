"""Benchmark local Spark against DuckDB and pandas on 10 million Titanic-like rows.

The two Spark jobs against their one-machine twins, each run as a user runs it
(a fresh command, start-up included) on the synthetic table of
benchmarks/data.py: `spark prepare` against `data partition` (the CSV to
Parquet in Pclass=N folders), then `spark score` against `score` (the Parquet
file to scores, with the same model). The model is the project's pipeline at
the first point of its grid, fitted on synthetic passengers, unless --model-uri
names one (MLFLOW_TRACKING_URI then says where its registry is).

Peak memory is the largest total resident memory of the command's process and
all its descendants (Spark's JVM and its Python workers), sampled from /proc
every 0.1 s: ru_maxrss gives one process only. Spark runs where the commands
put it: local[*], every core, unless SPARK_MASTER or spark-defaults.conf says
otherwise.

Run it from the project folder with the project's venv and Java 17 (17 minutes
on 2 busy cores; 3 with --rows 1000000):

    python -m benchmarks.spark [--rows 10000000] [--model-uri URI]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from {{ cookiecutter.module_name }}.data.schema import COLUMN_NAMES
from {{ cookiecutter.module_name }}.features import (
    PREDICTION,
    PROBABILITY,
    split_features_target,
)

from benchmarks.data import (
    CSV_FILE,
    PARQUET_FILE,
    SEED,
    make_passengers,
    print_load_average,
    run_child,
)

logger = logging.getLogger("benchmarks.spark")

MODULE = "{{ cookiecutter.module_name }}"
PARTITION_KEY = "Pclass"
TRAINING_ROWS = 20_000
SAMPLE_INTERVAL_S = 0.1
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024
JOBS = {
    "duckdb-prepare": "data partition (DuckDB)",
    "spark-prepare": "spark prepare (local Spark)",
    "pandas-score": "score (pandas)",
    "spark-score": "spark score (local Spark)",
}
# Where each job writes: the pandas path one file, Spark a folder of them.
OUTPUTS = {
    "duckdb-prepare": "duckdb-by-class",
    "spark-prepare": "spark-by-class",
    "pandas-score": "pandas-scores.parquet",
    "spark-score": "spark-scores",
}
# Output lines of a failed command shown, from its end.
TAIL_LINES = 20


@dataclass(frozen=True)
class Measured:
    """Wall time and peak memory of one command, with its descendants."""

    seconds: float
    peak_mib: float


def main(argv: list[str] | None = None) -> int:
    """Write the data, get a model, run each job both ways, report, check agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--model-uri", help="model to score with; unset: one fitted here"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)
    print_load_average()
    with tempfile.TemporaryDirectory(prefix="spark-benchmark-") as name:
        folder = Path(name)
        # benchmarks/data.py writes the table, in a child process of its own.
        run_child(["--write", "--rows", str(args.rows)], folder)
        model_uri = args.model_uri or fit_model(folder / "model")
        results = {job: run_job(job, folder, model_uri) for job in JOBS}
        agreed = prepared_alike(folder) and scored_alike(folder)
    report(args.rows, results)
    return 0 if agreed else 1


def fit_model(path: Path) -> str:
    """Fit the project's pipeline, first point of its grid, and save it for MLflow."""
    import mlflow

    from {{ cookiecutter.module_name }}.model import SEARCH_SPACE
    from {{ cookiecutter.module_name }}.training.search import (
        PARAM_PREFIX,
        build_pipeline,
    )
    from {{ cookiecutter.module_name }}.training.tracking import (
        model_requirements,
        skops_trusted_types,
    )

    frame = make_passengers(TRAINING_ROWS, SEED + 1).to_pandas()
    features, target = split_features_target(frame.rename(columns=COLUMN_NAMES))
    first_point = {PARAM_PREFIX + key: grid[0] for key, grid in SEARCH_SPACE.items()}
    model = build_pipeline(SEED).set_params(**first_point).fit(features, target)
    mlflow.sklearn.save_model(
        model,
        str(path),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=skops_trusted_types(model),
        pip_requirements=model_requirements(),
    )
    logger.info("Fitted %s on %d synthetic rows", first_point, TRAINING_ROWS)
    return str(path)


def job_arguments(job: str, folder: Path, model_uri: str) -> list[str]:
    """The command line of one job, as the README gives it."""
    csv, parquet = str(folder / CSV_FILE), str(folder / PARQUET_FILE)
    output = str(folder / OUTPUTS[job])
    scoring = ["--input", parquet, "--output", output, "--model-uri", model_uri]
    return {
        "duckdb-prepare": ["data", "partition", csv, output, "--by", PARTITION_KEY],
        "spark-prepare": ["spark", "prepare", csv, output, "--by", PARTITION_KEY],
        "pandas-score": ["score", *scoring],
        "spark-score": ["spark", "score", *scoring],
    }[job]


def run_job(job: str, folder: Path, model_uri: str) -> Measured:
    """Run one job as a fresh command; time it and sample its memory."""
    command = [sys.executable, "-m", MODULE, *job_arguments(job, folder, model_uri)]
    log = folder / f"{job}.log"
    with log.open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        with peak_tree_memory(process.pid) as peak:
            returncode = process.wait()
        seconds = time.perf_counter() - started
    if returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-TAIL_LINES:])
        raise RuntimeError(f"{' '.join(command[2:])} failed:\n{tail}")
    measured = Measured(seconds, peak[0] / MIB)
    logger.info("%-30s %7.1fs, peak %6.0f MiB", JOBS[job], seconds, measured.peak_mib)
    return measured


@contextmanager
def peak_tree_memory(root: int) -> Iterator[list[int]]:
    """Sample the tree's resident memory in a thread; the list holds the peak."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        """Keep the largest total seen, until the block ends."""
        while not done.wait(SAMPLE_INTERVAL_S):
            peak[0] = max(peak[0], tree_rss(root))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, read from /proc."""
    parents: dict[int, int] = {}
    resident: dict[int, int] = {}
    # os and open rather than pathlib: five times cheaper, every 0.1 s.
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                # Fields after the command name, which may hold spaces and ')'.
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parents[int(name)] = int(fields[1])
        resident[int(name)] = int(fields[21]) * PAGE_BYTES
    tree = {root}
    # Children may be listed before their parents: repeat until nothing is added.
    while grown := {pid for pid, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    return sum(resident.get(pid, 0) for pid in tree)


def prepared_alike(folder: Path) -> bool:
    """Both prepares wrote the same rows to the same Pclass folders."""
    sql = f"SELECT {PARTITION_KEY}, count(*) FROM data GROUP BY 1 ORDER BY 1"
    duckdb_counts, spark_counts = (
        query(folder / OUTPUTS[job], sql) for job in ("duckdb-prepare", "spark-prepare")
    )
    if duckdb_counts == spark_counts:
        logger.info("Both prepares wrote the same rows per class: %s", spark_counts)
        return True
    logger.error("Rows per class differ: %s, %s", duckdb_counts, spark_counts)
    return False


def scored_alike(folder: Path) -> bool:
    """Both scorings gave the same rows and classes, probabilities to rounding."""
    sql = f"SELECT count(*), sum({PREDICTION}), sum({PROBABILITY}) FROM data"
    (pandas,), (spark,) = (
        query(folder / OUTPUTS[job], sql) for job in ("pandas-score", "spark-score")
    )
    if pandas[:2] == spark[:2] and math.isclose(pandas[2], spark[2], rel_tol=1e-9):
        logger.info("Both scorings agree: %d rows, %d predicted to survive", *spark[:2])
        return True
    logger.error("The scorings differ: pandas %s, Spark %s", pandas, spark)
    return False


def query(path: Path, sql: str) -> list[tuple]:
    """Query a Parquet file, or every Parquet file below a folder, as `data`."""
    files = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    with duckdb.connect() as con:
        con.read_parquet(files, hive_partitioning=True).create_view("data")
        return con.execute(sql).fetchall()


def report(rows: int, results: dict[str, Measured]) -> None:
    """Print each job's time and peak memory, and Spark's ratios to the other path."""
    lines = [f"{rows:,} rows, Spark master: {spark_master()}", ""]
    lines.append(f"{'job':<30}{'seconds':>9}{'peak MiB':>10}")
    for job, measured in results.items():
        lines.append(
            f"{JOBS[job]:<30}{measured.seconds:>9.1f}{measured.peak_mib:>10.0f}"
        )
    lines.append("")
    for spark, other in (
        ("spark-prepare", "duckdb-prepare"),
        ("spark-score", "pandas-score"),
    ):
        mine, theirs = results[spark], results[other]
        lines.append(
            f"{JOBS[spark]} / {JOBS[other]}: "
            f"time x{mine.seconds / theirs.seconds:.2f}, "
            f"memory x{mine.peak_mib / theirs.peak_mib:.2f}"
        )
    print("\n".join(lines))


def spark_master() -> str:
    """Where the Spark jobs ran, as far as the environment says."""
    if master := os.environ.get("SPARK_MASTER"):
        return master
    if conf := os.environ.get("SPARK_CONF_DIR"):
        return f"spark-defaults.conf in {conf}, else local[*]"
    return f"local[*], {os.cpu_count()} cores"


if __name__ == "__main__":
    raise SystemExit(main())
