"""The API as deployed: `uvicorn app.main:app` in its own process, over real HTTP."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.settings import ApiSettings
from benchmarks.live_server import HOST, LiveServer, free_port, live_server
from tests.api_helpers import CHAMPION_VERSION, EXAMPLE, check_prediction, read_log
from tests.cli_helpers import only_error_line

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Importing mlflow and loading the model take seconds; a slow CI gets room.
STARTUP_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 30


def image_command(port: int) -> list[str]:
    """The API image's own server command (its CMD), on a loopback port here."""
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r'^CMD (\["uvicorn".*\])$', dockerfile, re.MULTILINE)
    command = json.loads(cmd)
    command[command.index("--host") + 1] = HOST
    command[command.index("--port") + 1] = str(port)
    return [sys.executable, "-m", *command, "--app-dir", str(PROJECT_ROOT)]


def server_env(**settings: str) -> dict[str, str]:
    """This test's settings only: none inherited from the developer's shell."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in ApiSettings.model_fields
    }
    return {**inherited, **settings}


def store_settings(trained_store, log_path: Path) -> dict[str, str]:
    """Serve the shared champion, logging to log_path."""
    return server_env(
        MLFLOW_TRACKING_URI=trained_store.uri,
        MODEL_NAME=trained_store.model_name,
        PREDICTION_LOG_PATH=str(log_path),
    )


@contextmanager
def serving_champion(
    trained_store, tmp_path: Path, log_path: Path, server_log: Path
) -> Iterator[LiveServer]:
    """The image's server command on the shared champion, until the block ends."""
    port = free_port()
    with live_server(
        image_command(port),
        port,
        "/ready",
        env=store_settings(trained_store, log_path),
        cwd=tmp_path,
        log=server_log,
        timeout_s=STARTUP_TIMEOUT_S,
    ) as server:
        yield server


def post_rows(server: LiveServer, rows: list[dict]) -> bytes:
    """POST rows to /predict, returning the answer's body as it came."""
    request = urllib.request.Request(
        f"{server.base_url}/predict",
        data=json.dumps(rows).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
        assert response.status == 200
        return response.read()


def test_uvicorn_serves_predictions(trained_store, tmp_path: Path) -> None:
    """Start the server as the image does, predict over HTTP, stop it cleanly."""
    log_path = tmp_path / "logs" / "predictions.jsonl"
    server_log = tmp_path / "server.log"
    with serving_champion(trained_store, tmp_path, log_path, server_log) as server:
        body = json.loads(post_rows(server, [EXAMPLE] * 3))
    assert body["model_version"] == CHAMPION_VERSION
    assert len(body["predictions"]) == 3
    for prediction in body["predictions"]:
        check_prediction(prediction)
    # uvicorn shuts down cleanly on SIGTERM, then exits by that same signal.
    assert server.process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server_log.read_text()
    assert [line["request_id"] for line in read_log(log_path)] == [
        body["request_id"]
    ] * 3


def test_answered_predictions_survive_a_kill(trained_store, tmp_path: Path) -> None:
    """Killed (SIGKILL, as the OOM killer does) right after answering: no row lost."""
    log_path = tmp_path / "predictions.jsonl"
    rows = 10_000
    server_log = tmp_path / "server.log"
    with serving_champion(trained_store, tmp_path, log_path, server_log) as server:
        body = post_rows(server, [EXAMPLE] * rows)
        server.process.kill()
    answered = json.loads(body)["request_id"]
    logged = [line["request_id"] for line in read_log(log_path)]
    assert logged == [answered] * rows


def test_oversized_headers_are_refused_at_once(trained_store, tmp_path: Path) -> None:
    """A 48 MB header is cut short, and the other requests are not held up."""
    log_path = tmp_path / "predictions.jsonl"
    server_log = tmp_path / "server.log"
    with serving_champion(trained_store, tmp_path, log_path, server_log) as server:
        started = time.monotonic()
        answer = send_huge_header(server.port, megabytes=48)
        refused_in = time.monotonic() - started
        with urllib.request.urlopen(f"{server.base_url}/health", timeout=5) as health:
            assert health.status == 200
    assert refused_in < 5
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")


def send_huge_header(port: int, megabytes: int) -> bytes:
    """Send a request whose one header is megabytes long; return what came back."""
    with socket.create_connection((HOST, port), timeout=30) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * (1 << 20)
        try:
            for _ in range(megabytes):
                connection.sendall(chunk)
            connection.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return connection.recv(64)
        except ConnectionResetError:
            return b""


def test_a_bad_setting_stops_the_server_in_one_line(tmp_path: Path) -> None:
    """An empty MODEL_ALIAS: the server never starts, one line says why, exit 2."""
    command = image_command(free_port())
    completed = subprocess.run(
        command,
        env=server_env(MODEL_ALIAS=""),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_S,
        check=False,
    )
    assert "MODEL_ALIAS" in only_error_line(completed, exit_code=2)
