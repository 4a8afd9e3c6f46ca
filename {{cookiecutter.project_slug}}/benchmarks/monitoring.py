"""Benchmark the drift report on one million logged predictions.

A week of synthetic traffic, drawn from dataset.py by data/synthetic.py, is
written as the API writes it (one JSON line per prediction; the first numeric
feature moved up by half its range over the last three days, so that the
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

from {{ cookiecutter.module_name }}.data.declaration import (
    Numeric,
)
from {{ cookiecutter.module_name }}.data.synthetic import (
    bounds,
    synthetic_rows,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    EXIT_ALERT,
)

from benchmarks.data import print_load_average

logger = logging.getLogger("benchmarks.monitoring")

REFERENCE_ROWS = 100_000
TARGET_SECONDS = 30
START = pd.Timestamp("2026-01-01", tz="UTC")
DAYS = 7
DRIFT_DAYS = 3
# The drift: the first numeric feature moved up by this share of its range.
SHIFT_SHARE = 0.5
# The probability the stand-in model gives its predicted class.
CONFIDENCE = 0.8
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
    """Model inputs of synthetic rows; their learnable class stands for the model."""
    frame = synthetic_rows(rows, seed)[list(DATASET.source_names)]
    frame = frame.rename(columns=DATASET.source_names)
    return frame[DATASET.feature_names].assign(
        **{DATASET.prediction: frame[DATASET.target.name]}
    )


def drifting_feature() -> Numeric:
    """The feature the late traffic moves: the first numeric one."""
    return next(f for f in DATASET.features if isinstance(f, Numeric))


def write_inputs(folder: Path, rows: int) -> tuple[Path, Path, Path]:
    """Write the log, the reference profile and the feedback file."""
    reference = folder / "reference.parquet"
    predictions(REFERENCE_ROWS, seed=1).to_parquet(reference, index=False)
    served = predictions(rows, seed=2)
    times = pd.date_range(START, periods=rows, freq=pd.Timedelta(days=DAYS) / rows)
    late = times >= START + pd.Timedelta(days=DAYS - DRIFT_DAYS)
    feature = drifting_feature()
    low, high = bounds(feature)
    served[feature.name] = served[feature.name].astype("float64")
    served.loc[late, feature.name] += SHIFT_SHARE * (high - low)
    predicted = served[DATASET.prediction]
    others = (1 - CONFIDENCE) / (len(DATASET.target.classes) - 1)
    identifier = (
        {DATASET.identifier.name: np.arange(rows)} if DATASET.identifier else {}
    )
    served = served.assign(
        timestamp=times.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
        request_id=[f"{index:032x}" for index in range(rows)],
        row=0,
        **identifier,
        **{
            column: np.where(predicted == value, CONFIDENCE, others)
            for value, column in DATASET.probabilities.items()
        },
        model_name="{{ cookiecutter.module_name }}",
        model_version="1",
        latency_ms=1.5,
    )
    log = folder / "predictions.jsonl"
    served.to_json(log, orient="records", lines=True)
    feedback = folder / "feedback.parquet"
    outcomes(served.sample(frac=FEEDBACK_SHARE, random_state=3)).to_parquet(
        feedback, index=False
    )
    return log, reference, feedback


def outcomes(known: pd.DataFrame) -> pd.DataFrame:
    """True classes of some predictions: right four times out of five."""
    classes = list(DATASET.target.classes)
    predicted = known[DATASET.prediction].map(classes.index).to_numpy()
    wrong = np.random.default_rng(4).random(len(known)) < 0.2
    truth = np.where(wrong, (predicted + 1) % len(classes), predicted)
    return pd.DataFrame(
        {
            "request_id": known["request_id"],
            DATASET.target.name: np.asarray(classes, dtype=object)[truth],
        }
    )


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
