"""The reference profile: what the model saw in training, for drift monitoring."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from {{ cookiecutter.module_name }}.data.parquet import write_table
from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.prediction import predict

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# Enough for precise distributions, small enough to ship with every model.
MAX_REFERENCE_ROWS = 100_000
# Folder of the training run's artifacts holding the profile, for monitoring.
REFERENCE_ARTIFACT_DIR = "monitoring"


def build_reference(
    model: Pipeline, features: pd.DataFrame, random_state: int
) -> pd.DataFrame:
    """Keep the training inputs and the model's answers on them.

    Monitoring compares the inputs the API receives with these, and the
    shares of its predicted classes with those the model gave on its
    training rows.
    """
    rows = min(len(features), MAX_REFERENCE_ROWS)
    sample = features[DATASET.feature_names].sample(n=rows, random_state=random_state)
    predicted = predict(model, sample).classes
    return sample.assign(**{DATASET.prediction: predicted})


def save_reference(reference: pd.DataFrame, path: Path) -> None:
    """Write the profile as Parquet, typed, beside the model it describes."""
    write_table(pa.Table.from_pandas(reference, preserve_index=False), str(path))
