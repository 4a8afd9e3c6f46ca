"""Synthetic rows that follow the declaration: for tests, benchmarks and trials.

Every declared column is drawn within its rules (allowed values, bounds,
missing values where allowed), under its name in the file, so the rows pass
the loader's checks. The target either depends on the features, for a model
to learn, or is drawn at random, for a model that learns nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Column,
    Identifier,
    Numeric,
    Target,
)
from {{ cookiecutter.module_name }}.data.parquet import (
    write_table,
)
from {{ cookiecutter.module_name }}.data.sources import (
    CSV_SUFFIXES,
)
from {{ cookiecutter.module_name }}.data.storage import (
    LOCAL,
    parse_uri,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

logger = logging.getLogger(__name__)

# Share of missing values in a column that allows them.
MISSING_SHARE = 0.1
# Span drawn for a number with no bound on one side or both.
DEFAULT_SPAN = 100.0
# Categories drawn for a text column that lists none.
UNLISTED_CATEGORIES = 4
# Noise added to the hidden score, relative to its spread: learnable, not trivial.
NOISE = 0.5
# The first class's share when the target is drawn at random.
MAJORITY_SHARE = 0.7


def synthetic_rows(rows: int, seed: int = 0, *, learnable: bool = True) -> pd.DataFrame:
    """Draw rows of every declared column, in the file's order and names.

    With `learnable`, the target follows a hidden score of the features, cut
    into classes of equal size; without, the first class takes most rows at
    random and the others share the rest.
    """
    rng = np.random.default_rng(seed)
    drawn = {
        column.source: _draw(column, rows, rng)
        for column in DATASET.columns
        if not isinstance(column, Target)
    }
    target = DATASET.target
    codes = _learnable_codes(drawn, rng) if learnable else _random_codes(rows, rng)
    drawn[target.source] = _as_values(target.classes, codes)
    order = [target.source] + [column.source for column in DATASET.columns]
    return pd.DataFrame({source: drawn[source] for source in order})


def write_synthetic_rows(uri: str, rows: int, seed: int) -> None:
    """Write synthetic rows as CSV (a local file) or Parquet (local or S3)."""
    frame = synthetic_rows(rows, seed)
    location = parse_uri(uri)
    if location.suffix in CSV_SUFFIXES and location.scheme == LOCAL:
        Path(location.path).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(location.path, index=False)
    else:
        write_table(pa.Table.from_pandas(frame, preserve_index=False), uri)
    logger.info("Wrote %d synthetic rows to %s", rows, uri)


def _draw(column: Column, rows: int, rng: np.random.Generator) -> pd.Series:
    """Draw one column within its rules; missing values where they are allowed."""
    if isinstance(column, Identifier):
        ids = pd.Series(np.arange(1, rows + 1))
        return ids if column.integer else "id-" + ids.astype(str)
    if isinstance(column, Numeric):
        values = _numbers(column, rows, rng)
    elif isinstance(column, Categorical):
        choices = column.values or tuple(
            f"{column.name}_{k}" for k in range(UNLISTED_CATEGORIES)
        )
        values = _as_values(choices, rng.integers(0, len(choices), rows))
    else:
        return f"{column.source} " + pd.Series(np.arange(rows)).astype(str)
    if getattr(column, "missing", False):
        values = values.mask(rng.random(rows) < MISSING_SHARE)
    return values


def _numbers(column: Numeric, rows: int, rng: np.random.Generator) -> pd.Series:
    """Uniform numbers between the bounds; whole ones for an integer column."""
    low, high = bounds(column)
    values = rng.uniform(low, high, rows)
    if column.integer:
        return pd.Series(np.floor(values).clip(low, high), dtype="Int64")
    return pd.Series(values.round(2).clip(low, high))


def bounds(column: Numeric) -> tuple[float, float]:
    """The range numbers are drawn in: the declared bounds, else a span beside one."""
    low, high = column.minimum, column.maximum
    if low is None:
        low = 0.0 if high is None or high > 0 else high - DEFAULT_SPAN
    if high is None:
        high = low + DEFAULT_SPAN
    if column.integer:
        low, high = float(np.ceil(low)), float(np.floor(high))
    return float(low), float(high)


def _as_values(choices: tuple, codes: np.ndarray) -> pd.Series:
    """Map codes to values, keeping integers as integers when some go missing."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in choices):
        dtype = "Int64"
    elif all(isinstance(v, bool) for v in choices):
        dtype = "boolean"
    else:
        dtype = "str"
    return pd.Series(list(choices), dtype=dtype).take(codes).reset_index(drop=True)


def _learnable_codes(
    drawn: dict[str, pd.Series], rng: np.random.Generator
) -> np.ndarray:
    """Cut a noisy score of the features into classes of equal size.

    Each feature adds its value's position in its range (a number) or in its
    list (a category), so that every feature carries some signal.
    """
    positions = [
        _position(feature, drawn[feature.source]) for feature in DATASET.features
    ]
    score = np.mean(positions, axis=0)
    score = score + rng.normal(0, NOISE * max(score.std(), 1e-9), len(score))
    classes = len(DATASET.target.classes)
    edges = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
    return np.asarray(np.searchsorted(edges, score))


def _position(feature: Numeric | Categorical, values: pd.Series) -> np.ndarray:
    """Where each value sits, from 0 to 1; a missing one in the middle."""
    if isinstance(feature, Numeric):
        low, high = bounds(feature)
        numbers = values.astype("float64").to_numpy()
        position = (numbers - low) / max(high - low, 1e-9)
    else:
        categories = pd.Categorical(values)
        position = categories.codes / max(len(categories.categories) - 1, 1)
        position = np.where(categories.codes < 0, np.nan, position)
    return np.nan_to_num(position, nan=0.5)


def _random_codes(rows: int, rng: np.random.Generator) -> np.ndarray:
    """Classes drawn at random: the first one most often, nothing to learn."""
    classes = len(DATASET.target.classes)
    others = (1 - MAJORITY_SHARE) / (classes - 1)
    shares = [MAJORITY_SHARE] + [others] * (classes - 1)
    return rng.choice(classes, size=rows, p=shares)
