"""Prometheus metrics of the API: traffic, latency, predictions and the served model."""

from __future__ import annotations

from collections import Counter as Tally
from time import perf_counter
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from {{ cookiecutter.module_name }}.dataset import DATASET

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from app.loaded_model import LoadedModel

# Most requests take milliseconds: finer buckets at the low end than the default.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 10_000)
# Requests matching no route share one label, so unknown paths cannot flood it.
UNMATCHED_ROUTE = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
UNVERSIONED = "none"


class ApiMetrics:
    """The metrics of one app, in a registry of its own so apps never share counts."""

    def __init__(self) -> None:
        """Declare every metric up front, so they are exported from the start."""
        self.registry = CollectorRegistry()
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "http_requests",
            "HTTP requests, by route template and status code.",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route template and status code.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Labelled by the target's name, one series per declared class.
        self.predictions = Counter(
            "predictions",
            f"Predicted rows, by predicted class ({DATASET.target.name}).",
            [DATASET.target.name],
            registry=self.registry,
        )
        for value in DATASET.target.classes:
            self.predictions.labels(str(value))
        self.batch_rows = Histogram(
            "model_batch_rows",
            "Rows per model call; requests arriving together share a call.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.model = Gauge(
            "model_info",
            "The served model: 1 for its registered name and version.",
            ["model_name", "model_version"],
            registry=self.registry,
        )

    def count_predictions(self, classes: list) -> None:
        """Count the predicted classes of one request."""
        for predicted, count in Tally(classes).items():
            self.predictions.labels(str(predicted)).inc(count)

    def set_model(self, model: LoadedModel) -> None:
        """Point the info gauge at the newly served model, forgetting the old one."""
        self.model.clear()
        self.model.labels(model.name, model.version or UNVERSIONED).set(1)


class MetricsMiddleware:
    """Time every HTTP request and count it by route template and status code.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware would add a task and
    a copy of the response body to every request. prometheus-fastapi-instrumentator
    labels its metrics `handler`, and unmatched paths `none`: the documented
    `route` and `unmatched` labels, which dashboards and alerts use, would change.
    """

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        """Wrap the application; metrics receive one observation per request."""
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through, noting its status code and duration."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        # A request that raises before answering is answered 500 by Starlette.
        status = 500

        async def send_noting_status(message: Message) -> None:
            """Remember the status code as the response starts."""
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            # The router stores the matched route in the scope; its template
            # (/predict, not /predict?age=3) keeps the label set small.
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            method = (
                scope["method"] if scope["method"] in HTTP_METHODS else OTHER_METHOD
            )
            labels = (method, route, str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(perf_counter() - start)
