"""The API as deployed: `uvicorn app.main:app` in its own process, over real HTTP."""

import json
import os
import signal
import sys
import urllib.request
from pathlib import Path

from app.settings import ApiSettings
from benchmarks.live_server import HOST, free_port, live_server
from tests.api_helpers import CHAMPION_VERSION, EXAMPLE, check_prediction, read_log

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Importing mlflow and loading the model take seconds; a slow CI gets room.
STARTUP_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 30


def test_uvicorn_serves_predictions(trained_store, tmp_path: Path) -> None:
    """Start the server as the README says, predict over HTTP, stop it cleanly."""
    port = free_port()
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
    server_log = tmp_path / "server.log"
    with live_server(
        command,
        port,
        "/ready",
        env=env,
        cwd=tmp_path,
        log=server_log,
        timeout_s=STARTUP_TIMEOUT_S,
    ) as server:
        request = urllib.request.Request(
            f"{server.base_url}/predict",
            data=json.dumps([EXAMPLE] * 3).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            assert response.status == 200
            body = json.loads(response.read())
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
