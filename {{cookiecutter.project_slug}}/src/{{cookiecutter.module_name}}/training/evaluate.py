"""Test-set metrics, to judge the model on data it never saw: two classes or more."""

import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline

from {{ cookiecutter.module_name }}.prediction import (
    CLASSES,
    predict,
)


def evaluate(model: Pipeline, x_test: pd.DataFrame, y_test: pd.Series) -> dict:
    """Score a fitted classifier; the test set must hold every class for the ROC AUC.

    Precision, recall and F1 are macro averages: each class counts the same,
    however rare, with two classes as with ten. The ROC AUC of more than two
    classes averages each class against the others.
    """
    predictions = predict(model, x_test)
    predicted, probabilities = predictions.classes, predictions.probabilities
    if len(CLASSES) == 2:
        # scikit-learn's positive class of two is the greater one, sorted.
        positive = CLASSES.index(max(CLASSES))
        auc = roc_auc_score(y_test, probabilities[:, positive])
    else:
        auc = roc_auc_score(y_test, probabilities, multi_class="ovr", labels=CLASSES)
    averaged = {"labels": CLASSES, "average": "macro", "zero_division": 0}
    return {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "precision_macro": float(precision_score(y_test, predicted, **averaged)),
        "recall_macro": float(recall_score(y_test, predicted, **averaged)),
        "f1_macro": float(f1_score(y_test, predicted, **averaged)),
        "roc_auc": float(auc),
        "confusion_matrix": confusion_matrix(
            y_test, predicted, labels=CLASSES
        ).tolist(),
    }
