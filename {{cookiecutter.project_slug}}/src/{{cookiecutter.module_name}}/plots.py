"""Diagnostic figures of a fitted classifier, drawn without a display."""

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

CLASS_LABELS = ["died", "survived"]
DISTRIBUTION_BINS = 30
REFERENCE_STYLE = {"label": "reference (training)", "color": "tab:blue"}
CURRENT_STYLE = {"label": "current (served)", "color": "tab:orange"}


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


def numeric_distribution_figure(
    feature: str, reference: pd.Series, current: pd.Series
) -> Figure:
    """Overlay both histograms, as densities, so samples of any size compare."""
    figure = _agg_figure()
    axes = figure.add_subplot()
    values = pd.concat([reference, current]).dropna()
    edges = np.histogram_bin_edges(values, bins=DISTRIBUTION_BINS)
    for sample, style in ((reference, REFERENCE_STYLE), (current, CURRENT_STYLE)):
        # Binned first: plotting a million values one by one would take seconds.
        counts, _ = np.histogram(sample.dropna(), bins=edges, density=True)
        axes.stairs(counts, edges, fill=True, alpha=0.45, **style)
    axes.set_xlabel(feature)
    axes.set_ylabel("density")
    axes.legend()
    axes.set_title(f"{feature}: reference vs current")
    return figure


def categorical_distribution_figure(
    feature: str, categories: list[str], reference_counts, current_counts
) -> Figure:
    """Show each category's share side by side, missing values included."""
    figure = _agg_figure()
    axes = figure.add_subplot()
    positions = np.arange(len(categories))
    width = 0.4
    for offset, counts, style in (
        (-width / 2, reference_counts, REFERENCE_STYLE),
        (width / 2, current_counts, CURRENT_STYLE),
    ):
        shares = np.asarray(counts) / max(np.sum(counts), 1)
        axes.bar(positions + offset, shares, width, **style)
    axes.set_xticks(positions, categories)
    axes.set_xlabel(feature)
    axes.set_ylabel("share")
    axes.legend()
    axes.set_title(f"{feature}: reference vs current")
    return figure
