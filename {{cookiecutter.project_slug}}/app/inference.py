"""Score requests together: their rows as the model's input, one call for many."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from itertools import chain
from time import perf_counter
from typing import TYPE_CHECKING

from pydantic import BaseModel

from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.prediction import as_columns, input_frame

from app.monitoring import ApiMetrics
from app.schemas import MAX_ROWS

if TYPE_CHECKING:
    from app.loaded_model import LoadedModel

Columns = dict[str, list]
# Under load, a batch waits for as many requests as the largest batch of the
# last second held (the load there is), as long as the last model call took at
# most: by then every client that was answered has sent its next request.
PEAK_WINDOW_S = 1.0
MAX_BATCH_WAIT_S = 0.02


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
    the next batch. Under load a batch also waits for as many requests as the
    largest batch of the last second held, for as long as the last model call
    took (max_wait_s at most): a client whose answer or next request is a
    little late still joins the others, where waiting only for as many as the
    previous batch held let smaller batches persist. A lone request is scored
    at once.
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
        # The batches of the last PEAK_WINDOW_S, as (time, requests): the load
        # to wait for; and how long the last model call took.
        self._recent: deque[tuple[float, int]] = deque()
        self._last_call_s = 0.0
        # Set when as many requests are queued as the recent batches held.
        self._enough = asyncio.Event()

    async def predict(self, columns: Columns, rows: int) -> Scores:
        """Score one request's rows, together with any other queued request."""
        answer = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(columns, rows, answer))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain())
        elif len(self._queue) >= self._expected():
            self._enough.set()
        return await answer

    async def _drain(self) -> None:
        """Score queued batches until the queue is empty."""
        try:
            while self._queue:
                # One turn of the event loop: requests already received join in.
                await asyncio.sleep(0)
                if len(self._queue) < self._expected():
                    self._enough.clear()
                    wait_s = min(self._last_call_s, self._max_wait_s)
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._enough.wait(), wait_s)
                batch = self._next_batch()
                started = perf_counter()
                self._score(batch)
                self._last_call_s = perf_counter() - started
                self._recent.append((started, len(batch)))
        finally:
            self._worker = None

    def _expected(self) -> int:
        """The largest batch of the last PEAK_WINDOW_S: the requests to wait for."""
        horizon = perf_counter() - PEAK_WINDOW_S
        while self._recent and self._recent[0][0] < horizon:
            self._recent.popleft()
        return max((count for _, count in self._recent), default=1)

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
