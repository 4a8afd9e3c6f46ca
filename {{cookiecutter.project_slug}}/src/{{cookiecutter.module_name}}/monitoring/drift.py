"""Drift statistics: how far the served inputs and answers moved from training.

A test alone flags any tiny difference once a million predictions are logged,
and a distance alone is noise on a few dozen: a feature drifts when its test
is significant and its population stability index (PSI) is large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score

from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.monitoring.settings import (
    MonitoringSettings,
)

PSI_BINS = 10
# Share given to an empty bin, so that PSI stays finite when a value vanishes.
PSI_FLOOR = 1e-4
MISSING = "(missing)"


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's comparison: its test, its PSI and the verdict."""

    feature: str
    kind: str
    test: str
    statistic: float | None
    p_value: float | None
    psi: float
    reference_missing: float
    current_missing: float
    drifted: bool


@dataclass(frozen=True)
class ClassShare:
    """One class's share of the predictions, in training and now."""

    predicted: str
    reference_share: float
    current_share: float
    shift: float


@dataclass(frozen=True)
class PredictionDrift:
    """How the predicted classes' shares moved; the largest move decides."""

    classes: list[ClassShare]
    largest_shift: float
    drifted: bool


@dataclass(frozen=True)
class DailyPerformance:
    """Accuracy and macro F1 of one day's predictions whose outcome is known."""

    day: str
    predictions: int
    accuracy: float
    f1_macro: float


@dataclass(frozen=True)
class Performance:
    """The scores on every prediction with a known outcome, then day by day."""

    predictions: int
    accuracy: float
    f1_macro: float
    degraded: bool
    days: list[DailyPerformance]


def feature_drifts(
    reference: pd.DataFrame, current: pd.DataFrame, limits: MonitoringSettings
) -> list[FeatureDrift]:
    """Compare every model input, in the order the model receives them."""
    return [
        feature_drift(feature, reference[feature], current[feature], limits)
        for feature in DATASET.feature_names
    ]


def feature_drift(
    feature: str, reference: pd.Series, current: pd.Series, limits: MonitoringSettings
) -> FeatureDrift:
    """Test one feature with the test suited to its kind, and compute its PSI."""
    statistic: float | None  # None when one side has no value: nothing to test
    if feature in DATASET.categorical_inputs:
        kind, test = "categorical", "chi-square"
        statistic, p_value = chi_square(reference, current)
        counts = category_counts(reference, current)
        psi = population_stability(counts["reference"], counts["current"])
    else:
        kind, test = "numeric", "Kolmogorov-Smirnov"
        statistic, p_value = kolmogorov_smirnov(reference, current)
        edges = quantile_edges(reference)
        psi = population_stability(
            binned_counts(reference, edges), binned_counts(current, edges)
        )
    # An untestable feature (no value on one side) is judged by its PSI, whose
    # missing-value bin sees the change.
    significant = p_value is None or p_value < limits.drift_p_value
    return FeatureDrift(
        feature=feature,
        kind=kind,
        test=test,
        statistic=statistic,
        p_value=p_value,
        psi=psi,
        reference_missing=float(reference.isna().mean()),
        current_missing=float(current.isna().mean()),
        drifted=significant and psi >= limits.drift_psi_threshold,
    )


def kolmogorov_smirnov(
    reference: pd.Series, current: pd.Series
) -> tuple[float | None, float | None]:
    """Largest gap between the two distributions, on the values present."""
    ref, cur = reference.dropna().to_numpy(), current.dropna().to_numpy()
    if len(ref) == 0 or len(cur) == 0:
        return None, None
    result = stats.ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


def chi_square(reference: pd.Series, current: pd.Series) -> tuple[float, float | None]:
    """Test whether both samples share category shares, missing as a category."""
    counts = category_counts(reference, current).to_numpy().T
    if counts.shape[1] < 2:
        # One category on both sides: nothing can have moved.
        return 0.0, 1.0
    result = stats.chi2_contingency(counts)
    return float(result.statistic), float(result.pvalue)


def category_counts(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Count each category on both sides, over the categories either side has.

    One row per category, sorted, and the columns `reference` and `current`.
    """
    counts = pd.DataFrame(
        {
            "reference": reference.fillna(MISSING).value_counts(),
            "current": current.fillna(MISSING).value_counts(),
        }
    )
    return counts.fillna(0).astype(int).sort_index()


def quantile_edges(reference: pd.Series) -> np.ndarray:
    """Cut points giving the reference equal shares; fewer for few distinct values."""
    values = reference.dropna().to_numpy()
    if len(values) == 0:
        return np.array([])
    inner = np.quantile(values, np.linspace(0, 1, PSI_BINS + 1)[1:-1])
    return np.unique(inner)


def binned_counts(values: pd.Series, edges: np.ndarray) -> np.ndarray:
    """Count values per bin, with a last bin for missing values."""
    present = values.dropna().to_numpy()
    bins = np.bincount(
        np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1
    )
    return np.append(bins, values.isna().sum())


def population_stability(expected: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """PSI: sum of (actual - expected) * ln(actual / expected) over the bins.

    Below 0.1 nothing moved, above 0.2 the population changed; floored shares
    keep an emptied or new bin from making it infinite.
    """
    expected_share = _shares(expected)
    actual_share = _shares(actual)
    return float(
        np.sum((actual_share - expected_share) * np.log(actual_share / expected_share))
    )


def _shares(counts: npt.ArrayLike) -> np.ndarray:
    """Turn counts into shares, floored so that none is zero."""
    values = np.asarray(counts, dtype=float)
    return np.maximum(values / max(values.sum(), 1), PSI_FLOOR)


def prediction_drift(
    reference: pd.DataFrame, current: pd.DataFrame, limits: MonitoringSettings
) -> PredictionDrift:
    """Compare each class's share of the predictions with training's.

    With two classes both shares move by the same amount; with more, the
    largest move says how far the answers drifted.
    """
    classes = list(DATASET.target.classes)
    reference_shares = _class_shares(reference[DATASET.prediction], classes)
    current_shares = _class_shares(current[DATASET.prediction], classes)
    shares = [
        ClassShare(
            predicted=DATASET.target.label(value),
            reference_share=reference_shares[value],
            current_share=current_shares[value],
            shift=current_shares[value] - reference_shares[value],
        )
        for value in classes
    ]
    largest = max((share.shift for share in shares), key=abs)
    return PredictionDrift(
        classes=shares,
        largest_shift=largest,
        drifted=abs(largest) > limits.prediction_rate_shift,
    )


def _class_shares(predicted: pd.Series, classes: list) -> dict:
    """Each declared class's share of the predicted column, 0 for an absent one."""
    shares = predicted.value_counts(normalize=True)
    return {value: float(shares.get(value, 0.0)) for value in classes}


def with_outcomes(predictions: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Pair each logged prediction with its true outcome, where one is known."""
    return predictions.merge(
        feedback[["request_id", "row", DATASET.target.name]], on=["request_id", "row"]
    )


def performance(labelled: pd.DataFrame, limits: MonitoringSettings) -> Performance:
    """Score the predictions with a known outcome, overall and per UTC day.

    A steady fall while the inputs stay put is concept drift: the link between
    the inputs and the target changed, and the model must be retrained.
    """
    accuracy, f1_macro = _scores(labelled)
    days = labelled["timestamp"].dt.strftime("%Y-%m-%d")
    return Performance(
        predictions=len(labelled),
        accuracy=accuracy,
        f1_macro=f1_macro,
        degraded=accuracy < limits.min_feedback_accuracy,
        days=[
            DailyPerformance(str(day), len(group), *_scores(group))
            for day, group in labelled.groupby(days, sort=True)
        ],
    )


def _scores(labelled: pd.DataFrame) -> tuple[float, float]:
    """Accuracy and macro F1 of the predicted class against the true outcome."""
    truth = labelled[DATASET.target.name]
    predicted = labelled[DATASET.prediction]
    classes = list(DATASET.target.classes)
    return (
        float(accuracy_score(truth, predicted)),
        float(
            f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)
        ),
    )


def alerts(
    features: list[FeatureDrift],
    prediction: PredictionDrift,
    scores: Performance | None,
    limits: MonitoringSettings,
) -> list[str]:
    """Say, one line each, which thresholds were crossed and by how much."""
    lines = [
        f"{drift.feature} drifted ({drift.test} p-value "
        f"{three_digits(drift.p_value)} < {limits.drift_p_value}, "
        f"PSI {drift.psi:.3f} >= {limits.drift_psi_threshold})"
        for drift in features
        if drift.drifted
    ]
    if prediction.drifted:
        moved = next(
            share
            for share in prediction.classes
            if share.shift == prediction.largest_shift
        )
        lines.append(
            f"predicted share of {moved.predicted!r} moved by {moved.shift:+.3f} "
            f"({moved.reference_share:.3f} in training, "
            f"{moved.current_share:.3f} now; limit "
            f"{limits.prediction_rate_shift})"
        )
    if scores is not None and scores.degraded:
        lines.append(
            f"accuracy {scores.accuracy:.3f} on {scores.predictions} predictions "
            f"with feedback is below {limits.min_feedback_accuracy}"
        )
    return lines


def three_digits(value: float | None) -> str:
    """Write a statistic readably, however small; an untestable one as n/a."""
    return "n/a" if value is None else f"{value:.3g}"
