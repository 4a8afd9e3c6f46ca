"""Measure how long a bake takes, against baselines run in the same script.

1. Bake time with the git and venv steps off: the median of several bakes of
   this template beside the median for a one-file template (cookiecutter's own
   floor), so the ratio is meaningful on a noisy machine.
2. Time to a ready venv (bake with ``create_venv``) with uv on a warm cache,
   against the plain ``venv`` + pip path, also on a warm cache.

Usage: python benchmarks/bake.py [--runs N] [--skip-pip]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
SETUP_OFF = {"init_git": False, "create_venv": False}


def make_one_file_template(root: Path) -> Path:
    """Write the smallest useful template: one question, one rendered file."""
    template = root / "one-file-template"
    (template / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (template / "cookiecutter.json").write_text(json.dumps({"project_slug": "demo"}))
    (template / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "# {{ cookiecutter.project_slug }}\n"
    )
    return template


def median_seconds(action: Callable[[], object], runs: int) -> float:
    """Run an action several times and return its median wall time."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def bake_in_process(template: Path, extra: dict[str, object], runs: int) -> float:
    """Median time of cookiecutter's Python API baking into fresh folders."""
    with tempfile.TemporaryDirectory() as scratch:
        counter = iter(range(runs))
        return median_seconds(
            lambda: cookiecutter(
                str(template),
                no_input=True,
                extra_context=extra,
                output_dir=str(Path(scratch) / str(next(counter))),
            ),
            runs,
        )


def path_without_uv() -> str:
    """PATH minus the folders holding uv, to force the venv + pip fallback."""
    return os.pathsep.join(
        folder
        for folder in os.environ["PATH"].split(os.pathsep)
        if not (Path(folder) / "uv").exists()
    )


def bake_ready_project(output_dir: Path, env: dict[str, str]) -> Path:
    """Bake the defaults with a filled venv (this Python); exit if it is not ready."""
    python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE_DIR)]
    command += [
        "-o",
        str(output_dir),
        "init_git=false",
        f"python_version={python_version}",
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    project = output_dir / "titanic-survival"
    venv_python = project / ".venv" / "bin" / "python"
    ready = completed.returncode == 0 and venv_python.exists()
    if not ready or subprocess.run([venv_python, "-c", "import sklearn"]).returncode:
        sys.exit(f"the bake did not give a ready venv:\n{completed.stderr}")
    return project


def bake_with_venv(env: dict[str, str]) -> float:
    """Wall time of a command-line bake that creates and fills the venv."""
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        bake_ready_project(Path(scratch), env)
        return time.perf_counter() - start


def main() -> None:
    """Print each measurement with its baseline and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="bakes per median")
    parser.add_argument(
        "--skip-pip", action="store_true", help="skip the slow venv + pip baseline"
    )
    args = parser.parse_args()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at start: {load}", flush=True)
    os.environ.pop("TEMPLATE_SKIP_SETUP", None)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}

    with tempfile.TemporaryDirectory() as scratch:
        minimal = make_one_file_template(Path(scratch))
        baseline = bake_in_process(minimal, {}, args.runs)
    ours = bake_in_process(TEMPLATE_DIR, SETUP_OFF, args.runs)
    print(f"bake, git and venv off (median of {args.runs}):")
    print(f"  this template     {ours * 1000:8.0f} ms")
    print(f"  one-file template {baseline * 1000:8.0f} ms")
    print(f"  ratio             {ours / baseline:8.1f}x")

    bake_with_venv(env)  # warm uv's cache so the timed run measures setup, not download
    with_uv = bake_with_venv(env)
    print("bake to a ready venv, warm cache:")
    print(f"  uv                {with_uv:8.1f} s")
    if not args.skip_pip:
        pip_env = {**env, "PATH": path_without_uv()}
        bake_with_venv(pip_env)  # warm pip's cache too, for a fair comparison
        with_pip = bake_with_venv(pip_env)
        print(f"  venv + pip        {with_pip:8.1f} s")
        print(f"  pip / uv          {with_pip / with_uv:8.1f}x")


if __name__ == "__main__":
    main()
