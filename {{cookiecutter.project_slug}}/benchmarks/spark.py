"""Benchmark local Spark against DuckDB and pandas on 10 million synthetic rows.

The two Spark jobs against their one-machine twins, each run as a user runs it
(a fresh command, start-up included) on the synthetic table of
benchmarks/data.py: `spark prepare` against `data partition` (the CSV to
Parquet in KEY=value folders, KEY the data benchmark's key column), then
`spark score` against `score` (the Parquet file to scores, with the same
model). The model is the project's pipeline at the first point of its grid,
fitted on synthetic rows, unless --model-uri names one (MLFLOW_TRACKING_URI
then says where its registry is).

Peak memory is the largest total resident memory of the command's process and
all its descendants (Spark's JVM and its Python workers), sampled from /proc
every 0.1 s as benchmarks/scoring.py does: ru_maxrss gives one process only.
Spark runs where the commands put it: local[*], every core, unless
SPARK_MASTER or spark-defaults.conf says otherwise.

Run it from the project folder with the project's venv and Java 17 (17 minutes
on 2 busy cores; 3 with --rows 1000000):

    python -m benchmarks.spark [--rows 10000000] [--model-uri URI]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.data import (
    CSV_FILE,
    PARQUET_FILE,
    print_load_average,
    read_query,
    run_child,
)
from benchmarks.scoring import (
    MODULE,
    Measured,
    fit_model,
    query,
    run_command,
    scored_alike,
)

logger = logging.getLogger("benchmarks.spark")

JOBS = {
    "duckdb-prepare": "data partition (DuckDB)",
    "spark-prepare": "spark prepare (local Spark)",
    "pandas-score": "score (pandas)",
    "spark-score": "spark score (local Spark)",
}
# Where each job writes: the pandas path one file, Spark a folder of them.
OUTPUTS = {
    "duckdb-prepare": "duckdb-by-key",
    "spark-prepare": "spark-by-key",
    "pandas-score": "pandas-scores.parquet",
    "spark-score": "spark-scores",
}


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
        results = {
            job: run_command(
                [sys.executable, "-m", MODULE, *job_arguments(job, folder, model_uri)],
                folder / f"{job}.log",
                JOBS[job],
            )
            for job in JOBS
        }
        scores = [folder / OUTPUTS[job] for job in ("pandas-score", "spark-score")]
        agreed = prepared_alike(folder) and scored_alike(*scores)
    report(args.rows, results)
    return 0 if agreed else 1


def job_arguments(job: str, folder: Path, model_uri: str) -> list[str]:
    """The command line of one job, as the README gives it."""
    csv, parquet = str(folder / CSV_FILE), str(folder / PARQUET_FILE)
    output = str(folder / OUTPUTS[job])
    scoring = ["--input", parquet, "--output", output, "--model-uri", model_uri]
    key = read_query(folder).key
    return {
        "duckdb-prepare": ["data", "partition", csv, output, "--by", key],
        "spark-prepare": ["spark", "prepare", csv, output, "--by", key],
        "pandas-score": ["score", *scoring],
        "spark-score": ["spark", "score", *scoring],
    }[job]


def prepared_alike(folder: Path) -> bool:
    """Both prepares wrote the same rows to the same key folders."""
    sql = f'SELECT "{read_query(folder).key}", count(*) FROM data GROUP BY 1 ORDER BY 1'
    duckdb_counts, spark_counts = (
        query(folder / OUTPUTS[job], sql) for job in ("duckdb-prepare", "spark-prepare")
    )
    if duckdb_counts == spark_counts:
        logger.info("Both prepares wrote the same rows per key: %s", spark_counts)
        return True
    logger.error("Rows per key differ: %s, %s", duckdb_counts, spark_counts)
    return False


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
