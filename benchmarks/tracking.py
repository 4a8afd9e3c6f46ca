"""Measure what MLflow tracking adds to a training run, in one script.

Bakes the default project with its venv (or takes one with --project), then
trains on the real Titanic data, alternating in each round: the bare grid
search (the same data, pipeline and grid in a plain script: the floor),
`main.py --no-tracking`, `main.py` tracking to a fresh SQLite store, and
`main.py` again on that now existing store. Prints the medians and the ratios
to the untracked run (targets: 1.3x on an existing store, 1.6x on a fresh one).

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

# The project's search without its command line, settings, checks, evaluation,
# saved files or tracking: what the work itself costs, Python's start included.
BARE_SEARCH = """
import sys
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from titanic_survival.model import SEARCH_SPACE
from titanic_survival.training.search import PARAM_PREFIX, build_pipeline

columns = {"Survived": "survived", "Pclass": "pclass", "Sex": "sex", "Age": "age",
           "SibSp": "sib_sp", "Parch": "parch", "Fare": "fare", "Embarked": "embarked"}
frame = pd.read_csv(sys.argv[1]).rename(columns=columns)
x_train, _, y_train, _ = train_test_split(
    frame[list(columns.values())[1:]], frame["survived"],
    test_size=0.2, random_state=42, stratify=frame["survived"])
GridSearchCV(
    build_pipeline(42),
    {PARAM_PREFIX + name: values for name, values in SEARCH_SPACE.items()},
    scoring="f1",
    cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=42),
    n_jobs=-1,
).fit(x_train, y_train)
"""


def timed(project: Path, *arguments: str) -> float:
    """Wall time of one run of the project's Python; exit if it fails."""
    command = [str(project / ".venv" / "bin" / "python"), *arguments]
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=project, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(arguments[:2])} failed:\n{completed.stderr}")
    return elapsed


def one_round(project: Path, data: str, scratch: Path, index: int) -> dict[str, float]:
    """Time each kind of run once, in the same order every round."""
    training = ["main.py", "--data-uri", data, "--model-dir", str(scratch / "models")]
    store = ["--mlflow-tracking-uri", f"sqlite:///{scratch / f'mlflow-{index}.db'}"]
    return {
        "bare search": timed(project, "-c", BARE_SEARCH, data),
        "untracked": timed(project, *training, "--no-tracking"),
        "tracked, fresh store": timed(project, *training, *store),
        "tracked, existing store": timed(project, *training, *store),
    }


def main() -> None:
    """Alternate every kind of run so machine noise hits them alike."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of runs")
    parser.add_argument(
        "--project", type=Path, help="a baked default project with its .venv"
    )
    args = parser.parse_args()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at start: {load}", flush=True)
    data = os.environ.get("TITANIC_CSV", "")
    if not Path(data).is_file():
        sys.exit("set TITANIC_CSV to the Kaggle Titanic train.csv")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        project = args.project or bake_ready_project(scratch, env)
        rounds = [one_round(project, data, scratch, run) for run in range(args.runs)]
    print(f"training on {data}, {args.runs} rounds, medians (every run):")
    untracked = statistics.median(timings["untracked"] for timings in rounds)
    for kind in rounds[0]:
        times = [timings[kind] for timings in rounds]
        median = statistics.median(times)
        every = " ".join(f"{seconds:.1f}" for seconds in times)
        print(f"  {kind:<24}{median:6.1f} s {median / untracked:5.2f}x  ({every})")
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at the end: {load}")


if __name__ == "__main__":
    main()
