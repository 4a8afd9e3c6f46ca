"""MkDocs hook: build the options table from cookiecutter.json at every docs build.

The prompts users see and the documented options come from the same file, so
the documentation cannot drift from the template.
"""

from __future__ import annotations

import json
from pathlib import Path

COOKIECUTTER_JSON = Path(__file__).resolve().parent.parent / "cookiecutter.json"
MARKER = "<!-- options-table -->"


def describe_default(value: object) -> str:
    """Show choices default first, booleans as JSON, and derived values as such."""
    if isinstance(value, list):
        return ", ".join(f"`{choice}`" for choice in value)
    if isinstance(value, bool):
        return f"`{json.dumps(value)}`"
    if "{{" in str(value):
        return "derived from the answers above"
    return f"`{value}`"


def prompt_text(prompt: object) -> str:
    """Take the question of a plain prompt or of a choice prompt with labels."""
    if isinstance(prompt, dict):
        labels = "; ".join(
            f"`{choice}`: {label}"
            for choice, label in prompt.items()
            if choice != "__prompt__"
        )
        return f"{prompt['__prompt__']} ({labels})"
    return str(prompt)


def options_table() -> str:
    """Render one Markdown row per question of cookiecutter.json."""
    questions = json.loads(COOKIECUTTER_JSON.read_text())
    prompts = questions["__prompts__"]
    rows = [
        f"| `{name}` | {prompt_text(prompts[name])} | {describe_default(value)} |"
        for name, value in questions.items()
        if not name.startswith("_")
    ]
    header = ["| Answer | Question | Default (first) and choices |", "|---|---|---|"]
    return "\n".join(header + rows)


def on_page_markdown(markdown: str, **_: object) -> str:
    """Replace the marker with the current table wherever a page holds it."""
    return markdown.replace(MARKER, options_table())
