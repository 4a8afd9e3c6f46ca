"""Metrics on a tiny example whose values are computed by hand."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.training.evaluate import evaluate


class FixedModel:
    """Stand-in classifier returning preset probabilities, thresholded at 0.5."""

    def __init__(self, probability: list[float]) -> None:
        """Store the positive-class probability of each row."""
        self.probability = np.asarray(probability)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Return both class columns, as scikit-learn classifiers do."""
        return np.column_stack([1 - self.probability, self.probability])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predict survival when the probability reaches one half."""
        return (self.probability >= 0.5).astype(int)


def test_metrics_match_hand_computation() -> None:
    """TP=2, FP=1, FN=1, TN=1; 5 of 6 positive/negative pairs ranked right."""
    y_test = pd.Series([0, 0, 1, 1, 1])
    model = FixedModel([0.1, 0.6, 0.4, 0.8, 0.9])
    metrics = evaluate(model, pd.DataFrame(index=y_test.index), y_test)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["f1"] == pytest.approx(2 / 3)
    assert metrics["roc_auc"] == pytest.approx(5 / 6)
    assert metrics["confusion_matrix"] == [[1, 1], [1, 2]]


def test_metrics_are_plain_json_types() -> None:
    """All keys are present and values are built-in types, ready for JSON."""
    y_test = pd.Series([0, 1])
    metrics = evaluate(FixedModel([0.2, 0.7]), pd.DataFrame(index=y_test.index), y_test)
    assert set(metrics) == {
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "confusion_matrix",
    }
    scores = set(metrics) - {"confusion_matrix"}
    assert all(type(metrics[key]) is float for key in scores)
    assert all(type(cell) is int for row in metrics["confusion_matrix"] for cell in row)
