"""The baked training and batch scoring work against a real MLflow server over HTTP."""

from __future__ import annotations

import csv
import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import DEFAULT_ANSWERS, venv_python

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


def wait_until_healthy(url: str, server: subprocess.Popen) -> None:
    """Poll the server's health endpoint until it answers or the server dies."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"mlflow server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"mlflow server at {url} not healthy after {SERVER_START_TIMEOUT} s")


@pytest.fixture
def mlflow_server(bakery, tmp_path) -> Iterator[str]:
    """Run `mlflow server` from the default bake's venv on a free loopback port."""
    python = venv_python(bakery.bake(DEFAULT_ANSWERS))
    port = free_port()
    command = [python.parent / "mlflow", "server", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}"]
    command += ["--artifacts-destination", str(tmp_path / "artifacts")]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


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
