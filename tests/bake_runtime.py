"""Run what a bake ships: training on synthetic data, its servers on loopback ports.

Shared by the end-to-end tests, which drive a baked project from the outside
with its own venv, the way a user would from a shell.
"""

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

from conftest import Bake, venv_python

# One passenger as the API takes it: the fields left out are optional.
PASSENGER = {"pclass": 3, "sex": "female", "age": 29, "sib_sp": 0, "parch": 0}
# Two points of the default model's grid, shrunk: a real training in seconds.
# The template's tests know the default estimator; the baked tests do not.
TINY_GRID = ("--param-grid", '{"n_estimators": 5, "max_depth": [2, 3]}')
TINY_GRID += ("--cv-folds", 2)
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


def post_json(url: str, payload: object) -> dict:
    """POST a JSON body and return the decoded JSON answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def run_in_bake(
    bake: Bake, *args: object, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run a command with the bake's venv Python, from the project root by default.

    Another cwd keeps what a command writes beside itself (MLflow's ./mlruns)
    out of the shared bake.
    """
    return subprocess.run(
        [venv_python(bake), *map(str, args)],
        cwd=cwd or bake.path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def uvicorn_command(bake: Bake) -> list[object]:
    """Serve the bake's API with its venv on loopback; running_server adds --port."""
    return [
        venv_python(bake),
        "-m",
        "uvicorn",
        "app.main:app",
        "--http",
        "h11",
        "--host",
        "127.0.0.1",
    ]
