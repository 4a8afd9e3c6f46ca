"""The README's layout section and the project's modules name the same files."""

import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("src", "app", "benchmarks", "deployment")


def layout_section() -> str:
    """The text of the README's Layout section."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def module_names() -> set[str]:
    """Every Python module a reader may open, package markers left out."""
    return {
        path.name
        for folder in CODE_FOLDERS
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if path.name != "__init__.py"
    }


def test_layout_names_every_module() -> None:
    """A new module shows in the README, so the tour of the code stays whole."""
    named = set(re.findall(r"[\w.]+\.py\b", layout_section()))
    assert module_names() - named == set()


def test_layout_names_no_missing_module() -> None:
    """A module removed or renamed leaves no stale line in the README."""
    named = set(re.findall(r"[\w.]+\.py\b", layout_section()))
    assert named - module_names() - {"main.py"} == set()
