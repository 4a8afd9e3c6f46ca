"""The API as deployed: `uvicorn app.main:app` in its own process, over real HTTP."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from {{ cookiecutter.module_name }}.config import ApiSettings

from app.schemas import PASSENGER_EXAMPLE
from tests.api_helpers import CHAMPION_VERSION, read_log

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# Importing mlflow and loading the model take seconds; a slow CI gets room.
STARTUP_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 30


def free_port() -> int:
    """A port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def get_status(url: str) -> int | None:
    """The status code of GET url, or None while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_until_ready(process: subprocess.Popen, base_url: str) -> float:
    """Poll /ready until 200; fail fast if the server exits or never gets ready."""
    start = time.monotonic()
    while time.monotonic() - start < STARTUP_TIMEOUT_S:
        assert process.poll() is None, "uvicorn exited during startup"
        if get_status(f"{base_url}/ready") == 200:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not ready after {STARTUP_TIMEOUT_S} s")


def test_uvicorn_serves_predictions(trained_store, tmp_path: Path) -> None:
    """Start the server as the README says, predict over HTTP, stop it cleanly."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    log_path = tmp_path / "logs" / "predictions.jsonl"
    # Only this test's settings: none inherited from the developer's shell.
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in ApiSettings.model_fields
    }
    env = {
        **inherited,
        "MLFLOW_TRACKING_URI": trained_store.uri,
        "MODEL_NAME": trained_store.model_name,
        "PREDICTION_LOG_PATH": str(log_path),
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:app"]
    command += ["--host", HOST, "--port", str(port), "--app-dir", str(PROJECT_ROOT)]
    with (tmp_path / "server.log").open("w") as server_log:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=server_log, stderr=server_log
        )
    try:
        wait_until_ready(process, base_url)
        request = urllib.request.Request(
            f"{base_url}/predict",
            data=json.dumps([PASSENGER_EXAMPLE] * 3).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            assert response.status == 200
            body = json.loads(response.read())
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert body["model_version"] == CHAMPION_VERSION
    assert len(body["predictions"]) == 3
    # uvicorn shuts down cleanly on SIGTERM, then exits by that same signal.
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()
    assert [line["request_id"] for line in read_log(log_path)] == [
        body["request_id"]
    ] * 3
