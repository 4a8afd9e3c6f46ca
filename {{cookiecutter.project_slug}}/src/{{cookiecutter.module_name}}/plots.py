"""Diagnostic figures of a fitted classifier, drawn without a display."""

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay
from sklearn.pipeline import Pipeline

from {{ cookiecutter.module_name }}.dataset import DATASET
from {{ cookiecutter.module_name }}.prediction import CLASSES, predict

DISTRIBUTION_BINS = 30
REFERENCE_STYLE: dict[str, Any] = {"label": "reference (training)", "color": "tab:blue"}
CURRENT_STYLE: dict[str, Any] = {"label": "current (served)", "color": "tab:orange"}


def confusion_matrix_figure(confusion: list[list[int]]) -> Figure:
    """Show where the test errors fall, from the matrix evaluate() computed."""
    labels = [DATASET.target.label(value) for value in CLASSES]
    display = ConfusionMatrixDisplay(np.asarray(confusion), display_labels=labels)
    display.plot(ax=_agg_figure()[1], colorbar=False)
    display.ax_.set_title("Test confusion matrix")
    return display.figure_


def roc_curve_figure(
    model: Pipeline, x_test: pd.DataFrame, y_test: pd.Series
) -> Figure:
    """Show the trade-offs behind the ROC AUC, which a single number hides.

    Two classes give one curve, for the greater class as scikit-learn's AUC
    takes it; more classes give one curve per class against all the others.
    """
    figure, axes = _agg_figure()
    probabilities = predict(model, x_test).probabilities
    shown = [max(CLASSES)] if len(CLASSES) == 2 else CLASSES
    for value in shown:
        RocCurveDisplay.from_predictions(
            np.asarray(y_test) == value,
            probabilities[:, CLASSES.index(value)],
            ax=axes,
            name=DATASET.target.label(value),
            plot_chance_level=value == shown[-1],
        )
    axes.set_title("Test ROC curve")
    return figure


def numeric_distribution_figure(
    feature: str, reference: pd.Series, current: pd.Series
) -> Figure:
    """Overlay both histograms, as densities, so samples of any size compare."""
    figure, axes = _agg_figure()
    values = pd.concat([reference, current]).dropna()
    edges = np.histogram_bin_edges(values, bins=DISTRIBUTION_BINS)
    for sample, style in ((reference, REFERENCE_STYLE), (current, CURRENT_STYLE)):
        # One filled outline per sample: a bar per bin would be slower to draw.
        axes.hist(
            sample.dropna(),
            edges.tolist(),
            density=True,
            histtype="stepfilled",
            alpha=0.45,
            **style,
        )
    _label_comparison(axes, feature, "density")
    return figure


def categorical_distribution_figure(
    feature: str,
    categories: list[str],
    reference_counts: pd.Series,
    current_counts: pd.Series,
) -> Figure:
    """Show each category's share side by side, missing values included."""
    figure, axes = _agg_figure()
    positions = np.arange(len(categories))
    width = 0.4
    for offset, counts, style in (
        (-width / 2, reference_counts, REFERENCE_STYLE),
        (width / 2, current_counts, CURRENT_STYLE),
    ):
        shares = np.asarray(counts) / max(np.sum(counts), 1)
        axes.bar(positions + offset, shares, width, **style)
    axes.set_xticks(positions, categories)
    _label_comparison(axes, feature, "share")
    return figure


def _agg_figure() -> tuple[Figure, Axes]:
    """A new figure and its axes on the Agg canvas, so servers and CI need no GUI."""
    figure = Figure(figsize=(5, 4), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _label_comparison(axes: Axes, feature: str, measure: str) -> None:
    """Label a reference-versus-current figure the same way for every feature."""
    axes.set(xlabel=feature, ylabel=measure, title=f"{feature}: reference vs current")
    axes.legend()
