"""Measure what MLflow tracking adds to a training run, in one script.

Bakes the default project with its venv (or takes one with --project), then
trains on the real Titanic data, alternating in each round: the bare grid
search (the same data, pipeline and grid in a plain script: the floor),
`main.py --no-tracking`, `main.py` tracking to a fresh SQLite store, and
`main.py` again on that now existing store. Prints the medians and the ratios
to the untracked run (targets: 1.3x on an existing store, 1.6x on a fresh one).
Every run works in a scratch folder: the project gets no store nor model.

Usage: TITANIC_CSV=path/to/train.csv python benchmarks/tracking.py [--runs N]
       [--project DIR] [--param-grid JSON --cv-folds N]  (a smaller search)
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

TEMPLATE_DIR = Path(__file__).resolve().parent.parent

# The project's search without its command line, settings, checks, evaluation,
# saved files or tracking: what the work itself costs, Python's start included.
# Its arguments: the data, then the grid and the folds given to main.py.
BARE_SEARCH = """
import json
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
grid = json.loads(sys.argv[2]) or SEARCH_SPACE
GridSearchCV(
    build_pipeline(42),
    {
        PARAM_PREFIX + name: values if isinstance(values, list) else [values]
        for name, values in grid.items()
    },
    scoring="f1",
    cv=StratifiedKFold(n_splits=int(sys.argv[3]), shuffle=True, random_state=42),
    n_jobs=-1,
).fit(x_train, y_train)
"""


def bake_ready_project(output_dir: Path) -> Path:
    """Bake the defaults with their venv, in this Python's version; exit if not ready.

    uv is looked for beside this Python first, as the hook finds it on PATH.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE_DIR)]
    command += ["-o", str(output_dir), "init_git=false", f"python_version={version}"]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path}
    env.pop("TEMPLATE_SKIP_SETUP", None)
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    project = output_dir / "titanic-survival"
    if completed.returncode != 0 or not (project / ".venv" / "bin").is_dir():
        sys.exit(f"the bake did not give a ready venv:\n{completed.stderr}")
    return project


def timed(project: Path, scratch: Path, *arguments: str) -> float:
    """Wall time of one run of the project's Python in the scratch folder."""
    command = [str(project / ".venv" / "bin" / "python"), *arguments]
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(arguments[:2])} failed:\n{completed.stderr}")
    return elapsed


def one_round(
    project: Path, data: str, search: argparse.Namespace, scratch: Path, index: int
) -> dict[str, float]:
    """Time each kind of run once, in the same order every round."""
    training = [str(project / "main.py"), "--data-uri", data, "--cv-folds"]
    training += [str(search.cv_folds), "--model-dir", str(scratch / "models")]
    if search.param_grid:
        training += ["--param-grid", search.param_grid]
    store = ["--mlflow-tracking-uri", f"sqlite:///{scratch / f'mlflow-{index}.db'}"]
    bare = [BARE_SEARCH, data, search.param_grid or "{}", str(search.cv_folds)]
    return {
        "bare search": timed(project, scratch, "-c", *bare),
        "untracked": timed(project, scratch, *training, "--no-tracking"),
        "tracked, fresh store": timed(project, scratch, *training, *store),
        "tracked, existing store": timed(project, scratch, *training, *store),
    }


def main() -> None:
    """Alternate every kind of run so machine noise hits them alike."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of runs")
    parser.add_argument(
        "--project", type=Path, help="a baked default project with its .venv"
    )
    parser.add_argument(
        "--param-grid", help="a JSON grid instead of model.py's (as main.py takes)"
    )
    parser.add_argument("--cv-folds", type=int, default=5, help="as main.py takes")
    args = parser.parse_args()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at start: {load}", flush=True)
    data = os.environ.get("TITANIC_CSV", "")
    if not Path(data).is_file():
        sys.exit("set TITANIC_CSV to the Kaggle Titanic train.csv")
    data = str(Path(data).resolve())  # the runs start in a scratch folder
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        project = (args.project or bake_ready_project(scratch / "bake")).resolve()
        rounds = [
            one_round(project, data, args, scratch, run) for run in range(args.runs)
        ]
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
