"""The prediction log: one JSON line per scored row, the input of drift monitoring."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener, WatchedFileHandler
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING

from pydantic_core import to_json

from {{ cookiecutter.module_name }}.features import (
    INPUT_FEATURES,
    PREDICTION,
    PROBABILITY,
)

if TYPE_CHECKING:
    from app.inference import Columns, Scores

# Its own handlers and format, not the root logger's: the lines are data for the
# monitoring job, not diagnostics, and LOG_LEVEL does not silence them.
PREDICTION_LOGGER = "app.predictions"
# The documented schema, in this order; the feature, prediction and probability
# names are those of batch scoring, so monitoring reads both the same way.
LOG_FIELDS = (
    "timestamp",
    "request_id",
    "row",
    "passenger_id",
    *INPUT_FEATURES,
    PREDICTION,
    PROBABILITY,
    "model_name",
    "model_version",
    "latency_ms",
)


class PredictionLog:
    """Append one JSON line per predicted row to a file and to stdout.

    A request's lines are serialised at once and handed to a background thread
    as one message, so a batch of 1,000 rows costs one write, not 1,000, and the
    request never waits for the disk.
    """

    def __init__(self, path: Path) -> None:
        """Remember the file; nothing is opened before open()."""
        self.path = path
        self._logger = logging.getLogger(PREDICTION_LOGGER)
        self._queue_handler: QueueHandler | None = None
        self._listener: QueueListener | None = None

    def open(self) -> None:
        """Create the folder and start the thread that writes the lines."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # WatchedFileHandler reopens the file if logrotate moves it away.
        writers = [
            WatchedFileHandler(self.path, encoding="utf-8"),
            logging.StreamHandler(sys.stdout),
        ]
        for writer in writers:
            writer.setFormatter(logging.Formatter("%(message)s"))
        queue: SimpleQueue = SimpleQueue()
        self._listener = QueueListener(queue, *writers)
        self._queue_handler = QueueHandler(queue)
        self._logger.addHandler(self._queue_handler)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        self._listener.start()

    def close(self) -> None:
        """Write what is still queued, then close the file."""
        if self._listener is None:
            return
        self._listener.stop()
        self._logger.removeHandler(self._queue_handler)
        for writer in self._listener.handlers:
            writer.close()
        self._listener = None

    def write(
        self,
        request_id: str,
        passenger_ids: list[int | None],
        columns: Columns,
        scores: Scores,
        latency_ms: float,
    ) -> None:
        """Log every row of one request, with its inputs, answer and model."""
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        model = scores.model
        shared = (model.name, model.version, round(latency_ms, 3))
        rows = zip(
            passenger_ids,
            *(columns[name] for name in INPUT_FEATURES),
            scores.survived,
            scores.probability,
            strict=True,
        )
        lines = b"\n".join(
            # A missing input is NaN in the columns: written as null, valid JSON.
            to_json(
                dict(
                    zip(
                        LOG_FIELDS,
                        (timestamp, request_id, row, *values, *shared),
                        strict=True,
                    )
                ),
                inf_nan_mode="null",
            )
            for row, values in enumerate(rows)
        )
        self._logger.info("%s", lines.decode())
