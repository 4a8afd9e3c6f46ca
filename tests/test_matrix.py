"""The bake matrix: every pair of values together, every licence, defaults first."""

from __future__ import annotations

from conftest import MATRIX
from matrix import SPREAD_OPTIONS, option_values, uncovered_pairs


def test_every_pair_of_values_is_baked_together():
    paired = {
        name: values
        for name, values in option_values().items()
        if name not in SPREAD_OPTIONS
    }
    assert not uncovered_pairs(paired, MATRIX)


def test_every_value_of_a_spread_option_is_baked():
    options = option_values()
    for name in SPREAD_OPTIONS:
        assert [row[name] for row in MATRIX[: len(options[name])]] == options[name]


def test_the_first_bake_is_the_defaults():
    assert MATRIX[0] == {name: values[0] for name, values in option_values().items()}
