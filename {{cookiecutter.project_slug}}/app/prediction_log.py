"""The prediction log: one JSON line per scored row, the input of drift monitoring."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic_core import to_json

from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.errors import first_line
from {{ cookiecutter.module_name }}.monitoring.log_schema import LOG_COLUMNS

if TYPE_CHECKING:
    from app.inference import Columns, Scores

logger = logging.getLogger(__name__)


class PredictionLog:
    """Append one JSON line per predicted row to a file and to stdout.

    A request hands its rows to one writer thread, which serialises and writes
    them in order: a batch of 1,000 rows costs one write, not 1,000, and the
    event loop serves other requests meanwhile. The request answers once its
    lines are in the file (not synced): an answered prediction survives the
    process being killed. The lines are data for the monitoring job, not
    diagnostics: LOG_LEVEL does not silence them.
    """

    def __init__(self, path: Path) -> None:
        """Remember the file; nothing is opened before open()."""
        self.path = path
        self._writer: ThreadPoolExecutor | None = None

    def open(self) -> None:
        """Create the folder and start the thread that writes the lines."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="prediction-log")

    def close(self) -> None:
        """Write what is still queued, then stop the writer thread."""
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None

    async def write(
        self,
        request_id: str,
        identifiers: list,
        columns: Columns,
        scores: Scores,
        latency_ms: float,
    ) -> None:
        """Write every row of one request, with its inputs, answer and model."""
        if self._writer is None:
            raise RuntimeError(f"the prediction log {self.path} is not open")
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        lines = partial(
            json_lines,
            timestamp,
            request_id,
            identifiers,
            columns,
            scores,
            latency_ms,
        )
        await asyncio.wrap_future(self._writer.submit(self._append, lines))

    def _append(self, lines: Callable[[], str]) -> None:
        """Serialise the lines, in this thread, and write them to both places.

        The file is opened for each batch, so that a log moved away by logrotate
        is created again. A failed write is one error line, never lost silently,
        and the answer still leaves: monitoring loses those rows, not the caller.
        """
        try:
            text = lines() + "\n"
            with self.path.open("a", encoding="utf-8") as file:
                file.write(text)
        except (OSError, ValueError) as error:
            logger.error(
                "Prediction log %s not written: %s", self.path, first_line(error)
            )
            return
        sys.stdout.write(text)
        sys.stdout.flush()


def json_lines(
    timestamp: str,
    request_id: str,
    identifiers: list,
    columns: Columns,
    scores: Scores,
    latency_ms: float,
) -> str:
    """One JSON object per row, its fields in the order LOG_COLUMNS gives; NaN as null.

    A missing input is NaN in the columns, written as null to stay valid JSON.
    Without a declared identifier, the rows have no identifier field.
    """
    model = scores.model
    head = [repeat(timestamp), repeat(request_id), range(len(identifiers))]
    if DATASET.identifier:
        head.append(iter(identifiers))
    rows = zip(
        *head,
        *(columns[name] for name in DATASET.feature_names),
        scores.classes,
        *zip(*scores.probabilities, strict=True),
        repeat(model.name),
        repeat(model.version),
        repeat(round(latency_ms, 3)),
    )
    lines = (
        to_json(dict(zip(LOG_COLUMNS, row, strict=True)), inf_nan_mode="null")
        for row in rows
    )
    return b"\n".join(lines).decode()
