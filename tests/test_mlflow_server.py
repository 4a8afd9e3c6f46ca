"""Train, register, score and serve a baked project against a real MLflow server."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import DEFAULT_ANSWERS, venv_python

PASSENGER = {"pclass": 3, "sex": "female", "age": 29, "sib_sp": 0, "parch": 0}
SERVER_START_TIMEOUT = 120  # seconds: the first start creates the database schema
TITANIC_HEADER = [
    "PassengerId",
    "Survived",
    "Pclass",
    "Name",
    "Sex",
    "Age",
    "SibSp",
    "Parch",
    "Ticket",
    "Fare",
    "Cabin",
    "Embarked",
]


def write_synthetic_titanic(path: Path, rows: int = 160) -> Path:
    """Write a CSV with the Kaggle schema where survival depends on sex and class."""
    generator = random.Random(7)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TITANIC_HEADER)
        for passenger in range(1, rows + 1):
            sex = generator.choice(["male", "female"])
            pclass = generator.choice([1, 2, 3])
            chance = (0.75 if sex == "female" else 0.2) + (0.15 if pclass == 1 else 0)
            age = "" if generator.random() < 0.1 else round(generator.uniform(1, 80), 1)
            writer.writerow(
                [
                    passenger,
                    int(generator.random() < chance),
                    pclass,
                    f"Passenger {passenger}",
                    sex,
                    age,
                    generator.randint(0, 3),
                    generator.randint(0, 2),
                    f"T{passenger}",
                    round(generator.uniform(5, 250), 2),
                    "",
                    generator.choice(["C", "Q", "S"]),
                ]
            )
    return path


def free_port() -> int:
    """Ask the kernel for a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(
    url: str, server: subprocess.Popen, endpoint: str = "/health"
) -> None:
    """Poll a server's health endpoint until it answers 200 or the server dies."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"{url} exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}{endpoint}", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.5)
    pytest.fail(f"{url}{endpoint} not 200 after {SERVER_START_TIMEOUT} s")


@contextmanager
def running_server(
    command: list, log_path: Path, endpoint: str, **popen: object
) -> Iterator[str]:
    """Start a server on a free loopback port, wait for it, stop its whole group."""
    port = free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*map(str, command), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **popen,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, server, endpoint)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


@pytest.fixture
def mlflow_server(bakery, tmp_path) -> Iterator[str]:
    """Run `mlflow server` from the default bake's venv on a free loopback port."""
    python = venv_python(bakery.bake(DEFAULT_ANSWERS))
    command = [python.parent / "mlflow", "server", "--host", "127.0.0.1"]
    command += ["--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}"]
    command += ["--artifacts-destination", tmp_path / "artifacts"]
    with running_server(command, tmp_path / "server.log", "/health") as url:
        yield url


def post_json(url: str, payload: object) -> dict:
    """POST a JSON body and return the decoded JSON answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def first_line_when_written(path: Path, timeout: float = 10) -> str:
    """Wait for a background writer's first line, since the API logs off-thread."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text().splitlines()[0]
        time.sleep(0.1)
    pytest.fail(f"nothing written to {path} after {timeout} s")


def run_in_bake(
    bake, *args: object, env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Run a command with the bake's venv Python, from the project root."""
    return subprocess.run(
        [venv_python(bake), *map(str, args)],
        cwd=bake.path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_train_register_promote_and_score_over_http(bakery, mlflow_server, tmp_path):
    bake = bakery.bake(DEFAULT_ANSWERS)
    module = bake.context["module_name"]
    data = write_synthetic_titanic(tmp_path / "titanic.csv")
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server}
    grid = ["--n-trees", 5, "--max-depth", 2, 3, "--cv-folds", 2]
    trained = run_in_bake(
        bake, "main.py", "--data-uri", data, "--model-dir", tmp_path, *grid, env=env
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
        bake, "-m", f"{module}.predict", "--input", data, "--output", output, env=env
    )
    assert scored.returncode == 0, scored.stderr
    assert output.stat().st_size > 0

    prediction_log = tmp_path / "predictions.jsonl"
    api_env = {**env, "PREDICTION_LOG_PATH": str(prediction_log)}
    uvicorn = [
        venv_python(bake),
        "-m",
        "uvicorn",
        "app.main:app",
        "--host",
        "127.0.0.1",
    ]
    with running_server(
        uvicorn, tmp_path / "api.log", "/ready", cwd=bake.path, env=api_env
    ) as api:
        answer = post_json(f"{api}/predict", PASSENGER)
        logged = json.loads(first_line_when_written(prediction_log))
    assert answer["model_version"] == "1"
    assert 0 <= answer["predictions"][0]["survival_probability"] <= 1
    assert logged["request_id"] == answer["request_id"]
    assert logged["sex"] == PASSENGER["sex"]
