"""Score requests together: their rows as the model's input, one call for many."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

from pydantic import BaseModel

from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.prediction import as_columns, input_frame

from app.monitoring import ApiMetrics
from app.schemas import MAX_ROWS

if TYPE_CHECKING:
    from app.loaded_model import LoadedModel

Columns = dict[str, list]
# Under load, a batch waits at most this long for as many requests as the last one.
MAX_BATCH_WAIT_S = 0.002


@dataclass(frozen=True)
class Scores:
    """The model's answers for the rows of one request, and the model that gave them.

    Each row's predicted class, and its probabilities in the declared classes'
    order.
    """

    classes: list
    probabilities: list[list[float]]
    model: LoadedModel


@dataclass(frozen=True)
class _Waiting:
    """One request's rows, queued for the next model call."""

    columns: Columns
    rows: int
    answer: asyncio.Future[Scores]


class BatchPredictor:
    """Queue the requests' rows and score everything queued in one model call.

    The model runs on the event loop: while it scores one batch, the requests
    that arrive wait in their sockets, then are read and queued together to form
    the next batch. Under load a batch also waits, at most max_wait_s, for as
    many requests as the previous one held; a lone request is scored at once.
    """

    def __init__(
        self,
        current_model: Callable[[], LoadedModel],
        metrics: ApiMetrics,
        max_rows: int = MAX_ROWS,
        max_wait_s: float = MAX_BATCH_WAIT_S,
    ) -> None:
        """Score with whatever model current_model gives when each batch starts."""
        self._current_model = current_model
        self._metrics = metrics
        self._max_rows = max_rows
        self._max_wait_s = max_wait_s
        self._queue: list[_Waiting] = []
        self._worker: asyncio.Task | None = None
        self._expected = 1
        # Set when as many requests are queued as the previous batch held.
        self._enough = asyncio.Event()

    async def predict(self, columns: Columns, rows: int) -> Scores:
        """Score one request's rows, together with any other queued request."""
        answer = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(columns, rows, answer))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain())
        elif len(self._queue) >= self._expected:
            self._enough.set()
        return await answer

    async def _drain(self) -> None:
        """Score queued batches until the queue is empty."""
        try:
            while self._queue:
                # One turn of the event loop: requests already received join in.
                await asyncio.sleep(0)
                if len(self._queue) < self._expected:
                    self._enough.clear()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._enough.wait(), self._max_wait_s)
                batch = self._next_batch()
                self._expected = len(batch)
                self._score(batch)
        finally:
            self._worker = None

    def _next_batch(self) -> list[_Waiting]:
        """Take queued requests up to max_rows (at least one, whatever its size)."""
        taken, rows = 0, 0
        while taken < len(self._queue) and (
            taken == 0 or rows + self._queue[taken].rows <= self._max_rows
        ):
            rows += self._queue[taken].rows
            taken += 1
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    def _score(self, batch: list[_Waiting]) -> None:
        """Run one model call for the batch and hand each request its own rows."""
        try:
            model = self._current_model()
            columns = {
                name: list(chain.from_iterable(item.columns[name] for item in batch))
                for name in DATASET.feature_names
            }
            frame = input_frame(columns)
            self._metrics.batch_rows.observe(len(frame))
            predictions = model.predict(frame)
        except Exception as error:
            # Each request re-raises it: ModelUnavailableError is answered 503,
            # anything else is logged by the server and answered 500.
            for item in batch:
                if not item.answer.done():
                    item.answer.set_exception(error)
            return
        classes = predictions.classes.tolist()
        probabilities = predictions.probabilities.tolist()
        start = 0
        for item in batch:
            end = start + item.rows
            if not item.answer.done():
                item.answer.set_result(
                    Scores(classes[start:end], probabilities[start:end], model)
                )
            start = end


def row_columns(rows: Sequence[BaseModel]) -> Columns:
    """Lay validated request rows out as the model's input columns."""
    return as_columns([vars(row) for row in rows])
