"""Drift statistics on known cases: identical, shifted, emptied, untestable."""

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.monitoring.drift import (
    binned_counts,
    category_counts,
    feature_drift,
    population_stability,
    quantile_edges,
)
from {{ cookiecutter.module_name }}.monitoring.job import SinceError, parse_since
from {{ cookiecutter.module_name }}.monitoring.settings import MonitoringSettings

# The documented defaults, whatever the environment holds.
LIMITS = MonitoringSettings.model_construct()
RNG = np.random.default_rng(0)
AGES = pd.Series(RNG.normal(30, 12, size=5_000))


def test_psi_is_zero_for_identical_shares() -> None:
    """The same shares, whatever the sample sizes, give 0."""
    assert population_stability(np.array([10, 30, 60]), np.array([1, 3, 6])) == 0


def test_psi_grows_with_the_shift() -> None:
    """A moved distribution gives a PSI past the usual 0.2 mark."""
    edges = quantile_edges(AGES)
    small = population_stability(
        binned_counts(AGES, edges), binned_counts(AGES + 1, edges)
    )
    large = population_stability(
        binned_counts(AGES, edges), binned_counts(AGES + 15, edges)
    )
    assert 0 < small < 0.1 < 0.2 < large


def test_binned_counts_keep_missing_values_apart() -> None:
    """Missing values land in a last bin, so a rise in them is seen."""
    counts = binned_counts(pd.Series([1.0, 2.0, None, None]), np.array([1.5]))
    assert counts.tolist() == [1, 1, 2]


def test_category_counts_cover_both_sides() -> None:
    """A category new in production is counted, with zero in the reference."""
    counts = category_counts(pd.Series(["S", "C", None]), pd.Series(["Q", "S"]))
    assert counts.to_dict("list") == {
        "reference": [1, 1, 0, 1],
        "current": [0, 0, 1, 1],
    }
    assert list(counts.index) == ["(missing)", "C", "Q", "S"]


def test_significant_but_tiny_shift_is_not_drift() -> None:
    """On a large sample a one-year shift is significant, yet not a drift."""
    ages = pd.Series(RNG.normal(30, 12, size=200_000))
    drift = feature_drift("measure", ages, ages + 1, LIMITS)
    assert drift.p_value is not None
    assert (
        drift.p_value < LIMITS.drift_p_value and drift.psi < LIMITS.drift_psi_threshold
    )
    assert not drift.drifted


def test_feature_missing_in_production_drifts_without_a_test() -> None:
    """An input no longer sent cannot be tested; its missing share still shows."""
    drift = feature_drift("measure", AGES, pd.Series([np.nan] * 100), LIMITS)
    assert drift.p_value is None and drift.current_missing == 1
    assert drift.drifted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T12:30", datetime(2026, 1, 31, 12, 30, tzinfo=UTC)),
        ("2026-01-31T12:30+01:00", datetime(2026, 1, 31, 11, 30, tzinfo=UTC)),
        ("7d", datetime(2026, 1, 24, 12, tzinfo=UTC)),
        ("24h", datetime(2026, 1, 30, 12, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    """Dates are UTC unless an offset says otherwise; durations count back."""
    assert parse_since(text, datetime(2026, 1, 31, 12, tzinfo=UTC)) == expected


def test_parse_since_refuses_words() -> None:
    """A word is refused with the accepted forms."""
    with pytest.raises(SinceError, match="7d, 24h"):
        parse_since("last week", datetime.now(UTC))
