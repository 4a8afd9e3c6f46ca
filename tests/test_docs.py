"""The documentation builds strictly and lists exactly the template's options."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from matrix import TEMPLATE_DIR, load_cookiecutter_json


def public_questions() -> list[str]:
    """The answers a user is asked for, in prompt order."""
    return [name for name in load_cookiecutter_json() if not name.startswith("_")]


def test_site_builds_strictly_with_every_option(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path)],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    options_page = (tmp_path / "options" / "index.html").read_text()
    for name in public_questions():
        assert f"<code>{name}</code>" in options_page
    assert "options-table" not in options_page


def test_readme_option_table_lists_every_question():
    readme = (TEMPLATE_DIR / "README.md").read_text()
    table = readme.split("## Options", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)`(?:, `(\w+)`)?", table, flags=re.MULTILINE)
    names = [name for row in documented for name in row if name]
    assert names == public_questions()


def test_security_page_is_in_the_nav_and_warns_that_answers_are_jinja():
    nav = yaml.safe_load((TEMPLATE_DIR / "mkdocs.yml").read_text())["nav"]
    assert {"Security": "security.md"} in nav
    page = (TEMPLATE_DIR / "docs" / "security.md").read_text()
    headings = re.findall(r"^## (.+)$", page, flags=re.MULTILINE)
    assert headings == [
        "What the template guarantees",
        "What it cannot guarantee",
        "Reporting a problem",
    ]
    assert "Answers are Jinja" in page
