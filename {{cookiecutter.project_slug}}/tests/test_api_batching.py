"""Shared batches: concurrent requests scored together, each getting its own rows."""

import asyncio
import math
import random
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.prediction import (
    Predictions,
    as_columns,
)

from app.inference import BatchPredictor, row_columns
from app.loaded_model import ModelUnavailableError
from app.monitoring import ApiMetrics
from app.schemas import Row
from app.serving import ServingState
from tests.api_helpers import EXAMPLE, api_settings
from tests.declared import CLASSES

# The input that carries each row's number to the stand-in model. Rows are laid
# out as the API does once they are validated, so any feature can carry it.
MARKER = DATASET.feature_names[0]


class EchoModel:
    """Stand-in model whose answers reveal which row they belong to."""

    def __init__(self) -> None:
        """Record the size of every batch it is given."""
        self.batch_sizes: list[int] = []

    def predict(self, frame: pd.DataFrame) -> Predictions:
        """Class from the row's number, in turn; probabilities from it too."""
        self.batch_sizes.append(len(frame))
        numbers = frame[MARKER].to_numpy(dtype=int)
        return Predictions(
            np.asarray(CLASSES).take(numbers % len(CLASSES)),
            np.column_stack([numbers / 1000] * len(CLASSES)),
        )


class BrokenModel:
    """Stand-in model that fails on every call."""

    def predict(self, frame: pd.DataFrame) -> Predictions:
        """Fail as a model given unusable input would."""
        raise RuntimeError("model exploded")


def request_rows(first: int, count: int) -> tuple[dict, int]:
    """Columns of `count` rows whose marker holds their number."""
    rows = [{**EXAMPLE, MARKER: number} for number in range(first, first + count)]
    return as_columns(rows), count


def batcher_with(model, **options) -> BatchPredictor:
    """A batcher scoring with `model`."""
    return BatchPredictor(lambda: model, ApiMetrics(), **options)


def test_rows_are_laid_out_as_the_model_reads_them() -> None:
    """Validated rows become one list per input, in order, a missing value as NaN.

    NaN, not None: scikit-learn's imputers take None in a text column for a
    category of its own.
    """
    rows = [Row(**example) for example in DATASET.examples]
    columns = row_columns(rows)
    assert list(columns) == DATASET.feature_names
    for name, values in columns.items():
        assert None not in values
        read = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
        assert read == [example.get(name) for example in DATASET.examples]


def test_concurrent_requests_share_a_call_and_get_their_own_rows() -> None:
    """Twenty requests at once: fewer model calls, every answer in its own order."""
    model = EchoModel()
    batcher = batcher_with(model)

    async def score_all() -> list:
        """Send the requests together, as concurrent clients would."""
        return await asyncio.gather(
            *(batcher.predict(*request_rows(10 * index, 3)) for index in range(20))
        )

    answers = asyncio.run(score_all())
    assert sum(model.batch_sizes) == 60
    assert len(model.batch_sizes) < 20
    for index, scores in enumerate(answers):
        numbers = range(10 * index, 10 * index + 3)
        assert scores.classes == [CLASSES[n % len(CLASSES)] for n in numbers]
        assert scores.probabilities == [[n / 1000] * len(CLASSES) for n in numbers]
        assert scores.model is model


def test_batches_stay_under_max_rows() -> None:
    """Requests are not merged past max_rows; a single larger one still passes."""
    model = EchoModel()
    batcher = batcher_with(model, max_rows=10)

    async def score_all() -> None:
        """Two 6-row requests and one of 12."""
        await asyncio.gather(
            batcher.predict(*request_rows(0, 6)),
            batcher.predict(*request_rows(6, 6)),
            batcher.predict(*request_rows(12, 12)),
        )

    asyncio.run(score_all())
    assert model.batch_sizes == [6, 6, 12]


def test_lone_request_is_not_held_back() -> None:
    """After a busy batch, a lone request waits at most max_wait_s, then alone."""
    model = EchoModel()
    batcher = batcher_with(model, max_wait_s=0.05)

    async def busy_then_alone() -> float:
        """Five requests together, then one on its own, timed."""
        await asyncio.gather(*(batcher.predict(*request_rows(i, 1)) for i in range(5)))
        loop = asyncio.get_running_loop()
        start = loop.time()
        await batcher.predict(*request_rows(99, 1))
        return loop.time() - start

    assert asyncio.run(busy_then_alone()) < 1
    assert model.batch_sizes[-1] == 1


def test_model_failure_reaches_every_request_of_the_batch() -> None:
    """A failing model call fails each of its requests, and the next ones too."""
    batcher = batcher_with(BrokenModel())

    async def score_all() -> tuple[object, ...]:
        """Two requests in one batch."""
        return await asyncio.gather(
            batcher.predict(*request_rows(0, 2)),
            batcher.predict(*request_rows(2, 2)),
            return_exceptions=True,
        )

    errors = asyncio.run(score_all())
    assert [str(error) for error in errors] == ["model exploded"] * 2


def test_no_model_is_reported(tmp_path: Path) -> None:
    """Before any model loads, ModelUnavailableError, which the API answers 503."""
    settings = api_settings(f"sqlite:///{tmp_path / 'absent.db'}", "none", tmp_path)
    batcher = ServingState(settings, ApiMetrics()).batcher
    with pytest.raises(ModelUnavailableError, match="no model loaded yet"):
        asyncio.run(batcher.predict(*request_rows(0, 1)))


class SlowEchoModel(EchoModel):
    """The echo model, taking a while per call as a real model does."""

    def __init__(self, call_s: float) -> None:
        """Spend call_s on every call."""
        super().__init__()
        self.call_s = call_s

    def predict(self, frame: pd.DataFrame) -> Predictions:
        """Answer as the echo model does, after call_s."""
        time.sleep(self.call_s)
        return super().predict(frame)


def test_clients_a_little_late_still_share_the_call() -> None:
    """Eight clients whose next requests come back unevenly: full batches all along.

    Each client sends its next request a network round trip after its answer,
    from 0.5 to 4 ms. Waiting 2 ms for as many requests as the previous batch
    held, the late ones missed it, and smaller batches persisted; waiting up to
    a model call for the last second's largest batch keeps the eight together.
    """
    model = SlowEchoModel(call_s=0.02)
    batcher = batcher_with(model, max_wait_s=0.05)
    round_trips = random.Random(3)

    async def client(first: int) -> None:
        """Send twenty requests, one after the other, each a round trip late."""
        for index in range(20):
            await batcher.predict(*request_rows(first + index, 1))
            await asyncio.sleep(round_trips.uniform(0.0005, 0.004))

    async def run_clients() -> None:
        """Eight clients at once."""
        await asyncio.gather(*(client(100 * number) for number in range(8)))

    asyncio.run(run_clients())
    assert sum(model.batch_sizes) == 8 * 20
    assert statistics.median(model.batch_sizes) == 8
