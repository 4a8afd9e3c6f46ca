"""Score requests together: a model call costs about the same for 1 row or 1,000."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from itertools import chain

from {{ cookiecutter.module_name }}.features import INPUT_FEATURES

from app.model_input import Columns, build_frame
from app.model_loader import LoadedModel, ModelSlot, ModelUnavailableError
from app.monitoring import ApiMetrics
from app.schemas import MAX_ROWS

# Under load, a batch waits at most this long for as many requests as the last one.
MAX_BATCH_WAIT_S = 0.002


@dataclass(frozen=True)
class Scores:
    """The model's answers for the rows of one request, and the model that gave them."""

    survived: list[int]
    probability: list[float]
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
        models: ModelSlot,
        metrics: ApiMetrics,
        max_rows: int = MAX_ROWS,
        max_wait_s: float = MAX_BATCH_WAIT_S,
    ) -> None:
        """Score with whatever model the slot holds when each batch starts."""
        self._models = models
        self._metrics = metrics
        self._max_rows = max_rows
        self._max_wait_s = max_wait_s
        self._queue: list[_Waiting] = []
        self._worker: asyncio.Task | None = None
        self._expected = 1
        self._enough: asyncio.Future[None] | None = None

    async def predict(self, columns: Columns, rows: int) -> Scores:
        """Score one request's rows, together with any other queued request."""
        answer = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(columns, rows, answer))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain())
        elif len(self._queue) >= self._expected and self._enough is not None:
            _settle(self._enough)
        return await answer

    async def _drain(self) -> None:
        """Score queued batches until the queue is empty."""
        try:
            while self._queue:
                # One turn of the event loop: requests already received join in.
                await asyncio.sleep(0)
                if len(self._queue) < self._expected:
                    await self._wait_for_more()
                batch = self._next_batch()
                self._expected = len(batch)
                self._score(batch)
        finally:
            self._worker = None

    async def _wait_for_more(self) -> None:
        """Wait until the expected number of requests is queued, or max_wait_s."""
        loop = asyncio.get_running_loop()
        self._enough = loop.create_future()
        timer = loop.call_later(self._max_wait_s, _settle, self._enough)
        try:
            await self._enough
        finally:
            timer.cancel()
            self._enough = None

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
        model = self._models.current
        try:
            if model is None:
                raise ModelUnavailableError(self._models.failure)
            columns = {
                name: list(chain.from_iterable(item.columns[name] for item in batch))
                for name in INPUT_FEATURES
            }
            frame = build_frame(columns)
            self._metrics.observe_batch(len(frame))
            survived, probability = model.predict(frame)
        except Exception as error:
            # Each request re-raises it: logged by the server, answered 500.
            for item in batch:
                if not item.answer.done():
                    item.answer.set_exception(error)
            return
        survived, probability = survived.tolist(), probability.tolist()
        start = 0
        for item in batch:
            end = start + item.rows
            if not item.answer.done():
                item.answer.set_result(
                    Scores(survived[start:end], probability[start:end], model)
                )
            start = end


def _settle(future: asyncio.Future[None]) -> None:
    """Wake the batch waiting on this future, unless it is already awake."""
    if not future.done():
        future.set_result(None)
