"""Diagnostic figures of a fitted classifier, drawn without a display."""

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

CLASS_LABELS = ["died", "survived"]


def confusion_matrix_figure(confusion: list[list[int]]) -> Figure:
    """Show where the test errors fall, from the matrix evaluate() computed."""
    figure = _agg_figure()
    axes = figure.add_subplot()
    display = ConfusionMatrixDisplay(
        confusion_matrix=np.asarray(confusion),
        display_labels=CLASS_LABELS,
    )
    display.plot(ax=axes, colorbar=False)
    axes.set_title("Test confusion matrix")
    return figure


def roc_curve_figure(model, x_test: pd.DataFrame, y_test: pd.Series) -> Figure:
    """Show the trade-offs behind the ROC AUC, which a single number hides."""
    figure = _agg_figure()
    axes = figure.add_subplot()
    RocCurveDisplay.from_estimator(model, x_test, y_test, ax=axes, name="test set")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.legend(loc="lower right")
    axes.set_title("Test ROC curve")
    return figure


def _agg_figure() -> Figure:
    """Build a figure on the Agg canvas, so servers and CI need no GUI backend."""
    figure = Figure(figsize=(5, 4), layout="constrained")
    FigureCanvasAgg(figure)
    return figure
