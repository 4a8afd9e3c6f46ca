"""The prediction log: one JSON line per scored row, the input of drift monitoring."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from logging.handlers import QueueHandler, QueueListener, WatchedFileHandler
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING

from pydantic_core import to_json

from {{ cookiecutter.module_name }}.features import PREDICTION, PROBABILITY
from {{ cookiecutter.module_name }}.monitoring.log_schema import LOG_COLUMNS

if TYPE_CHECKING:
    from app.inference import Scores
    from app.model_input import Columns

# Its own handlers and format, not the root logger's: the lines are data for the
# monitoring job, not diagnostics, and LOG_LEVEL does not silence them.
PREDICTION_LOGGER = "app.predictions"
# A line's fields shared by the request's rows, then its own, then shared again.
LOG_FIELDS = tuple(LOG_COLUMNS)
FIRST_FIELDS, ROW_FIELDS, LAST_FIELDS = (
    LOG_FIELDS[:2],
    LOG_FIELDS[2:-3],
    LOG_FIELDS[-3:],
)


class PredictionLog:
    """Append one JSON line per predicted row to a file and to stdout.

    A request hands its rows to a background thread as one message, which that
    thread serialises and writes: a batch of 1,000 rows costs one write, not
    1,000, and the request waits neither for the JSON nor for the disk.
    """

    def __init__(self, path: Path) -> None:
        """Remember the file; nothing is opened before open()."""
        self.path = path
        self._logger = logging.getLogger(PREDICTION_LOGGER)
        self._queue_handler: _UnformattedQueueHandler | None = None
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
        self._queue_handler = _UnformattedQueueHandler(queue)
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
        """Queue every row of one request, with its inputs, answer and model."""
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._logger.info(
            _Lines(timestamp, request_id, passenger_ids, columns, scores, latency_ms)
        )


@dataclass(frozen=True)
class _Lines:
    """One request's log lines, serialised when first written, not when queued."""

    timestamp: str
    request_id: str
    passenger_ids: list[int | None]
    columns: Columns
    scores: Scores
    latency_ms: float

    def __str__(self) -> str:
        """The JSON lines; each handler asks, the first call pays."""
        return self.text

    @cached_property
    def text(self) -> str:
        """Fill a line template per row with values serialised column by column.

        One to_json call per column, not one per row: 1,000 rows cost a
        millisecond, not several. The request's own fields are serialised once,
        into the template.
        """
        model = self.scores.model
        template = _line_template(
            _fields_json(FIRST_FIELDS, (self.timestamp, self.request_id)),
            _fields_json(
                LAST_FIELDS, (model.name, model.version, round(self.latency_ms, 3))
            ),
        )
        columns = {
            "row": range(len(self.passenger_ids)),
            "passenger_id": self.passenger_ids,
            **self.columns,
            PREDICTION: self.scores.survived,
            PROBABILITY: self.scores.probability,
        }
        values = (_column_values(columns[name]) for name in ROW_FIELDS)
        return b"\n".join(template % row for row in zip(*values, strict=True)).decode()


def _fields_json(names: tuple[str, ...], values: tuple) -> bytes:
    """These fields as a JSON object, with % escaped to sit in a line template."""
    return to_json(dict(zip(names, values, strict=True))).replace(b"%", b"%%")


def _line_template(first: bytes, last: bytes) -> bytes:
    """A line with a %s per row field, between the two objects' fields."""
    keys = b"".join(b',"%s":%%s' % name.encode() for name in ROW_FIELDS)
    return first[:-1] + keys + b"," + last[1:]


def _column_values(column: Sequence) -> list[bytes]:
    """Each value of a column as JSON, from one serialiser call; NaN as null.

    A missing input is NaN in the columns, written as null to stay valid JSON.
    Splitting on commas is safe: the values are numbers, null, and the words
    the schema allows for sex and port, none of which holds a comma.
    """
    return to_json(list(column), inf_nan_mode="null")[1:-1].split(b",")


class _UnformattedQueueHandler(QueueHandler):
    """Queue records as they are, for the writer thread to format.

    QueueHandler formats in the caller's thread, ready for another process; the
    listener here is a thread of the same process, so the request skips that.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """Leave the record untouched: its message is formatted when written."""
        return record
