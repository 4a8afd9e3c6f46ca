"""The alert webhook, against a tiny HTTP server on 127.0.0.1: sent, or warned."""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import (
    cli,
)
from {{ cookiecutter.module_name }}.config import (
    REFERENCE_FILE,
)

from tests.monitoring_helpers import (
    LOG_ROWS,
    log_lines,
    one_category_rows,
    predicted_rows,
    write_log,
    write_reference,
)

pytestmark = pytest.mark.usefixtures("isolated_settings")


class WebhookServer(ThreadingHTTPServer):
    """A webhook receiver on a free loopback port: what it got, what it answers."""

    def __init__(self, status: int) -> None:
        """Listen on 127.0.0.1, with nothing received yet."""
        super().__init__(("127.0.0.1", 0), Receiver)
        self.received: list[dict] = []
        self.status = status


class Receiver(BaseHTTPRequestHandler):
    """Keep every JSON body posted, answering with the server's status."""

    server: WebhookServer

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        """Record the alert, then answer."""
        length = int(self.headers["Content-Length"])
        self.server.received.append(json.loads(self.rfile.read(length)))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        """Keep the test output clean."""


@pytest.fixture
def webhook(request) -> Iterator[WebhookServer]:
    """A webhook receiver answering `request.param`, 200 by default."""
    server = WebhookServer(getattr(request, "param", 200))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def drifting_report(tmp_path: Path, url: str, monkeypatch) -> int:
    """Report on a log of one category only, with ALERT_WEBHOOK_URL set to `url`."""
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
    single, _ = one_category_rows(LOG_ROWS, seed=1)
    log = write_log(tmp_path / "predictions.jsonl", log_lines(single))
    reference = write_reference(tmp_path / REFERENCE_FILE)
    argv = ["monitor", "report", "--prediction-log-path", str(log)]
    argv += ["--reference-profile-uri", str(reference)]
    return cli.main([*argv, "--monitoring-report-dir", str(tmp_path / "reports")])


def url_of(server: WebhookServer) -> str:
    """The receiver's address, with a path as real webhooks have."""
    return f"http://127.0.0.1:{server.server_port}/hooks/drift"


def test_alert_is_posted_to_the_webhook(tmp_path, webhook, monkeypatch) -> None:
    """A crossed threshold POSTs the alerts as JSON, with a chat-ready text."""
    assert drifting_report(tmp_path, url_of(webhook), monkeypatch) == 4
    (alert,) = webhook.received
    _, column = one_category_rows(1, seed=1)
    assert alert["text"].startswith(f"Drift alert: {column} drifted")
    assert any(line.startswith(f"{column} drifted") for line in alert["alerts"])
    assert alert["predictions"] == LOG_ROWS
    assert alert["report"][-1].endswith("drift_report.html")


@pytest.mark.parametrize("webhook", [500], indirect=True)
def test_failing_webhook_only_warns(tmp_path, webhook, monkeypatch, caplog) -> None:
    """A receiver answering 500 is a warning; the report and exit code stand."""
    assert drifting_report(tmp_path, url_of(webhook), monkeypatch) == 4
    assert len(webhook.received) == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("not delivered" in record.getMessage() for record in warnings)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (tmp_path / "reports" / "drift_report.html").exists()


def test_unreachable_webhook_only_warns(tmp_path, monkeypatch, caplog) -> None:
    """Nobody listening: a warning naming the host, never the URL's token."""
    url = "http://127.0.0.1:9/hooks/secret-token"
    assert drifting_report(tmp_path, url, monkeypatch) == 4
    assert "not delivered to the webhook at 127.0.0.1" in caplog.text
    assert "secret-token" not in caplog.text


def test_no_alert_no_post(tmp_path, webhook, monkeypatch) -> None:
    """Without drift, the webhook hears nothing."""
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url_of(webhook))
    log = write_log(
        tmp_path / "predictions.jsonl", log_lines(predicted_rows(LOG_ROWS, seed=1))
    )
    reference = write_reference(tmp_path / REFERENCE_FILE)
    argv = ["monitor", "report", "--prediction-log-path", str(log)]
    argv += ["--reference-profile-uri", str(reference)]
    assert cli.main([*argv, "--monitoring-report-dir", str(tmp_path / "out")]) == 0
    assert webhook.received == []
