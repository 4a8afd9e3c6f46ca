"""The drift report: a JSON summary for machines, one HTML file for people.

The HTML page embeds its figures as base64 PNGs and its style inline: it opens
offline, from a mail attachment or an S3 console, with nothing to fetch.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import asdict, dataclass
from html import escape

import pandas as pd
from matplotlib.figure import Figure

from {{ cookiecutter.module_name }}.data.io_errors import storage_errors
from {{ cookiecutter.module_name }}.data.storage import (
    filesystem,
    open_output,
    parse_uri,
    require_bucket,
)
from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.monitoring.drift import (
    FeatureDrift,
    Performance,
    PredictionDrift,
    category_counts,
)
from {{ cookiecutter.module_name }}.plots import (
    categorical_distribution_figure,
    numeric_distribution_figure,
)

HTML_FILE = "drift_report.html"
SUMMARY_FILE = "drift_summary.json"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.alert { color: #a00; font-weight: bold; }
.ok { color: #060; font-weight: bold; }
figure { display: inline-block; margin: .5rem; }
"""


@dataclass(frozen=True)
class MonitoringReport:
    """Everything the report says, in the order it says it."""

    generated_at: str
    since: str | None
    log_uri: str
    reference_uri: str
    log_files: int
    predictions: int
    malformed_lines: int
    first_prediction: str
    last_prediction: str
    reference_rows: int
    features: list[FeatureDrift]
    prediction: PredictionDrift
    performance: Performance | None
    alerts: list[str]

    def to_json(self) -> str:
        """Serialise the whole report, for dashboards and alert receivers."""
        return json.dumps(asdict(self), indent=2) + "\n"


def distribution_images(
    reference: pd.DataFrame, current: pd.DataFrame, features: list[str]
) -> dict[str, str]:
    """Draw reference vs current for each feature, as base64 PNG data."""
    images = {}
    for feature in features:
        if feature in DATASET.categorical_inputs:
            counts = category_counts(reference[feature], current[feature])
            figure = categorical_distribution_figure(
                feature, list(counts.index), counts["reference"], counts["current"]
            )
        else:
            figure = numeric_distribution_figure(
                feature, reference[feature], current[feature]
            )
        images[feature] = png_base64(figure)
    return images


def png_base64(figure: Figure) -> str:
    """Encode a figure as PNG text that an <img> tag can carry inline."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(report: MonitoringReport, images: dict[str, str]) -> str:
    """Lay the report out as one self-contained HTML page.

    The tables show the summary's own fields under their JSON names, so the page
    and drift_summary.json always tell the same story, field for field.
    """
    summary = asdict(report)
    sections = [
        f"<h1>Drift report, {escape(report.generated_at)}</h1>",
        _verdict(report.alerts),
        _inputs_table(summary),
        "<h2>Predicted classes</h2>",
        _prediction_tables(summary["prediction"]),
        "<h2>Features</h2>",
        _table(pd.DataFrame(summary["features"])),
        "<h2>Performance on feedback</h2>",
        _performance_tables(summary["performance"]),
        "<h2>Distributions</h2>",
        *(
            f'<figure><img alt="{escape(feature)}: reference vs current" '
            f'src="data:image/png;base64,{data}"></figure>'
            for feature, data in images.items()
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Drift report</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def _verdict(alerts: list[str]) -> str:
    """Open with the answer the reader came for: is anything wrong?"""
    if not alerts:
        return '<p class="ok">No threshold crossed.</p>'
    items = "".join(f"<li>{escape(alert)}</li>" for alert in alerts)
    return f'<p class="alert">Thresholds crossed:</p><ul>{items}</ul>'


def _inputs_table(summary: dict) -> str:
    """Say what was compared, so a surprising result can be traced back."""
    inputs = {
        name: value
        for name, value in summary.items()
        if name not in ("features", "prediction", "performance", "alerts")
    }
    inputs["since"] = inputs["since"] or "the beginning"
    return _table(pd.Series(inputs, name="value").to_frame(), index=True)


def _prediction_tables(prediction: dict) -> str:
    """Each class's share, then the largest move and its verdict."""
    shares = pd.DataFrame(prediction.pop("classes"))
    return _table(shares) + _table(pd.DataFrame([prediction]))


def _performance_tables(performance: dict | None) -> str:
    """Overall and daily scores, or why there are none."""
    if performance is None:
        return (
            "<p>No feedback given or matched: pass --feedback-uri (FEEDBACK_URI).</p>"
        )
    days = pd.DataFrame(performance.pop("days"))
    return _table(pd.DataFrame([performance])) + _table(days)


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    """Write a table, escaped by pandas, with verdicts spelled out.

    ALERT and ok rather than True and False: tables are read, not decoded.
    """
    verdicts = {True: "ALERT", False: "ok"}
    frame = frame.assign(
        **{str(name): frame[name].map(verdicts) for name in frame.select_dtypes(bool)}
    )
    return frame.to_html(index=index, float_format="{:.3g}".format, na_rep="n/a")


def write_report(report: MonitoringReport, html: str, folder_uri: str) -> list[str]:
    """Write the summary and the page into a local or S3 folder; return their URIs."""
    folder = parse_uri(folder_uri)
    fs = filesystem(folder)
    require_bucket(folder, fs, "write")
    written = []
    for name, text in ((SUMMARY_FILE, report.to_json()), (HTML_FILE, html)):
        target = folder.child(name)
        with storage_errors(f"write {target.uri!r}"), open_output(target, fs) as sink:
            sink.write(text.encode("utf-8"))
        written.append(target.uri)
    return written
