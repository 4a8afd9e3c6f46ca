"""Batch scoring: apply the registered model to a file of rows, to Parquet."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from {{ cookiecutter.module_name }}.config import (
    ScoreSettings,
    ServedModelSettings,
)
from {{ cookiecutter.module_name }}.data.load import (
    checked_rows,
)
from {{ cookiecutter.module_name }}.data.parquet import (
    parquet_file,
    write_parquet,
)
from {{ cookiecutter.module_name }}.data.sources import (
    read_batches,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    TrackingError,
    first_line,
)
from {{ cookiecutter.module_name }}.prediction import (
    check_model,
    predict,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

# A long run says how far it got, at most this often: enough to tell it is
# alive and when it will end, without flooding a job's log.
PROGRESS_SECONDS = 30.0


def score(model: Pipeline, rows: pd.DataFrame) -> pd.DataFrame:
    """Add the predicted class and each class's probability to the inputs."""
    features = rows[DATASET.feature_names]
    identifier = DATASET.identifier
    kept = [identifier.name] if identifier and identifier.name in rows.columns else []
    return rows[kept + DATASET.feature_names].assign(
        **predict(model, features).columns()
    )


def read_model(settings: ServedModelSettings) -> Pipeline:
    """Load the model through MLflow, or say which one failed and what to do.

    A model whose classes or inputs are not the declared ones is refused here,
    before anything is scored or written.
    """
    # Imported once the input is known good: mlflow takes seconds to load.
    from {{ cookiecutter.module_name }}.registry import TRACKING_FAILURES, load_model

    uri = settings.served_model_uri
    try:
        model = load_model(uri, settings)
    except TRACKING_FAILURES as error:
        raise TrackingError(
            f"cannot load model {uri} (tracking URI "
            f"{settings.mlflow_tracking_uri}): {first_line(error)}; train one with "
            "`python main.py` or pass --model-uri"
        ) from None
    check_model(model, uri)
    return model


def score_file(settings: ScoreSettings) -> None:
    """Check every row, load the model, then score and write batch by batch.

    Memory follows the batch size, not the file's: the checks run in DuckDB
    over the whole input first, so a bad value anywhere fails before the model
    is loaded, and the output appears complete or not at all.
    """
    started = time.monotonic()
    parquet_file(settings.output)  # a wrong name fails before any reading
    with checked_rows(
        settings.input,
        require_target=False,
        missing_hint="pass an existing file to --input",
    ) as rows:
        model = read_model(settings)
        progress = Progress(rows.row_count, started)
        with rows.batches(settings.batch_rows) as reader:
            batches = read_batches(reader, settings.input)
            scores = scored_tables(model, batches, progress)
            first = next(scores)  # its schema is every batch's
            write_parquet(chain([first], scores), first.schema, settings.output)
    logger.info(
        "Scored %s rows in %.1f s with %s, predicted %s; wrote %s",
        f"{progress.rows:,}",
        progress.seconds(),
        settings.served_model_uri,
        ", ".join(f"{value}: {count:,}" for value, count in progress.counts()),
        settings.output,
    )


def scored_tables(
    model: Pipeline, batches: Iterable[pa.RecordBatch], progress: Progress
) -> Iterator[pa.Table]:
    """Score each batch of inputs with the model, as an Arrow table to write."""
    for batch in batches:
        scores = score(model, batch.to_pandas())
        progress.add(scores[DATASET.prediction])
        yield pa.Table.from_pandas(scores, preserve_index=False)


@dataclass
class Progress:
    """Count the rows and classes scored; say how far a long run got."""

    total: int
    started: float
    rows: int = 0
    classes: Counter[object] = field(default_factory=Counter)
    reported: float = field(default_factory=time.monotonic)

    def add(self, predicted: pd.Series) -> None:
        """Count a batch's predictions; log the progress if it is time to."""
        self.rows += len(predicted)
        self.classes.update(predicted.value_counts().to_dict())
        now = time.monotonic()
        if now - self.reported >= PROGRESS_SECONDS and self.rows < self.total:
            self.reported = now
            rate = self.rows / self.seconds()
            logger.info(
                "Scored %s of %s rows (%.0f%%), %s rows/s, about %.0f s left",
                f"{self.rows:,}",
                f"{self.total:,}",
                100 * self.rows / self.total,
                f"{rate:,.0f}",
                (self.total - self.rows) / rate,
            )

    def seconds(self) -> float:
        """Time since the command started: checks, model and scoring."""
        return time.monotonic() - self.started

    def counts(self) -> list[tuple[object, int]]:
        """Rows predicted in each declared class, in the declaration's order."""
        return [(value, self.classes[value]) for value in DATASET.target.classes]
