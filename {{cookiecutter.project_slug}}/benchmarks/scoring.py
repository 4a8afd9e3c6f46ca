"""Benchmark batch scoring at scale: `score` in batches against the whole file.

On the synthetic table of benchmarks/data.py, at one size or several, each
command runs as a user runs it (a fresh process, start-up included): `score`,
which streams batches; the whole-file scoring it replaced, kept here as the
baseline (score_whole_file); `spark score` when the project has Spark; and
DuckDB's `data partition` of the same rows, for scale. Then it checks that the
streamed output is the whole file's, row for row, and that Spark agrees.

Peak memory is the largest total resident memory of the command's process and
all its descendants (Spark's JVM and its Python workers), sampled from /proc
every 0.1 s. The model is the project's pipeline at the first point of its
grid, fitted on synthetic rows, unless --model-uri names one (MLFLOW_TRACKING_URI
then says where its registry is). The whole-file baseline holds every row in
memory (0.7 GiB per million Titanic rows): it is skipped past --whole-file-rows.

Run it from the project folder with the project's venv (about 50 minutes for
10 and 30 million rows on 2 busy cores; minutes with --rows 1000000):

    python -m benchmarks.scoring [--rows 10000000 30000000] [--model-uri URI]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from {{ cookiecutter.module_name }}.data.sources import (
    connect,
)

from benchmarks.data import (
    CSV_FILE,
    PARQUET_FILE,
    SEED,
    print_load_average,
    read_query,
    run_child,
)

logger = logging.getLogger("benchmarks.scoring")

MODULE = "{{ cookiecutter.module_name }}"
# The project folder: `python -m benchmarks.scoring` runs the baseline from
# wherever the benchmark was started.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
TRAINING_ROWS = 20_000
SAMPLE_INTERVAL_S = 0.1
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024
JOBS = {
    "score": "score (streamed)",
    "whole-file": "score, whole file (before)",
    "spark-score": "spark score (local Spark)",
    "partition": "data partition (DuckDB)",
}
# Where each job writes: a file, or a folder of them.
OUTPUTS = {
    "score": "streamed.parquet",
    "whole-file": "whole-file.parquet",
    "spark-score": "spark-scores",
    "partition": "partitioned-by-key",
}
# The targets: bounded memory, flat with the rows, no slower.
TARGET_PEAK_MIB = 1024
TARGET_GROWTH = 1.10
TARGET_TIME_RATIO = 1.0
# Past this many rows, the whole-file baseline would need most of the memory of
# the machine the figures were taken on (23 GiB).
WHOLE_FILE_ROWS = 10_000_000
# Output lines of a failed command shown, from its end.
TAIL_LINES = 20


@dataclass(frozen=True)
class Measured:
    """Wall time and peak memory of one command, and the load when it started."""

    seconds: float
    peak_mib: float
    load: float


@dataclass
class SizeRun:
    """What one input measured, and whether the outputs agreed."""

    rows: int = 0
    results: dict[str, Measured] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)


def main(argv: list[str] | None = None) -> int:
    """Fit or take a model; measure every size; report; fail if outputs differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000])
    parser.add_argument(
        "--model-uri", help="model to score with; unset: one fitted here"
    )
    parser.add_argument(
        "--whole-file-rows",
        type=int,
        default=WHOLE_FILE_ROWS,
        help="run the whole-file baseline up to this many rows",
    )
    parser.add_argument(
        "--without-spark", action="store_true", help="leave `spark score` out"
    )
    parser.add_argument(
        "--batch-rows", type=int, help="`score`'s batches; unset: its default"
    )
    parser.add_argument(
        "--input",
        type=Path,
        help="score this CSV or Parquet file (real data) rather than synthetic rows",
    )
    # Internal: the baseline, run in a child process of its own.
    parser.add_argument("--whole-file", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)
    if args.whole_file:
        score_whole_file(*args.whole_file)
        return 0
    print_load_average()
    spark = not args.without_spark and has_spark()
    with tempfile.TemporaryDirectory(prefix="scoring-benchmark-") as name:
        folder = Path(name)
        model = Model(args.model_uri or fit_model(folder / "model"), args.batch_rows)
        if args.input:
            runs = [measure_jobs(args.input, folder, model, scoring_jobs(spark))]
        else:
            runs = [
                measure_size(
                    rows,
                    folder / str(rows),
                    model,
                    [*scoring_jobs(spark, rows <= args.whole_file_rows), "partition"],
                )
                for rows in args.rows
            ]
    report(runs)
    return 0 if all(all(run.checks.values()) for run in runs) else 1


def score_whole_file(input_uri: str, output_uri: str, model_uri: str) -> None:
    """The baseline: `score` before it streamed, every row in memory at once.

    Loaded with the training's loader, scored in one call, written in one
    table: memory grows with the rows.
    """
    import pyarrow as pa

    from {{ cookiecutter.module_name }}.config import (
        ServedModelSettings,
    )
    from {{ cookiecutter.module_name }}.data.load import (
        load_dataset,
    )
    from {{ cookiecutter.module_name }}.data.parquet import (
        write_table,
    )
    from {{ cookiecutter.module_name }}.scoring import (
        read_model,
        score,
    )

    rows = load_dataset(input_uri, require_target=False)
    scores = score(read_model(ServedModelSettings(model_uri=model_uri)), rows)
    write_table(pa.Table.from_pandas(scores, preserve_index=False), output_uri)


def scoring_jobs(spark: bool, whole_file: bool = True) -> list[str]:
    """`score`, the whole-file baseline unless too big, `spark score` if there."""
    return [
        "score",
        *(["whole-file"] if whole_file else []),
        *(["spark-score"] if spark else []),
    ]


def has_spark() -> bool:
    """Tell whether this project has its Spark jobs, pyspark and a Java runtime."""
    return (
        importlib.util.find_spec(f"{MODULE}.spark") is not None
        and importlib.util.find_spec("pyspark") is not None
        and (bool(os.environ.get("JAVA_HOME")) or shutil.which("java") is not None)
    )


def fit_model(path: Path) -> str:
    """Fit the project's pipeline, first point of its grid, and save it for MLflow."""
    import mlflow

    from {{ cookiecutter.module_name }}.data.load import (
        load_dataset,
    )
    from {{ cookiecutter.module_name }}.data.synthetic import (
        write_synthetic_rows,
    )
    from {{ cookiecutter.module_name }}.features import (
        split_features_target,
    )
    from {{ cookiecutter.module_name }}.model import (
        SEARCH_SPACE,
    )
    from {{ cookiecutter.module_name }}.training.search import (
        PARAM_PREFIX,
        build_pipeline,
    )
    from {{ cookiecutter.module_name }}.training.tracking import (
        model_requirements,
        skops_trusted_types,
    )

    data = path.parent / "training.parquet"
    write_synthetic_rows(str(data), TRAINING_ROWS, SEED + 1)
    features, target = split_features_target(load_dataset(str(data)))
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


@dataclass(frozen=True)
class Model:
    """The model every scoring job loads, and `score`'s batch size if chosen."""

    uri: str
    batch_rows: int | None


def measure_size(rows: int, folder: Path, model: Model, jobs: list[str]) -> SizeRun:
    """Write synthetic rows, run each job on them, then free the disk."""
    folder.mkdir()
    # benchmarks/data.py writes the table, in a child process of its own.
    run_child(["--write", "--rows", str(rows)], folder)
    run = measure_jobs(folder / PARQUET_FILE, folder, model, jobs)
    shutil.rmtree(folder)
    return run


def measure_jobs(source: Path, folder: Path, model: Model, jobs: list[str]) -> SizeRun:
    """Run each job on the source, then compare the scorings' outputs."""
    run = SizeRun()
    for job in jobs:
        command = [sys.executable, *job_arguments(job, source, folder, model)]
        run.results[job] = run_command(command, folder / f"{job}.log", JOBS[job])
    streamed = folder / OUTPUTS["score"]
    run.rows = pq.read_metadata(streamed).num_rows
    if "whole-file" in jobs:
        run.checks["identical"] = same_rows(streamed, folder / OUTPUTS["whole-file"])
    if "spark-score" in jobs:
        run.checks["spark"] = scored_alike(streamed, folder / OUTPUTS["spark-score"])
    return run


def job_arguments(job: str, source: Path, folder: Path, model: Model) -> list[str]:
    """The command line of one job, as the README gives it."""
    output = str(folder / OUTPUTS[job])
    if job == "partition":
        csv, key = str(folder / CSV_FILE), read_query(folder).key
        return ["-m", MODULE, "data", "partition", csv, output, "--by", key]
    scoring = ["--input", str(source), "--output", output, "--model-uri", model.uri]
    batches = ["--batch-rows", str(model.batch_rows)] if model.batch_rows else []
    return {
        "score": ["-m", MODULE, "score", *scoring, *batches],
        "whole-file": [
            *["-m", "benchmarks.scoring", "--whole-file"],
            *[str(source), output, model.uri],
        ],
        "spark-score": ["-m", MODULE, "spark", "score", *scoring],
    }[job]


def run_command(command: list[str], log: Path, label: str) -> Measured:
    """Run one command as a fresh process; time it and sample its memory."""
    load = os.getloadavg()[0]
    paths = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    with log.open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env
        )
        with peak_tree_memory(process.pid) as peak:
            returncode = process.wait()
        seconds = time.perf_counter() - started
    if returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-TAIL_LINES:])
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{tail}")
    measured = Measured(seconds, peak[0] / MIB, load)
    logger.info("%-30s %7.1fs, peak %6.0f MiB", label, seconds, measured.peak_mib)
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


def same_rows(streamed: Path, whole: Path) -> bool:
    """Row for row, the same columns, types and values, compared by DuckDB.

    A positional join streams both files side by side, so that comparing
    millions of rows takes little memory; IS DISTINCT FROM takes two missing
    values as equal, and floats must be equal to the bit.
    """
    schema = pq.read_schema(streamed)
    if not schema.equals(pq.read_schema(whole), check_metadata=True):
        logger.error("The schemas differ: %s and %s", streamed, whole)
        return False
    differs = " OR ".join(
        f'a."{name}" IS DISTINCT FROM b."{name}"' for name in schema.names
    )
    with connect() as con:
        counts = [con.read_parquet(str(path)).shape[0] for path in (streamed, whole)]
        (different,) = con.execute(
            "SELECT count(*) FROM read_parquet(?) a POSITIONAL JOIN read_parquet(?) b "
            f"WHERE {differs}",
            [str(streamed), str(whole)],
        ).fetchall()[0]
    if counts[0] == counts[1] and different == 0:
        logger.info("The streamed output is the whole file's, row for row")
        return True
    logger.error("Rows %s, %d rows differ", counts, different)
    return False


def scored_alike(batch: Path, spark: Path) -> bool:
    """Both scorings gave as many rows each class, the same probability sums."""
    from {{ cookiecutter.module_name }}.dataset import (
        DATASET,
    )

    probability = next(iter(DATASET.probabilities.values()))
    sql = (
        f'SELECT "{DATASET.prediction}", count(*), sum("{probability}") FROM data '
        "GROUP BY 1 ORDER BY 1"
    )
    mine, theirs = query(batch, sql), query(spark, sql)
    if [row[:2] for row in mine] == [row[:2] for row in theirs] and all(
        math.isclose(a[2], b[2], rel_tol=1e-9)
        for a, b in zip(mine, theirs, strict=True)
    ):
        logger.info("Both scorings agree: rows per class %s", [row[:2] for row in mine])
        return True
    logger.error("The scorings differ: %s, Spark %s", mine, theirs)
    return False


def query(path: Path, sql: str) -> list[tuple]:
    """Query a Parquet file, or every Parquet file below a folder, as `data`."""
    files = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    with connect() as con:
        con.read_parquet(files, hive_partitioning=True).create_view("data")
        return con.execute(sql).fetchall()


def report(runs: list[SizeRun]) -> None:
    """Print every job's figures by size, the ratios, and the targets' verdicts."""
    lines = [f"{'rows':>12}  {'job':<30}{'seconds':>9}{'peak MiB':>10}{'load':>7}"]
    for run in runs:
        for job, measured in run.results.items():
            lines.append(
                f"{run.rows:>12,}  {JOBS[job]:<30}{measured.seconds:>9.1f}"
                f"{measured.peak_mib:>10.0f}{measured.load:>7.1f}"
            )
    lines += ["", *ratio_lines(runs), *check_lines(runs)]
    print("\n".join(lines))


def ratio_lines(runs: list[SizeRun]) -> list[str]:
    """Streamed against the whole file at each size, and across sizes."""
    lines = []
    for run in runs:
        streamed, whole = run.results["score"], run.results.get("whole-file")
        if whole:
            ratio = streamed.seconds / whole.seconds
            met = verdict(ratio <= TARGET_TIME_RATIO)
            lines.append(
                f"{run.rows:,} rows, streamed / whole file: time x{ratio:.2f} "
                f"(target at most x{TARGET_TIME_RATIO:.2f}: {met}), "
                f"memory x{streamed.peak_mib / whole.peak_mib:.2f}"
            )
    smallest, *larger = runs
    base = smallest.results["score"].peak_mib
    lines.append(
        f"score's peak at {smallest.rows:,} rows: {base:,.0f} MiB "
        f"(target at most {TARGET_PEAK_MIB:,}: {verdict(base <= TARGET_PEAK_MIB)})"
    )
    for run in larger:
        growth = run.results["score"].peak_mib / base
        lines.append(
            f"score's peak at {run.rows:,} rows / at {smallest.rows:,}: "
            f"x{growth:.2f} (target at most x{TARGET_GROWTH:.2f}: "
            f"{verdict(growth <= TARGET_GROWTH)})"
        )
    return lines


def check_lines(runs: list[SizeRun]) -> list[str]:
    """Say which outputs were compared, and whether they agreed."""
    names = {
        "identical": "streamed output identical to the whole file's",
        "spark": "spark score agrees with score",
    }
    return [
        f"{run.rows:,} rows, {names[check]}: {'yes' if passed else 'NO'}"
        for run in runs
        for check, passed in run.checks.items()
    ]


def verdict(met: bool) -> str:
    """A target's verdict, as the other benchmarks print it."""
    return "met" if met else "MISSED"


if __name__ == "__main__":
    raise SystemExit(main())
