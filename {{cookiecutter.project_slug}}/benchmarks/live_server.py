"""Run a server in its own process, from the moment it is ready until it is stopped.

The API benchmark (benchmarks/api.py) starts `uvicorn app.main:app` and `mlflow
models serve` this way, and the server test (tests/test_api_server.py) starts
the API the same way, so both wait for readiness and shut down alike.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
POLL_INTERVAL_S = 0.1
STOP_TIMEOUT_S = 30


@dataclass(frozen=True)
class LiveServer:
    """A started server: its process, its address and how long it took to be ready."""

    process: subprocess.Popen
    port: int
    started_in_s: float

    @property
    def base_url(self) -> str:
        """Where to send requests, e.g. http://127.0.0.1:8000."""
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    """A port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def live_server(
    command: list[str],
    port: int,
    ready_path: str,
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    timeout_s: float,
    discard_stdout: bool = False,
) -> Iterator[LiveServer]:
    """Start the command, yield once ready_path answers 200, then stop the server.

    Its output goes to a file, not a pipe: a pipe nobody reads would fill up and
    block the server. discard_stdout drops what a benchmark has no use for.
    """
    start = time.perf_counter()
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL if discard_stdout else log_file,
            stderr=log_file,
        )
    try:
        wait_ready(process, port, ready_path, log, start + timeout_s)
        yield LiveServer(process, port, time.perf_counter() - start)
    finally:
        stop(process)


def wait_ready(
    process: subprocess.Popen, port: int, ready_path: str, log: Path, deadline: float
) -> None:
    """Poll until the server answers 200; fail if it exits or the deadline passes."""
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        if answers_ok(port, ready_path):
            return
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"not ready in time: {log.read_text()[-2000:]}")


def answers_ok(port: int, path: str) -> bool:
    """Whether GET path answers 200 now; False while nothing listens."""
    connection = http.client.HTTPConnection(HOST, port, timeout=1)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def stop(process: subprocess.Popen) -> None:
    """Ask the server to shut down (SIGTERM), and kill it if it does not."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
