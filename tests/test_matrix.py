"""The bake matrix: every pair of values, every licence and name, the defaults first."""

from __future__ import annotations

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from conftest import MATRIX
from hook_modules import pre_gen
from matrix import (
    SPREAD_OPTIONS,
    SPREAD_TEXTS,
    TEMPLATE_DIR,
    load_cookiecutter_json,
    option_values,
    spread_values,
    uncovered_pairs,
)


def test_every_pair_of_values_is_baked_together():
    paired = {
        name: values
        for name, values in option_values().items()
        if name not in SPREAD_OPTIONS
    }
    assert not uncovered_pairs(paired, MATRIX)


def test_every_value_of_a_spread_answer_is_baked():
    for name, values in spread_values().items():
        assert [row[name] for row in MATRIX[: len(values)]] == values


def test_the_first_bake_is_the_defaults():
    answers = {**option_values(), **spread_values()}
    assert MATRIX[0] == {name: values[0] for name, values in answers.items()}
    defaults = load_cookiecutter_json()
    assert all(values[0] == defaults[name] for name, values in SPREAD_TEXTS.items())


def derived_module_name(project_name: str) -> str:
    """The module name cookiecutter derives from a project name, as in a bake."""
    context = generate_context(
        str(TEMPLATE_DIR / "cookiecutter.json"),
        extra_context={"project_name": project_name},
    )
    return prompt_for_config(context, no_input=True)["module_name"]


def test_the_spread_names_give_the_shortest_and_the_longest_module():
    modules = [derived_module_name(name) for name in SPREAD_TEXTS["project_name"]]
    lengths = sorted(map(len, modules))
    assert (lengths[0], lengths[-1]) == (1, pre_gen.MAX_MODULE_LENGTH)
