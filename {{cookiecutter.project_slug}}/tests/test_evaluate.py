"""Metrics on tiny examples whose values are computed by hand."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import (
    prediction,
)
from {{ cookiecutter.module_name }}.training import (
    evaluate as evaluate_module,
)
from {{ cookiecutter.module_name }}.training.evaluate import (
    evaluate,
)


class FixedModel:
    """Stand-in classifier returning preset probabilities for classes 0, 1 (and 2)."""

    def __init__(self, probabilities: list[list[float]]) -> None:
        """Store each row's probabilities, one column per class."""
        self.probabilities = np.asarray(probabilities)
        self.classes_ = np.arange(self.probabilities.shape[1])

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Return the preset probabilities, as scikit-learn classifiers do."""
        return self.probabilities


@pytest.fixture
def classes(monkeypatch: pytest.MonkeyPatch):
    """Declare the classes of a hand-made example, whatever dataset.py declares."""

    def declare(values: list[int]) -> None:
        """Make evaluate() and its predictions see these classes, for one test."""
        monkeypatch.setattr(prediction, "CLASSES", values)
        monkeypatch.setattr(evaluate_module, "CLASSES", values)

    return declare


def test_two_classes_match_hand_computation(classes) -> None:
    """TP=2, FP=1, FN=1, TN=1; 5 of 6 positive/negative pairs ranked right."""
    classes([0, 1])
    y_test = pd.Series([0, 0, 1, 1, 1])
    positive = [0.1, 0.6, 0.4, 0.8, 0.9]
    model = FixedModel([[1 - p, p] for p in positive])
    metrics = evaluate(model, pd.DataFrame(index=y_test.index), y_test)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    # Class 1: precision 2/3, recall 2/3; class 0: precision 1/2, recall 1/2.
    assert metrics["precision_macro"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert metrics["recall_macro"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert metrics["f1_macro"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert metrics["roc_auc"] == pytest.approx(5 / 6)
    assert metrics["confusion_matrix"] == [[1, 1], [1, 2]]


def test_three_classes_average_each_class_equally(classes) -> None:
    """Macro averages weigh a rare class as much as a common one."""
    classes([0, 1, 2])
    y_test = pd.Series([0, 0, 0, 1, 2])
    model = FixedModel(
        [
            [0.8, 0.1, 0.1],
            [0.7, 0.2, 0.1],
            [0.6, 0.3, 0.1],
            [0.2, 0.7, 0.1],
            [0.5, 0.1, 0.4],
        ]
    )
    metrics = evaluate(model, pd.DataFrame(index=y_test.index), y_test)
    assert metrics["accuracy"] == pytest.approx(4 / 5)
    # Recall: class 0 3/3, class 1 1/1, class 2 0/1.
    assert metrics["recall_macro"] == pytest.approx((1 + 1 + 0) / 3)
    assert metrics["confusion_matrix"] == [[3, 0, 0], [0, 1, 0], [1, 0, 0]]
    assert 0 <= metrics["roc_auc"] <= 1


def test_metrics_are_plain_json_types(classes) -> None:
    """All keys are present and values are built-in types, ready for JSON."""
    classes([0, 1])
    y_test = pd.Series([0, 1])
    model = FixedModel([[0.8, 0.2], [0.3, 0.7]])
    metrics = evaluate(model, pd.DataFrame(index=y_test.index), y_test)
    assert set(metrics) == {
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "roc_auc",
        "confusion_matrix",
    }
    scores = set(metrics) - {"confusion_matrix"}
    assert all(type(metrics[key]) is float for key in scores)
    assert all(type(cell) is int for row in metrics["confusion_matrix"] for cell in row)
