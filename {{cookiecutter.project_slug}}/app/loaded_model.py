"""The served model: a fitted pipeline, where it came from, and how it answers.

Apart from serving.py, which finds and loads it, so that the batching and the
metrics can name it without importing the code that loads it.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
from pydantic import ConfigDict, Field

from {{ cookiecutter.module_name }}.prediction import (
    Predictions,
    predict,
)

from app.schemas import ModelDescription


class ModelUnavailableError(RuntimeError):
    """No model can score; the message names the model and says what to do."""


class LoadedModel(ModelDescription):
    """A fitted pipeline ready to predict, with where it came from and how it scored."""

    model_config = ConfigDict(frozen=True)

    pipeline: Any = Field(exclude=True)

    def predict(self, frame: pd.DataFrame) -> Predictions:
        """Give each row's class and class probabilities from one predict_proba call.

        While it scores, one warnings filter, Python's default action, stands in
        for the fifteen the server's imports install: scikit-learn re-applies
        every filter for each joblib task (each tree of a forest), which cost a
        third of a forest's time on a few rows. Warnings still show; filters are
        process-wide, so one another thread adds meanwhile would be lost.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return predict(self.pipeline, frame)
