"""Measure how long a bake takes, against baselines run in the same script.

1. Bake time with every setup step off (TEMPLATE_SKIP_SETUP=1): the median of
   several bakes of this template beside the median for a one-file template
   (cookiecutter's own floor), so the ratio is meaningful on a noisy machine.
2. From the README's bake command to a ready ``.venv``, as a new user runs it:
   in a fresh venv holding only pip and cookiecutter, so the hook must get uv
   itself (from pip, into its cache), lock, export and sync. The baseline is
   what the bake did before uv: ``venv`` then ``pip install -r
   requirements-dev.txt`` of the same pinned packages. Both on warm caches.

Usage: python benchmarks/bake.py [--runs N] [--bake-only]

--bake-only measures the first alone: the second takes minutes (pip).
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


def bake_in_process(template: Path, runs: int) -> float:
    """Median time of cookiecutter's Python API baking into fresh folders."""
    with tempfile.TemporaryDirectory() as scratch:
        counter = iter(range(runs))
        return median_seconds(
            lambda: cookiecutter(
                str(template),
                no_input=True,
                output_dir=str(Path(scratch) / str(next(counter))),
            ),
            runs,
        )


def new_user_environment(root: Path) -> dict[str, str]:
    """A venv with only pip and cookiecutter, and a PATH where uv is not found."""
    venv = root / "user"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--disable-pip-version-check", "cookiecutter"], check=True)
    folders = os.environ["PATH"].split(os.pathsep)
    without_uv = [folder for folder in folders if not (Path(folder) / "uv").exists()]
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    env.pop("TEMPLATE_SKIP_SETUP", None)
    return {**env, "PATH": os.pathsep.join([str(venv / "bin"), *without_uv])}


def readme_bake(output_dir: Path, env: dict[str, str]) -> tuple[float, Path]:
    """Time the README's bake command; exit if it does not leave a ready venv."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = ["cookiecutter", "--no-input", str(TEMPLATE_DIR), "-o", str(output_dir)]
    command += ["init_git=false", f"python_version={version}"]
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    project = output_dir / "titanic-survival"
    python = project / ".venv" / "bin" / "python"
    ready = completed.returncode == 0 and python.exists()
    if not ready or subprocess.run([python, "-c", "import sklearn"]).returncode:
        sys.exit(f"the bake did not give a ready venv:\n{completed.stderr}")
    print(f"  its output: {len(completed.stdout.splitlines())} lines")
    return seconds, project


def pip_install_seconds(project: Path) -> float:
    """Time venv + pip install of the project's pinned dev requirements."""
    venv = project / "pip-venv"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    install = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
    install += ["--disable-pip-version-check", "-r", "requirements-dev.txt"]
    subprocess.run(install, cwd=project, check=True)
    return time.perf_counter() - start


def main() -> None:
    """Print each measurement with its baseline and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="bakes per median")
    parser.add_argument(
        "--bake-only", action="store_true", help="skip the bake to a ready venv"
    )
    args = parser.parse_args()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at start: {load}", flush=True)

    os.environ["TEMPLATE_SKIP_SETUP"] = "1"
    with tempfile.TemporaryDirectory() as scratch:
        baseline = bake_in_process(make_one_file_template(Path(scratch)), args.runs)
    ours = bake_in_process(TEMPLATE_DIR, args.runs)
    print(f"bake, setup steps off (median of {args.runs}):")
    print(f"  this template     {ours * 1000:8.0f} ms")
    print(f"  one-file template {baseline * 1000:8.0f} ms")
    print(f"  ratio             {ours / baseline:8.1f}x")
    if args.bake_only:
        return

    with tempfile.TemporaryDirectory() as scratch:
        env = new_user_environment(Path(scratch))
        readme_bake(Path(scratch) / "warm-up", env)  # fills the caches, gets uv
        print("README bake command to a ready .venv (warm caches):")
        with_uv, project = readme_bake(Path(scratch) / "timed", env)
        pip_install_seconds(project)  # warms pip's cache for a fair comparison
        with_pip = pip_install_seconds(project)
    print(f"  the bake (uv, got by pip)       {with_uv:6.1f} s")
    print(f"  venv + pip install, same pins   {with_pip:6.1f} s")
    print(f"  ratio                           {with_pip / with_uv:6.1f}x")


if __name__ == "__main__":
    main()
