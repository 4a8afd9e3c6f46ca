"""Benchmark the drift report on one million logged predictions.

A week of synthetic traffic is written as the API writes it (one JSON line per
prediction; passengers 20 years older over the last three days, so that the
report has a drift to find), with a reference profile of 100,000 training rows
(the most training keeps) and outcomes for a tenth of the predictions. The report
command then runs as a scheduler would run it, in a fresh process, without and
with feedback; its wall time includes the start of Python and of the libraries.

Run it from the project folder with the project's venv (about a minute):

    python -m benchmarks.monitoring [--rows 1000000]
"""

from __future__ import annotations

import argparse
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.data.schema import COLUMN_NAMES
from {{ cookiecutter.module_name }}.errors import EXIT_ALERT
from {{ cookiecutter.module_name }}.features import (
    INPUT_FEATURES,
    PREDICTION,
    PROBABILITY,
)

from benchmarks.data import make_passengers, print_load_average

logger = logging.getLogger("benchmarks.monitoring")

REFERENCE_ROWS = 100_000
TARGET_SECONDS = 30
START = pd.Timestamp("2026-01-01", tz="UTC")
DAYS = 7
DRIFT_DAYS = 3
AGE_SHIFT = 20
FEEDBACK_SHARE = 0.1
MIB = 1024 * 1024


def main(argv: list[str] | None = None) -> int:
    """Write the inputs once, time the report twice, print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)
    print_load_average()
    with tempfile.TemporaryDirectory(prefix="monitoring-benchmark-") as name:
        folder = Path(name)
        started = time.perf_counter()
        log, reference, feedback = write_inputs(folder, args.rows)
        logger.info("Wrote the inputs in %.1f s", time.perf_counter() - started)
        size = log.stat().st_size
        plain = time_report(folder, log, reference)
        with_feedback = time_report(folder, log, reference, "--feedback-uri", feedback)
    print_report(args.rows, size, plain, with_feedback)
    return 0 if max(plain, with_feedback) < TARGET_SECONDS else 1


def predictions(rows: int, seed: int) -> pd.DataFrame:
    """Model inputs of synthetic passengers, with a rule standing for the model."""
    frame = make_passengers(rows, seed).to_pandas().rename(columns=COLUMN_NAMES)
    survived = (frame["sex"] == "female") | (frame["pclass"] == 1)
    return frame[INPUT_FEATURES].assign(**{PREDICTION: survived.astype(int)})


def write_inputs(folder: Path, rows: int) -> tuple[Path, Path, Path]:
    """Write the log, the reference profile and the feedback file."""
    reference = folder / "reference.parquet"
    predictions(REFERENCE_ROWS, seed=1).to_parquet(reference, index=False)
    served = predictions(rows, seed=2)
    times = pd.date_range(START, periods=rows, freq=pd.Timedelta(days=DAYS) / rows)
    late = times >= START + pd.Timedelta(days=DAYS - DRIFT_DAYS)
    served.loc[late, "age"] += AGE_SHIFT
    served = served.assign(
        timestamp=times.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
        request_id=[f"{index:032x}" for index in range(rows)],
        row=0,
        passenger_id=np.arange(rows),
        **{PROBABILITY: np.where(served[PREDICTION] == 1, 0.8, 0.2)},
        model_name="{{ cookiecutter.module_name }}",
        model_version="1",
        latency_ms=1.5,
    )
    log = folder / "predictions.jsonl"
    served.to_json(log, orient="records", lines=True)
    known = served.sample(frac=FEEDBACK_SHARE, random_state=3)
    rng = np.random.default_rng(4)
    # Right four times out of five.
    wrong = rng.random(len(known)) < 0.2
    feedback = folder / "feedback.parquet"
    pd.DataFrame(
        {
            "request_id": known["request_id"],
            "survived": np.where(wrong, 1 - known[PREDICTION], known[PREDICTION]),
        }
    ).to_parquet(feedback, index=False)
    return log, reference, feedback


def time_report(folder: Path, log: Path, reference: Path, *extra: object) -> float:
    """Run the report command once in a fresh process; return its wall time."""
    command: list[object] = [sys.executable, "-m", "{{ cookiecutter.module_name }}"]
    command += ["monitor", "report"]
    command += ["--prediction-log-path", log, "--reference-profile-uri", reference]
    command += ["--monitoring-report-dir", folder / "reports", *extra]
    started = time.perf_counter()
    completed = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if completed.returncode != EXIT_ALERT:
        raise RuntimeError(
            f"expected the drift alert (exit {EXIT_ALERT}), got "
            f"{completed.returncode}: {completed.stderr[-2000:]}"
        )
    logger.info("Report%s in %.1f s", " with feedback" if extra else "", seconds)
    return seconds


def print_report(rows: int, size: int, plain: float, with_feedback: float) -> None:
    """Print the measured times against the target, and the peak memory."""
    # Linux reports the largest child's peak, in KiB.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"\n{rows:,} logged predictions ({size / MIB:,.0f} MiB of JSON lines), "
        f"{REFERENCE_ROWS:,} reference rows; target under {TARGET_SECONDS} s\n"
    )
    print(f"{'report':<32}{'seconds':>10}")
    print(f"{'drift only':<32}{plain:>10.1f}")
    print(f"{'drift + feedback (10 %)':<32}{with_feedback:>10.1f}")
    print(f"\nPeak memory of a report: {peak:,.0f} MiB")


if __name__ == "__main__":
    raise SystemExit(main())
