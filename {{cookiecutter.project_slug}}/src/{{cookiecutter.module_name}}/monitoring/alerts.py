"""Tell someone: POST the report's alerts as JSON to a webhook."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from {{ cookiecutter.module_name }}.errors import first_line
from {{ cookiecutter.module_name }}.monitoring.report import MonitoringReport

logger = logging.getLogger(__name__)

# A slow receiver must not hold the monitoring job for long.
WEBHOOK_TIMEOUT = 10


def post_alert(url: str, report: MonitoringReport, written: list[str]) -> bool:
    """POST the alerts, with a `text` line that chat webhooks display as is.

    A failure is logged as a warning, never raised: the report is already
    written and the exit code already says that a threshold was crossed, so a
    receiver that is down loses nothing.
    """
    payload = {
        "text": f"Drift alert: {'; '.join(report.alerts)}",
        "alerts": report.alerts,
        "predictions": report.predictions,
        "since": report.since,
        "report": written,
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            status = response.status
    except (urllib.error.URLError, OSError, ValueError) as error:
        # The URL may hold a token (Slack, Teams): name its host only.
        host = urllib.parse.urlsplit(url).hostname
        logger.warning(
            "Alert not delivered to the webhook at %s: %s", host, first_line(error)
        )
        return False
    logger.info("Alert delivered to the webhook (HTTP %d)", status)
    return True
