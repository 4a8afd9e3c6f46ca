"""Every benchmark script of the template runs, on the smallest input it takes.

A figure published in docs/benchmarks.md must stay measurable: each script
runs here as its usage line says, with the fewest runs and the least data, and
the figures it prints are read back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from bake_runtime import write_synthetic_titanic
from conftest import DEFAULT_ANSWERS
from matrix import TEMPLATE_DIR

BENCHMARKS = TEMPLATE_DIR / "benchmarks"
# One grid point, two folds: the benchmark's every kind of run, in seconds.
TINY_SEARCH = ("--param-grid", '{"n_estimators": 5, "max_depth": 2}', "--cv-folds")
TINY_SEARCH += ("2",)
TRAINING_KINDS = (
    "bare search",
    "untracked",
    "tracked, fresh store",
    "tracked, existing store",
)


def run_benchmark(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a benchmark script with this Python; return what it printed."""
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr
    return completed.stdout


def test_every_benchmark_script_is_run_here():
    tested = {"bake.py", "image.py", "tracking.py"}
    assert {path.name for path in BENCHMARKS.glob("*.py")} == tested


def test_bake_benchmark_times_one_bake_of_each_template():
    printed = run_benchmark("bake.py", "--runs", "1", "--bake-only")
    for label in ("this template", "one-file template"):
        assert re.search(rf"^  {label} +\d+ ms$", printed, re.MULTILINE), printed
    assert re.search(r"^  ratio +[\d.]+x$", printed, re.MULTILINE), printed


@pytest.mark.slow
def test_image_benchmark_measures_the_api_image():
    printed = run_benchmark("image.py", "--target", "api")
    assert re.search(r"^\| api \| \d+ MB \| \d+ MB \| [\d.]+x", printed, re.MULTILINE)
    # The target docs/benchmarks.md publishes, measured with the bytecode pip writes.
    assert re.search(r"^API image \d+ MB meets the 450 MB", printed, re.MULTILINE)


@pytest.mark.slow
def test_tracking_benchmark_times_every_kind_of_run(bakery, tmp_path):
    project = bakery.bake(DEFAULT_ANSWERS).path
    before = sorted(path.name for path in project.iterdir())
    data = write_synthetic_titanic(tmp_path / "titanic.csv")
    env = {**os.environ, "TITANIC_CSV": str(data)}
    printed = run_benchmark(
        "tracking.py", "--runs", "1", "--project", str(project), *TINY_SEARCH, env=env
    )
    for kind in TRAINING_KINDS:
        assert re.search(rf"^  {kind} +[\d.]+ s +[\d.]+x", printed, re.MULTILINE)
    # Its runs work in a scratch folder: the shared bake gets no store or model.
    assert sorted(path.name for path in project.iterdir()) == before
