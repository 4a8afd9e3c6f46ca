"""The drift report job: compare served predictions with training, alert if needed.

Run it by hand or from a scheduler, whose exit code tells whether to look:

    python -m {{ cookiecutter.module_name }} monitor report --since 2026-01-31
"""

from __future__ import annotations

import logging
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from {{ cookiecutter.module_name }}.config import (
    REFERENCE_FILE,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    CommandError,
    DataNotFoundError,
    first_line,
)
from {{ cookiecutter.module_name }}.monitoring.alerts import (
    post_alert,
)
from {{ cookiecutter.module_name }}.monitoring.drift import (
    Performance,
    alerts,
    feature_drifts,
    performance,
    prediction_drift,
    with_outcomes,
)
from {{ cookiecutter.module_name }}.monitoring.logs import (
    read_feedback,
    read_prediction_logs,
    read_reference,
)
from {{ cookiecutter.module_name }}.monitoring.reference import (
    REFERENCE_ARTIFACT_DIR,
)
from {{ cookiecutter.module_name }}.monitoring.report import (
    MonitoringReport,
    distribution_images,
    render_html,
    write_report,
)
from {{ cookiecutter.module_name }}.monitoring.settings import (
    MonitoringSettings,
)

logger = logging.getLogger("{{ cookiecutter.module_name }}.monitoring")

DURATION = re.compile(r"(\d+)\s*([dh])")
DURATION_UNITS = {"d": "days", "h": "hours"}


class SinceError(CommandError):
    """--since is neither a date, a date and time, nor a duration."""


def parse_since(text: str, now: datetime) -> datetime:
    """Read --since as an ISO date or time, UTC by default, or as 7d, 24h back."""
    duration = DURATION.fullmatch(text.strip())
    if duration:
        amount, unit = duration.groups()
        return now - timedelta(**{DURATION_UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SinceError(
            f"--since {text!r} is not a date (2026-01-31), a date and time "
            "(2026-01-31T12:00) or a duration (7d, 24h)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_reference(settings: MonitoringSettings) -> pd.DataFrame:
    """Read the reference profile, fetching it from MLflow for a models:/ URI.

    `models:/NAME@ALIAS` means the profile logged by the run that trained that
    version, so a scheduled report follows the champion the API serves.
    """
    uri = settings.reference_uri
    if not uri.startswith("models:/"):
        return read_reference(uri)
    # Imported here: mlflow takes seconds to load and file references need none.
    from {{ cookiecutter.module_name }}.registry import (
        TRACKING_FAILURES,
        download_run_artifact,
    )

    with tempfile.TemporaryDirectory(prefix="reference-") as folder:
        artifact = f"{REFERENCE_ARTIFACT_DIR}/{REFERENCE_FILE}"
        try:
            path = download_run_artifact(uri, artifact, settings, Path(folder))
        except TRACKING_FAILURES as error:
            raise DataNotFoundError(
                f"no reference profile for {uri} in MLflow at "
                f"{settings.mlflow_tracking_uri}: {first_line(error)}"
            ) from None
        return read_reference(str(path))


def build_report(
    settings: MonitoringSettings, since: datetime | None
) -> tuple[MonitoringReport, str]:
    """Read the inputs, compute every statistic, and lay out the HTML page."""
    reference = load_reference(settings)
    logs = read_prediction_logs(settings.prediction_log_path, since)
    current = logs.frame
    features = feature_drifts(reference, current, settings)
    prediction = prediction_drift(reference, current, settings)
    scores = feedback_performance(settings, current)
    report = MonitoringReport(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        since=since.isoformat() if since else None,
        log_uri=settings.prediction_log_path,
        reference_uri=settings.reference_uri,
        log_files=logs.files,
        predictions=len(current),
        malformed_lines=logs.malformed_lines,
        first_prediction=current["timestamp"].min().isoformat(),
        last_prediction=current["timestamp"].max().isoformat(),
        reference_rows=len(reference),
        features=features,
        prediction=prediction,
        performance=scores,
        alerts=alerts(features, prediction, scores, settings),
    )
    images = distribution_images(reference, current, DATASET.feature_names)
    return report, render_html(report, images)


def feedback_performance(
    settings: MonitoringSettings, current: pd.DataFrame
) -> Performance | None:
    """Score the predictions whose true outcome is known; None without any."""
    if settings.feedback_uri is None:
        return None
    labelled = with_outcomes(current, read_feedback(settings.feedback_uri))
    if labelled.empty:
        logger.warning(
            "No outcome in %s matches a logged prediction of the window: "
            "no accuracy or macro F1",
            settings.feedback_uri,
        )
        return None
    return performance(labelled, settings)


def run_report(settings: MonitoringSettings) -> MonitoringReport:
    """Write the report, say whether a threshold was crossed, alert if one was."""
    since = parse_since(settings.since, datetime.now(UTC)) if settings.since else None
    try:
        report, html = build_report(settings, since)
    except DataNotFoundError as error:
        raise DataNotFoundError(
            f"{error}: check --prediction-log-path, --reference-profile-uri and "
            "--feedback-uri"
        ) from None
    written = write_report(report, html, settings.monitoring_report_dir)
    logger.info(
        "Compared %d predictions (%d malformed line(s) skipped) with %d reference "
        "rows; wrote %s",
        report.predictions,
        report.malformed_lines,
        report.reference_rows,
        " and ".join(written),
    )
    if not report.alerts:
        logger.info("No threshold crossed")
        return report
    for alert in report.alerts:
        logger.warning("Alert: %s", alert)
    if settings.alert_webhook_url is not None:
        post_alert(settings.alert_webhook_url.get_secret_value(), report, written)
    return report
