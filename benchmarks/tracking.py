"""Measure what MLflow tracking adds to a training run, in one script.

Bakes the default project with its venv, then trains on the real Titanic data
alternately with ``--no-tracking`` and with tracking to a fresh SQLite store,
and prints the medians and their ratio (target: tracking adds less than 2x).

Usage: TITANIC_CSV=path/to/train.csv python benchmarks/tracking.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bake import bake_ready_project


def timed_training(project: Path, data: str, scratch: Path, *flags: str) -> float:
    """Wall time of one `python main.py` run; exit if training fails."""
    command = [project / ".venv" / "bin" / "python", "main.py", "--data-uri", data]
    command += ["--model-dir", str(scratch / "models"), *flags]
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=project, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"training failed:\n{completed.stderr}")
    return elapsed


def main() -> None:
    """Alternate both kinds of run so machine noise hits them alike."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="trainings of each kind")
    args = parser.parse_args()
    data = os.environ.get("TITANIC_CSV", "")
    if not Path(data).is_file():
        sys.exit("set TITANIC_CSV to the Kaggle Titanic train.csv")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        project = bake_ready_project(scratch, env)
        without, with_tracking = [], []
        for run in range(args.runs):
            without.append(timed_training(project, data, scratch, "--no-tracking"))
            store = f"sqlite:///{scratch / f'mlflow-{run}.db'}"
            tracking = ["--mlflow-tracking-uri", store]
            with_tracking.append(timed_training(project, data, scratch, *tracking))
    plain, tracked = statistics.median(without), statistics.median(with_tracking)
    print(f"training on {data} (median of {args.runs}):")
    print(f"  without tracking  {plain:6.1f} s")
    print(f"  with tracking     {tracked:6.1f} s  (fresh SQLite store each run)")
    print(f"  ratio             {tracked / plain:6.2f}x")


if __name__ == "__main__":
    main()
