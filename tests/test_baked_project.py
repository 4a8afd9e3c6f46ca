"""Baked projects work as their README says: tests pass, training is accurate."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bake_runtime import (
    PASSENGER,
    post_json,
    run_in_bake,
    running_server,
    uvicorn_command,
    write_synthetic_titanic,
)
from conftest import (
    DEFAULT_ANSWERS,
    MATRIX,
    Bake,
    bake_from_command_line,
    require_python,
    venv_python,
)
from matrix import bake_id

MIN_REAL_DATA_ACCURACY = 0.78  # the course reports 0.81 on the same split size


def with_other_python(rows: list[dict[str, object]]) -> dict[str, object]:
    """Pick a bake that differs from the defaults, including in its Python.

    It has Spark and S3 too: their tests run in no other bake (the Spark ones
    start a JVM, once for their module).
    """
    return next(
        row
        for row in rows
        if row["python_version"] != DEFAULT_ANSWERS["python_version"]
        and not row["include_api"]
        and row["spark"]
        and row["data_storage"] == "s3"
    )


# The default bake's own suite runs in test_readme_path_after_an_estimator_swap,
# beside a trained store and with another estimator: running it a second time
# here would add minutes and no check.
SUITE_BAKES = [with_other_python(MATRIX)]


@pytest.mark.slow
@pytest.mark.parametrize("answers", SUITE_BAKES, ids=map(bake_id, SUITE_BAKES))
def test_baked_test_suite_passes(bakery, answers):
    bake = bakery.bake(answers)
    completed = subprocess.run(
        [bakery.python(bake), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=bake.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr
    assert " passed" in completed.stdout


# A commit made from a terminal where the venv is active, and from one (or an
# editor's git) where it is not: the hooks find their tools either way.
HOOK_PATHS = {"venv-active": True, "venv-inactive": False}


@pytest.mark.parametrize("venv_on_path", HOOK_PATHS.values(), ids=HOOK_PATHS)
def test_pre_commit_hooks_pass_on_the_fresh_repository(
    bakery, mypy_cache, venv_on_path
):
    bake = bakery.bake(DEFAULT_ANSWERS)
    venv_bin = venv_python(bake).parent
    # Without the venv, PATH holds the system's tools alone, as a new shell of a
    # machine without uv. mypy's cache goes outside the bake, whose file set
    # other tests check.
    path = (
        f"{venv_bin}{os.pathsep}{os.environ['PATH']}"
        if venv_on_path
        else "/usr/bin:/bin"
    )
    env = {**os.environ, "PATH": path, "MYPY_CACHE_DIR": str(mypy_cache)}
    env.pop("VIRTUAL_ENV", None)
    completed = subprocess.run(
        [venv_bin / "pre-commit", "run", "--all-files"],
        cwd=bake.path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "nbstripout (notebook outputs)" in completed.stdout
    assert "ruff (lint)" in completed.stdout
    assert "black (format)" in completed.stdout
    assert "mypy (types)" in completed.stdout


@pytest.mark.slow
def test_training_on_the_real_data_is_accurate(bakery, tmp_path):
    titanic = os.environ.get("TITANIC_CSV")
    if not titanic or not Path(titanic).is_file():
        pytest.skip("set TITANIC_CSV to the Kaggle Titanic train.csv to run this")
    bake = bakery.bake(DEFAULT_ANSWERS)
    command = [venv_python(bake), bake.path / "main.py", "--data-uri", titanic]
    command += [
        "--model-dir",
        tmp_path,
        "--mlflow-tracking-uri",
        f"sqlite:///{tmp_path}/m.db",
    ]
    # From a scratch folder: MLflow puts the artifacts of a SQLite store in ./mlruns.
    completed = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["metrics"]["accuracy"] >= MIN_REAL_DATA_ACCURACY
    assert (tmp_path / "model.joblib").stat().st_size > 0
    assert "version 1 is champion" in completed.stderr


@pytest.mark.slow
def test_streamed_scores_equal_whole_file_scores_on_the_real_data(bakery):
    """Scored in batches of 100 rows, the Kaggle file gives the whole file's output.

    The bake's scoring benchmark runs `score` and the whole-file way it replaced
    on the file, then compares both outputs row for row, columns and types too.
    """
    titanic = os.environ.get("TITANIC_CSV")
    if not titanic or not Path(titanic).is_file():
        pytest.skip("set TITANIC_CSV to the Kaggle Titanic train.csv to run this")
    bake = bakery.bake(DEFAULT_ANSWERS)
    command = [venv_python(bake), "-m", "benchmarks.scoring", "--input", titanic]
    command += ["--batch-rows", "100", "--without-spark"]
    completed = subprocess.run(
        command, cwd=bake.path, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-3000:]
    assert "streamed output identical to the whole file's: yes" in completed.stdout


# model.py as a user who swaps the estimator writes it: nothing else is edited.
SWAPPED_MODEL = '''"""The model: a logistic regression, swapped in for the forest."""

from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression

SEARCH_SPACE: dict[str, list] = {"C": [0.1, 1.0]}


def build_estimator(random_state: int) -> ClassifierMixin:
    """A logistic regression, seeded as the forest was."""
    return LogisticRegression(random_state=random_state, max_iter=1000)
'''


@pytest.mark.slow
def test_readme_path_after_an_estimator_swap(tmp_path):
    """The README's path on a fresh bake whose model.py alone was rewritten.

    Swapping the estimator must be an edit of one file: training in the project
    folder (which leaves mlflow.db, mlruns/ and models/ where the user stands),
    the registry, batch scoring, the API and the project's own tests all follow.
    """
    require_python(DEFAULT_ANSWERS["python_version"])
    baked = bake_from_command_line(tmp_path / "bake", "init_git=false")
    assert baked.returncode == 0, baked.stderr
    (project,) = (tmp_path / "bake").iterdir()
    bake = Bake(project, {**DEFAULT_ANSWERS, "module_name": "titanic_survival"})
    (project / "src" / "titanic_survival" / "model.py").write_text(SWAPPED_MODEL)
    data = write_synthetic_titanic(tmp_path / "titanic.csv")
    output = tmp_path / "scores.parquet"
    env = dict(os.environ)
    trained = run_in_bake(bake, "main.py", "--data-uri", data, "--cv-folds", 2, env=env)
    assert trained.returncode == 0, trained.stderr
    assert "version 1 is champion" in trained.stderr
    report = json.loads((project / "models" / "metrics.json").read_text())
    assert set(report["best_params"]) == {"classifier__C"}
    scored = run_in_bake(
        bake,
        "-m",
        "titanic_survival",
        "score",
        "--input",
        data,
        "--output",
        output,
        env=env,
    )
    assert scored.returncode == 0, scored.stderr
    assert output.stat().st_size > 0
    with running_server(
        uvicorn_command(bake), tmp_path / "api.log", "/ready", cwd=project
    ) as api:
        answer = post_json(f"{api}/predict", PASSENGER)
    assert answer["model_version"] == "1"
    assert answer["predictions"][0]["survived"] in (0, 1)
    assert 0 <= answer["predictions"][0]["probabilities"]["1"] <= 1
    # The README's test command: uv runs the suite in the venv made from the lock.
    tested = subprocess.run(
        ["uv", "run", "--frozen", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr
    assert (project / "mlflow.db").exists()
