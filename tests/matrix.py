"""The option combinations the suite bakes, derived from cookiecutter.json.

Every option with a fixed set of values (a choice list or a boolean) is part of
the matrix. When the full product is small it is baked whole; otherwise a
pairwise cover bakes every pair of values of every two options at least once.
Options that change text only (SPREAD_OPTIONS) are left out of the pairs and
dealt out over the rows instead, so each of their values is still baked whole;
so are a few typed answers (SPREAD_TEXTS), the project's name among them.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
MAX_FULL_PRODUCT = 64
# The licence changes LICENSE, the README and the metadata, nothing that runs:
# pairing its five values with the three Pythons alone would take 15 bakes.
SPREAD_OPTIONS = ("license",)
# The name sets the length of every line that holds the module or the slug:
# black rewraps a line a short name shortens (a red CI from the first push),
# and a long one overflows. The last name makes the longest module the hook
# takes (30 characters). Default first, like the options.
SPREAD_TEXTS = {
    "project_name": ["Titanic Survival", "Q", "Titanic Survival Model Of 1912"],
}


def load_cookiecutter_json() -> dict[str, object]:
    """Read the template's questions and defaults."""
    return json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())


def option_values() -> dict[str, list[object]]:
    """Map each public option with fixed values to its values, default first."""
    options = {}
    for name, value in load_cookiecutter_json().items():
        if name.startswith("_"):
            continue
        if isinstance(value, list):
            options[name] = list(value)
        elif isinstance(value, bool):
            options[name] = [value, not value]
    return options


def uncovered_pairs(
    options: dict[str, list[object]], rows: list[dict[str, object]]
) -> set[tuple[str, object, str, object]]:
    """Return the value pairs of two options that no row bakes together."""
    wanted = {
        (first, a, second, b)
        for first, second in itertools.combinations(options, 2)
        for a in options[first]
        for b in options[second]
    }
    covered = {
        (first, row[first], second, row[second])
        for row in rows
        for first, second in itertools.combinations(options, 2)
    }
    return wanted - covered


def pairwise_cover(options: dict[str, list[object]]) -> list[dict[str, object]]:
    """Build a small set of rows covering every pair of values (greedy, stable).

    Each new row starts from the first uncovered pair and fills the remaining
    options one at a time with the value covering the most uncovered pairs.
    """
    rows: list[dict[str, object]] = []
    missing = uncovered_pairs(options, rows)
    while missing:
        first, a, second, b = min(missing, key=lambda pair: _pair_rank(options, pair))
        row = {first: a, second: b}
        for name, values in options.items():
            if name not in row:
                row[name] = max(values, key=lambda v: _gain(row, name, v, missing))
        rows.append(row)
        missing = uncovered_pairs(options, rows)
    return rows


def _pair_rank(options: dict[str, list[object]], pair: tuple) -> tuple[int, ...]:
    """Order pairs by option position then value position, for a stable cover."""
    names = list(options)
    first, a, second, b = pair
    return (
        names.index(first),
        options[first].index(a),
        names.index(second),
        options[second].index(b),
    )


def _gain(row: dict[str, object], name: str, value: object, missing: set) -> int:
    """Count the uncovered pairs that giving ``name`` this ``value`` would cover."""
    return sum(
        (other, row[other], name, value) in missing
        or (name, value, other, row[other]) in missing
        for other in row
    )


def spread_values() -> dict[str, list[object]]:
    """Map each answer dealt out down the rows to its values, default first."""
    options = option_values()
    return {**{name: options[name] for name in SPREAD_OPTIONS}, **SPREAD_TEXTS}


def bake_matrix() -> list[dict[str, object]]:
    """Return the combinations to bake: the full product or a pairwise cover.

    The first row is the defaults; the spread answers take their values in turn
    down the rows.
    """
    options = option_values()
    spread = spread_values()
    paired = {
        name: values for name, values in options.items() if name not in SPREAD_OPTIONS
    }
    if math.prod(len(values) for values in paired.values()) <= MAX_FULL_PRODUCT:
        rows = [
            dict(zip(paired, row, strict=True))
            for row in itertools.product(*paired.values())
        ]
    else:
        rows = pairwise_cover(paired)
    return [
        {
            name: row[name] if name in row else values[index % len(values)]
            for name, values in {**options, **spread}.items()
        }
        for index, row in enumerate(rows)
    ]


def bake_id(answers: dict[str, object]) -> str:
    """Name a combination by its non-default values, for readable test ids."""
    options = {**option_values(), **spread_values()}
    changed = [
        f"{name}={answers[name]}"
        for name, values in options.items()
        if answers[name] != values[0]
    ]
    return ",".join(changed) or "defaults"
