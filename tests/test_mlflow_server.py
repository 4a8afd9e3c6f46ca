"""Train, register, score and serve a baked project against a real MLflow server."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bake_runtime import (
    PASSENGER,
    TINY_GRID,
    post_json,
    run_in_bake,
    running_server,
    uvicorn_command,
    write_synthetic_titanic,
)
from conftest import DEFAULT_ANSWERS, venv_python


@pytest.fixture
def mlflow_server(bakery, tmp_path) -> Iterator[str]:
    """Run `mlflow server` from the default bake's venv on a free loopback port."""
    python = venv_python(bakery.bake(DEFAULT_ANSWERS))
    command = [python.parent / "mlflow", "server", "--host", "127.0.0.1"]
    command += ["--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}"]
    command += ["--artifacts-destination", tmp_path / "artifacts"]
    # Without the server's background job workers, eight processes that would
    # take both cores for a minute while the test trains and serves.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with running_server(command, tmp_path / "server.log", "/health", env=env) as url:
        yield url


def first_line_when_written(path: Path, timeout: float = 10) -> str:
    """Wait for a background writer's first line, since the API logs off-thread."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text().splitlines()[0]
        time.sleep(0.1)
    pytest.fail(f"nothing written to {path} after {timeout} s")


@pytest.mark.slow
def test_train_register_promote_and_score_over_http(bakery, mlflow_server, tmp_path):
    bake = bakery.bake(DEFAULT_ANSWERS)
    module = bake.context["module_name"]
    data = write_synthetic_titanic(tmp_path / "titanic.csv")
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server}
    trained = run_in_bake(
        bake,
        "main.py",
        "--data-uri",
        data,
        "--model-dir",
        tmp_path,
        *TINY_GRID,
        env=env,
    )
    assert trained.returncode == 0, trained.stderr
    assert not (bake.path / "mlflow.db").exists()

    check = (
        "from mlflow import MlflowClient\n"
        f"version = MlflowClient().get_model_version_by_alias({module!r}, 'champion')\n"
        "print(version.version)\n"
    )
    champion = run_in_bake(bake, "-c", check, env=env)
    assert champion.returncode == 0, champion.stderr
    assert champion.stdout.strip() == "1"

    output = tmp_path / "predictions.parquet"
    scored = run_in_bake(
        bake, "-m", module, "score", "--input", data, "--output", output, env=env
    )
    assert scored.returncode == 0, scored.stderr
    assert output.stat().st_size > 0

    prediction_log = tmp_path / "predictions.jsonl"
    api_env = {**env, "PREDICTION_LOG_PATH": str(prediction_log)}
    with running_server(
        uvicorn_command(bake),
        tmp_path / "api.log",
        "/ready",
        cwd=bake.path,
        env=api_env,
    ) as api:
        answer = post_json(f"{api}/predict", PASSENGER)
        logged = json.loads(first_line_when_written(prediction_log))
    assert answer["model_version"] == "1"
    assert answer["predictions"][0]["survived"] in (0, 1)
    assert 0 <= answer["predictions"][0]["probabilities"]["1"] <= 1
    assert logged["request_id"] == answer["request_id"]
    assert logged["sex"] == PASSENGER["sex"]
