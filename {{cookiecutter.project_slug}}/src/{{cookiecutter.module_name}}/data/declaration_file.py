"""Write a guessed declaration as dataset.py: Python to review, lint-clean as written.

Every call is laid out one argument per line with a trailing comma, the way
black keeps it, and each column carries, as a comment, what `infer` observed.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Column,
    Identifier,
    Numeric,
    Target,
)
from {{ cookiecutter.module_name }}.data.infer import (
    Inferred,
)
from {{ cookiecutter.module_name }}.errors import (
    CommandError,
)

INDENT = "    "
LINE_LENGTH = 88
# The package this module belongs to: dataset.py imports the vocabulary from it.
PACKAGE = __name__.split(".", 1)[0]
HEADER = '''"""THE DATA: each column of {title}, the target and its classes.

Written by `dataset infer` from the file below: review it. Check each column's
kind (a number that is a code is Categorical), the bounds, which columns may be
missing, and the descriptions, which label the demo page's form; name what one
row is and the question the demo page asks. Training, the API, scoring,
monitoring and the tests take their columns, rules and examples from DATASET.

{uri}
"""

from {package}.data.declaration import (
{imports})

DATASET = Dataset(
'''


def render(inferred: Inferred, uri: str) -> str:
    """The whole file: docstring, imports, then DATASET, one argument per line."""
    dataset = inferred.dataset
    kinds = sorted(
        {"Dataset", "Target", *(type(g.column).__name__ for g in inferred.guesses)}
    )
    lines = [
        HEADER.format(
            title=dataset.title,
            uri=uri,
            package=PACKAGE,
            imports="".join(f"{INDENT}{kind},\n" for kind in kinds),
        ).rstrip("\n")
    ]
    for name in ("title", "row", "question", "description"):
        lines.append(f"{INDENT}{name}={literal(getattr(dataset, name))},")
    lines += _comment(f"Rows per class: {_counts(inferred)}.", 1)
    lines.append(f"{INDENT}target={_call(dataset.target, 1)},")
    lines.append(f"{INDENT}columns=(")
    for guess in inferred.guesses:
        lines += _comment(guess.reason, 2)
        lines.append(f"{INDENT * 2}{_call(guess.column, 2)},")
    lines.append(f"{INDENT}),")
    lines += _comment("Rows of the file: the first starts the demo form.", 1)
    lines.append(f"{INDENT}examples=(")
    for example in dataset.examples:
        lines.append(f"{INDENT * 2}{_exploded('{', '}', _pairs(example), 2)},")
    lines.append(f"{INDENT}),")
    lines.append(")")
    return "\n".join(lines) + "\n"


def _comment(text: str, depth: int) -> list[str]:
    """A comment wrapped within the line length, at the depth of what it explains."""
    prefix = f"{INDENT * depth}# "
    return [prefix + line for line in textwrap.wrap(text, LINE_LENGTH - len(prefix))]


def _counts(inferred: Inferred) -> str:
    """Each class and its rows, as the file holds them."""
    return ", ".join(
        f"{value} {count:,}" for value, count in inferred.class_counts.items()
    )


def _call(column: Column, depth: int) -> str:
    """A column's constructor call: file and code names, then what is declared."""
    keywords: dict[str, Any] = {}
    if isinstance(column, Target):
        keywords["classes"] = column.classes
    if isinstance(column, Numeric):
        keywords |= {
            "minimum": column.minimum,
            "maximum": column.maximum,
            "integer": column.integer or None,
        }
    if isinstance(column, Categorical):
        keywords["values"] = column.values
    if isinstance(column, Identifier):
        keywords["integer"] = column.integer
    if isinstance(column, Numeric | Categorical):
        keywords["missing"] = column.missing or None
    keywords["description"] = column.description
    arguments = [literal(column.source), literal(column.name)] + [
        f"{name}={_value(value, depth + 1)}"
        for name, value in keywords.items()
        if value is not None
    ]
    return _exploded(f"{type(column).__name__}(", ")", arguments, depth)


def _pairs(example: Mapping[str, Any]) -> list[str]:
    """An example's fields as dict entries."""
    return [f"{literal(name)}: {literal(value)}" for name, value in example.items()]


def _value(value: Any, depth: int) -> str:
    """A keyword's value; a tuple of values is laid out like a call."""
    if isinstance(value, tuple):
        return _exploded("(", ")", [literal(item) for item in value], depth)
    return literal(value)


def _exploded(opening: str, closing: str, items: Iterable[str], depth: int) -> str:
    """One item per line, each followed by a comma: black keeps it as it is."""
    inner = INDENT * (depth + 1)
    body = "".join(f"{inner}{item},\n" for item in items)
    return f"{opening}\n{body}{INDENT * depth}{closing}"


def literal(value: Any) -> str:
    """A Python literal of a value, with double quotes as black writes them."""
    if isinstance(value, str) and '"' not in value:
        return '"' + repr(value)[1:-1] + '"'
    if isinstance(value, float) and value.is_integer():
        return repr(int(value)) if abs(value) < 1e15 else repr(value)
    return repr(value)


def write_declaration(text: str, path: Path, *, force: bool) -> None:
    """Write the file whole or not at all; never replace one unless told to.

    The text goes to a temporary file beside the target, then takes its name
    at once: an interrupted write leaves the previous declaration as it was.
    """
    if path.exists() and not force:
        raise CommandError(
            f"{path} already declares a dataset: pass --force to replace it (git "
            "keeps the previous one), or --output to write another file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".dataset-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
