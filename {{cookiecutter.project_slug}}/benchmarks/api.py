"""Benchmark the serving API against `mlflow models serve` on the same model.

Run from the project root with its virtual environment:

    python -m benchmarks.api [--data-uri DATA] [--startup-only]

It trains a model on DATA (a file of dataset.py's columns, as training reads
it), or without it on synthetic rows drawn from dataset.py, into a temporary
MLflow store. Then it starts the API and a plain FastAPI app that loads the
same model with joblib, alternately, and prints how long each took to answer
/ready: in this environment with the API reading the SQLite file, as on a
laptop, then as pods on a cluster start: with the packages the API image
installs (requirements-api.txt, without bytecode, as the image has them),
reading a tracking server (`mlflow server` on that file). Then it starts the
API and `mlflow models serve` on 127.0.0.1 (one worker each) and sends the
same rows to each: one-row requests, then 1,000-row batches, from concurrent
clients. It prints requests per second and latency percentiles, and our
figures over MLflow's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from uv import find_uv_bin

from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.data.synthetic import (
    write_synthetic_rows,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from benchmarks.data import print_load_average
from benchmarks.live_server import HOST, free_port, live_server

PROJECT_ROOT = Path(__file__).resolve().parents[1]

logger = logging.getLogger("benchmarks.api")

MODEL_NAME = "{{ cookiecutter.module_name }}"
STARTUP_TIMEOUT_S = 180
TRAINING_TIMEOUT_S = 600
REQUEST_TIMEOUT_S = 60
# Each scenario stops early past this time, whatever its request count.
SCENARIO_DEADLINE_S = 300
BATCH_ROWS = 1_000
# Synthetic rows to train on when no data is given: enough for a 5-fold search.
SYNTHETIC_ROWS = 2_000
# The baseline of the start-up: the same model, loaded with joblib at import.
PLAIN_APP = """
import os

import joblib
from fastapi import FastAPI

model = joblib.load(os.environ["MODEL_FILE"])
app = FastAPI()


@app.get("/ready")
def ready() -> dict:
    return {"ready": True}
"""


@dataclass(frozen=True)
class Server:
    """A running HTTP server under test, and how to talk to it."""

    name: str
    port: int
    path: str
    payload: Callable[[list[dict]], object]
    started_in_s: float


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one scenario against one server."""

    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        """Requests answered per second of wall time."""
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        """Latency under which `share` of the requests were answered, in ms."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    """Train, start both servers, measure each scenario, print the comparison."""
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print_load_average()
    with tempfile.TemporaryDirectory(prefix="api-benchmark-") as folder:
        workdir = Path(folder)
        data_uri = args.data_uri or synthetic_data(workdir)
        rows = input_records(data_uri)
        tracking_uri = f"sqlite:///{workdir / 'mlflow.db'}"
        train(data_uri, workdir, tracking_uri)
        startups = compare_startups(workdir, tracking_uri, args.startups, args.http)
        print_startups("the SQLite file", startups)
        python = image_python(workdir)
        with tracking_server(workdir, tracking_uri) as server_uri:
            startups = compare_startups(
                workdir, server_uri, args.startups, args.http, python
            )
        print_startups("a tracking server, with the image's packages", startups)
        if args.startup_only:
            return 0
        with (
            serve_ours(workdir, tracking_uri, args.http) as ours,
            serve_mlflow(workdir, tracking_uri) as theirs,
        ):
            check_same_predictions(ours, theirs, rows[:BATCH_ROWS])
            scenarios = {
                "1 row": (args.one_row_requests, 1),
                f"{BATCH_ROWS} rows": (args.batch_requests, BATCH_ROWS),
            }
            results = {
                (scenario, server.name): measure(
                    server, rows, size, count, args.concurrency
                )
                for scenario, (count, size) in scenarios.items()
                for server in (ours, theirs)
            }
            print_report(results, (ours, theirs), args.concurrency)
    return 0


def parse_args() -> argparse.Namespace:
    """Read the data to use, the request counts and the concurrency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-uri",
        help="data to train on and send; default: synthetic rows of dataset.py",
    )
    parser.add_argument("--one-row-requests", type=int, default=2_000)
    parser.add_argument("--batch-requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--startups", type=int, default=3, help="start-ups of each app, alternated"
    )
    parser.add_argument(
        "--startup-only", action="store_true", help="measure the start-ups only"
    )
    parser.add_argument(
        "--http",
        choices=("h11", "httptools"),
        default="h11",
        help="uvicorn's HTTP parser: h11, as the image runs it, or the faster "
        "httptools, to see what h11's header limit costs",
    )
    return parser.parse_args()


def synthetic_data(workdir: Path) -> str:
    """Write synthetic rows of dataset.py's columns, to train on; return the file."""
    path = workdir / "synthetic.csv"
    write_synthetic_rows(str(path), SYNTHETIC_ROWS, seed=0)
    return str(path)


def input_records(data_uri: str) -> list[dict]:
    """The data's inputs as JSON-ready records, repeated to fill a 1,000-row batch."""
    features = load_dataset(data_uri, require_target=False)[DATASET.feature_names]
    repeated = pd.concat([features] * (BATCH_ROWS // len(features) + 1))
    # Through JSON, as a client would send them: NaN becomes null.
    return json.loads(repeated.head(BATCH_ROWS).to_json(orient="records"))


def train(data_uri: str, workdir: Path, tracking_uri: str) -> None:
    """Train and register the champion with the project's own command line."""
    logger.info("Training the model (default grid) into %s", workdir)
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "main.py"), "--data-uri", data_uri]
        + [
            "--model-dir",
            str(workdir / "models"),
            "--mlflow-tracking-uri",
            tracking_uri,
        ],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=TRAINING_TIMEOUT_S,
    )


@contextmanager
def serve_ours(
    workdir: Path, tracking_uri: str, http: str, python: str = sys.executable
) -> Iterator[Server]:
    """Run `uvicorn app.main:app` with one worker, as the image does (h11)."""
    env = {
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MODEL_NAME": MODEL_NAME,
        "PREDICTION_LOG_PATH": str(workdir / "logs" / "predictions.jsonl"),
        "LOG_LEVEL": "WARNING",
    }
    port = free_port()
    command = [python, "-m", "uvicorn", "app.main:app", "--http", http]
    command += ["--host", HOST, "--port", str(port), "--workers", "1"]
    # The prediction log also goes to stdout: drop it, the file is enough here.
    with serving(command, env, "/ready", port, workdir / "api.err") as started_in_s:
        yield Server("api", port, "/predict", lambda rows: rows, started_in_s)


@contextmanager
def serve_plain(workdir: Path, python: str = sys.executable) -> Iterator[Server]:
    """Run a plain FastAPI app that loads models/model.joblib, as a baseline."""
    (workdir / "plain_app.py").write_text(PLAIN_APP)
    env = {"MODEL_FILE": str(workdir / "models" / "model.joblib")}
    port = free_port()
    command = [python, "-m", "uvicorn", "plain_app:app"]
    command += ["--app-dir", str(workdir), "--host", HOST, "--port", str(port)]
    with serving(command, env, "/ready", port, workdir / "plain.err") as started_in_s:
        yield Server("plain", port, "/ready", lambda rows: rows, started_in_s)


def compare_startups(
    workdir: Path,
    tracking_uri: str,
    count: int,
    http: str,
    python: str = sys.executable,
) -> dict[str, list[float]]:
    """Start the API and the plain app in turn, so machine noise hits both alike."""
    startups: dict[str, list[float]] = {"api": [], "plain": []}
    for _ in range(count):
        for name, start in (
            ("api", lambda: serve_ours(workdir, tracking_uri, http, python)),
            ("plain", lambda: serve_plain(workdir, python)),
        ):
            with start() as server:
                startups[name].append(server.started_in_s)
    return startups


def image_python(workdir: Path) -> str:
    """Install what the API image installs into a new venv; return its Python.

    As the Dockerfile's api stage: requirements-api.txt without bytecode
    (pip's --no-compile), then the project without its dependencies, compiled
    to bytecode as pip does. This project's own venv is not a pod's: it has
    the dev tools, and skops imports pytest through scikit-learn's test
    helpers when it finds it.
    """
    venv = workdir / "image"
    logger.info("Installing the API image's packages into %s", venv)
    uv = find_uv_bin()
    python = str(venv / "bin" / "python")
    install = [uv, "pip", "install", "--quiet", "--python", python]
    for command in (
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        install + ["-r", str(PROJECT_ROOT / "requirements-api.txt")],
        install + ["--compile-bytecode", "--no-deps", str(PROJECT_ROOT)],
    ):
        subprocess.run(command, check=True, timeout=TRAINING_TIMEOUT_S)
    return python


@contextmanager
def tracking_server(workdir: Path, tracking_uri: str) -> Iterator[str]:
    """Serve the store over HTTP, as the cluster's MLflow does; yield its URI.

    Reached over HTTP, MLflow's client imports no SQL store (SQLAlchemy,
    Alembic) in the API: the start-up a pod pays. The server's background job
    workers are off: a fresh server starts eight of them, which take both
    cores of a small machine for a minute, while a cluster's server started
    them long ago.
    """
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--workers", "1"]
    command += ["--backend-store-uri", tracking_uri, "-h", HOST, "-p", str(port)]
    with live_server(
        command,
        port,
        "/health",
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        cwd=workdir,
        log=workdir / "mlflow-server.err",
        timeout_s=STARTUP_TIMEOUT_S,
    ):
        yield f"http://{HOST}:{port}"


def print_startups(store: str, startups: dict[str, list[float]]) -> None:
    """Print each app's start-ups to /ready and the ratio of their medians."""
    medians = {name: statistics.median(times) for name, times in startups.items()}
    print(f"\nStart-up to /ready (s), the API reading {store}, median and every run:")
    for name, times in startups.items():
        every = " ".join(f"{seconds:.1f}" for seconds in times)
        print(f"  {name:<6}{medians[name]:6.1f}  ({every})")
    print(f"  ratio api / plain: {medians['api'] / medians['plain']:.2f}x\n")


@contextmanager
def serve_mlflow(workdir: Path, tracking_uri: str) -> Iterator[Server]:
    """Run `mlflow models serve` on the same champion, in this environment."""
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "models", "serve"]
    command += ["-m", f"models:/{MODEL_NAME}@champion", "--env-manager", "local"]
    command += ["-h", HOST, "-p", str(port)]
    # It starts `uvicorn` through a shell: the venv's bin must be on the PATH.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {"MLFLOW_TRACKING_URI": tracking_uri, "PATH": path}
    with serving(command, env, "/ping", port, workdir / "mlflow.err") as started_in_s:
        yield Server(
            "mlflow",
            port,
            "/invocations",
            lambda rows: {"dataframe_records": rows},
            started_in_s,
        )


@contextmanager
def serving(
    command: list[str], env: dict[str, str], ready_path: str, port: int, log: Path
) -> Iterator[float]:
    """Run a server from the project root while in the block; yield its startup time.

    Its stdout is dropped (the API writes its prediction log there too) and its
    errors go to `log`.
    """
    with live_server(
        command,
        port,
        ready_path,
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        log=log,
        timeout_s=STARTUP_TIMEOUT_S,
        discard_stdout=True,
    ) as server:
        logger.info("%s ready in %.1f s", " ".join(command[2:4]), server.started_in_s)
        yield server.started_in_s


def post(
    connection: http.client.HTTPConnection, path: str, body: bytes
) -> tuple[float, bytes]:
    """Send one JSON request on a kept-alive connection; return ms and the body."""
    start = time.perf_counter()
    connection.request(
        "POST", path, body=body, headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    content = response.read()
    elapsed_ms = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}: {content[:300]!r}")
    return elapsed_ms, content


def check_same_predictions(ours: Server, theirs: Server, rows: list[dict]) -> None:
    """Make sure both servers run the same model: same classes for 1,000 rows."""
    answers = []
    for server in (ours, theirs):
        connection = http.client.HTTPConnection(HOST, server.port, REQUEST_TIMEOUT_S)
        _, content = post(
            connection, server.path, json.dumps(server.payload(rows)).encode()
        )
        answers.append(json.loads(content))
        connection.close()
    our_classes = [row[DATASET.target.name] for row in answers[0]["predictions"]]
    if our_classes != answers[1]["predictions"]:
        raise RuntimeError("the two servers disagree: not the same model")
    logger.info("Both servers predict the same classes for %d rows", len(rows))


def measure(
    server: Server,
    records: list[dict],
    rows: int,
    count: int,
    concurrency: int,
) -> Result:
    """Send `count` requests of `rows` records from `concurrency` clients."""
    bodies = [
        json.dumps(server.payload(records[start : start + rows])).encode()
        for start in range(0, len(records) - rows + 1, max(rows, 1))
    ]
    # The clients share the requests: the first ones send one more if need be.
    shares = [
        count // concurrency + (index < count % concurrency)
        for index in range(concurrency)
    ]

    def client(index: int, requests: int, deadline: float) -> list[float]:
        """One kept-alive connection sending its share of the requests."""
        connection = http.client.HTTPConnection(HOST, server.port, REQUEST_TIMEOUT_S)
        latencies = []
        for number in range(requests):
            if time.perf_counter() > deadline:
                break
            body = bodies[(index + number * concurrency) % len(bodies)]
            latencies.append(post(connection, server.path, body)[0])
        connection.close()
        return latencies

    with ThreadPoolExecutor(concurrency) as pool:
        warm_up = [max(1, share // 10) for share in shares]
        deadline = time.perf_counter() + SCENARIO_DEADLINE_S
        list(pool.map(client, range(concurrency), warm_up, [deadline] * concurrency))
        start = time.perf_counter()
        deadline = start + SCENARIO_DEADLINE_S
        answered = pool.map(
            client, range(concurrency), shares, [deadline] * concurrency
        )
        latencies = [latency for share in answered for latency in share]
        seconds = time.perf_counter() - start
    logger.info(
        "%s, %d rows: %d requests in %.1f s", server.name, rows, len(latencies), seconds
    )
    return Result(len(latencies), seconds, latencies)


def print_report(
    results: dict[tuple[str, str], Result],
    servers: tuple[Server, Server],
    concurrency: int,
) -> None:
    """Print one line per scenario and server, then our figures over MLflow's."""
    ours, theirs = servers
    print(f"\nConcurrency {concurrency}, one worker each, on 127.0.0.1\n")
    header = f"{'scenario':<12}{'server':<8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}"
    print(header)
    print("-" * len(header))
    for (scenario, name), result in results.items():
        print(
            f"{scenario:<12}{name:<8}{result.throughput:>10.1f}"
            f"{result.percentile(0.5):>10.1f}{result.percentile(0.99):>10.1f}"
        )
    print("\nRatios, api / mlflow (throughput: higher is better; latency: lower)\n")
    for scenario in dict.fromkeys(scenario for scenario, _ in results):
        mine, other = results[scenario, ours.name], results[scenario, theirs.name]
        print(
            f"{scenario:<12}throughput x{mine.throughput / other.throughput:.1f}, "
            f"p50 x{mine.percentile(0.5) / other.percentile(0.5):.2f}, "
            f"p99 x{mine.percentile(0.99) / other.percentile(0.99):.2f}"
        )
    print(
        f"\nStartup to ready: api {ours.started_in_s:.1f} s, "
        f"mlflow {theirs.started_in_s:.1f} s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
