"""Checks run on every baked combination: files, leftovers, lint, formats, setup."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

import jinja2
import nbformat
import pytest
import yaml

from conftest import MATRIX, MATRIX_IDS, require_python
from hook_modules import post_gen
from matrix import TEMPLATE_DIR

PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
# Made by the post-generation hook (git, the venv and its editable install, the
# installers' log), and Hypothesis' own cache (it ignores itself in git) when the
# baked suite has run.
SETUP_ARTIFACTS = (".git", ".venv", "src/*.egg-info", ".hypothesis", "bake.log")
# The default estimator and its searched parameters, which only model.py names.
ESTIMATOR_NAMES = re.compile(r"RandomForest|n_estimators|max_depth")
DEBRIS = re.compile(r"\{\{-?\s*cookiecutter|\{%|%\}|\{#|#\}")
LICENSE_FIRST_LINES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "GPL-3.0-only": "GNU GENERAL PUBLIC LICENSE",
    "Proprietary": "Copyright (c)",
}
SPDX_EXPRESSIONS = {
    "MIT": "MIT",
    "Apache-2.0": "Apache-2.0",
    "BSD-3-Clause": "BSD-3-Clause",
    "GPL-3.0-only": "GPL-3.0-only",
    "Proprietary": "LicenseRef-Proprietary",
}

pytestmark = pytest.mark.parametrize("answers", MATRIX, ids=MATRIX_IDS)


def baked_files(project: Path) -> set[str]:
    """List the project's files, leaving out what git and the venv step made."""
    names = (path.relative_to(project).as_posix() for path in project.rglob("*"))
    return {
        name
        for name in names
        if (project / name).is_file() and not matches_any(name, SETUP_ARTIFACTS)
    }


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Tell whether a file, or a folder above it, matches one of the globs."""
    parts = name.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(
        fnmatch.fnmatchcase(prefix, pattern)
        for prefix in prefixes
        for pattern in patterns
    )


def expected_files(context: dict[str, object]) -> set[str]:
    """Render the template's file names, then drop what the hook prunes."""
    render = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string
    names = {
        render(path.relative_to(PROJECT_TEMPLATE).as_posix()).render(
            cookiecutter=context
        )
        for path in PROJECT_TEMPLATE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    # The lock and its exports, which the hook writes.
    names |= {"uv.lock", *post_gen.EXPORTS}
    patterns = post_gen.paths_to_prune(context)
    return {name for name in names if not matches_any(name, patterns)}


def test_file_set_is_exactly_the_selected_one(bakery, answers):
    bake = bakery.bake(answers)
    assert baked_files(bake.path) == expected_files(bake.context)


def test_no_template_debris(bakery, answers):
    project = bakery.bake(answers).path
    leftovers = [
        f"{name}: {match.group()}"
        for name in sorted(baked_files(project))
        for match in DEBRIS.finditer((project / name).read_text(errors="replace"))
    ]
    assert leftovers == []


def test_ruff_and_black_are_clean(bakery, answers):
    project = bakery.bake(answers).path
    for command in (["ruff", "check", "--no-cache", "."], ["black", "--check", "."]):
        completed = subprocess.run(
            command, cwd=project, capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_lint_does_not_depend_on_data_folders(bakery, answers, tmp_path):
    """The README's data/raw/titanic.csv must not change ruff's verdict, as in CI."""
    project = tmp_path / "project"
    shutil.copytree(
        bakery.bake(answers).path,
        project,
        ignore=shutil.ignore_patterns(".venv", ".git"),
    )
    (project / "data" / "raw").mkdir(parents=True)
    completed = subprocess.run(
        ["ruff", "check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout


def test_lock_is_current_and_exported(bakery, answers):
    """uv.lock matches pyproject.toml, and each requirements file is its export."""
    project = bakery.bake(answers).path
    # The project's Python: without a .venv, uv would otherwise download one.
    python = require_python(answers["python_version"])
    lock = ["uv", "lock", "--check", "--quiet", "--python", python]
    # The bake's own test of its exports, without its conftest (which needs the
    # bake's venv): the template's Python has pytest, packaging and uv.
    exports = [sys.executable, "-m", "pytest", "--noconftest", "-q"]
    exports += ["-p", "no:cacheprovider", "tests/test_dependencies.py"]
    checks = (lock, exports)
    for command in checks:
        completed = subprocess.run(
            command, cwd=project, capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_readme_gives_each_export_command(bakery, answers):
    """The README's refresh commands are those at the top of the exports.

    uv leaves --quiet out of the header; the README keeps it, or the command
    prints the whole file.
    """
    project = bakery.bake(answers).path
    command = re.compile(r"^(?:#\s+)?(uv export .*)$", re.MULTILINE)
    headers = [
        command.search(path.read_text()).group(1)
        for path in project.glob("requirements*.txt")
    ]
    readme = command.findall((project / "README.md").read_text())
    quiet = [line.replace("uv export --quiet ", "uv export ") for line in readme]
    assert sorted(quiet) == sorted(headers)
    assert all(line.startswith("uv export --quiet ") for line in readme)


def test_structured_files_parse(bakery, answers):
    project = bakery.bake(answers).path
    parsers = {
        ".toml": tomllib.loads,
        ".json": json.loads,
        ".yaml": lambda text: list(yaml.safe_load_all(text)),
        ".yml": lambda text: list(yaml.safe_load_all(text)),
    }
    parsed = 0
    for name in baked_files(project):
        parse = parsers.get(Path(name).suffix)
        if parse is not None:
            parse((project / name).read_text())
            parsed += 1
    assert parsed >= 2  # pyproject.toml and .pre-commit-config.yaml at least


def test_pyproject_carries_the_answers(bakery, answers):
    project = bakery.bake(answers).path
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["requires-python"] == f">={answers['python_version']}"
    assert metadata["license"] == SPDX_EXPRESSIONS[answers["license"]]
    assert metadata["name"] == project.name


def test_license_matches_the_answer(bakery, answers):
    project = bakery.bake(answers).path
    text = (project / "LICENSE").read_text()
    assert text.lstrip().startswith(LICENSE_FIRST_LINES[answers["license"]])
    if answers["license"] == "Proprietary":
        assert "All rights reserved" in text


def test_git_repository_matches_the_answer(bakery, answers):
    project = bakery.bake(answers).path
    if not answers["init_git"]:
        assert not (project / ".git").exists()
        return

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert git("branch", "--show-current") == "main"
    assert git("rev-list", "--count", "HEAD") == "1"
    assert git("status", "--porcelain") == ""
    # Every baked file is in the first commit: none is hidden by .gitignore.
    assert baked_files(project) <= set(git("ls-files").splitlines())


def test_venv_matches_the_answer(bakery, answers):
    bake = bakery.bake(answers)
    python = bake.path / ".venv" / "bin" / "python"
    if not answers["create_venv"]:
        assert not python.exists()
        return
    require_python(answers["python_version"])
    probe = "import sys, main, {0}; print('%d.%d' % sys.version_info[:2])"
    completed = subprocess.run(
        [python, "-c", probe.format(bake.context["module_name"])],
        cwd=bake.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == answers["python_version"]


def test_only_model_py_names_the_estimator(bakery, answers):
    """Swapping the model is an edit of model.py: no other module names it."""
    bake = bakery.bake(answers)
    project = bake.path
    naming = {
        name
        for name in baked_files(project)
        if name.endswith(".py")
        and name.split("/")[0] not in ("tests", "benchmarks")
        and ESTIMATOR_NAMES.search((project / name).read_text())
    }
    assert naming == {f"src/{bake.context['module_name']}/model.py"}


def test_notebooks_are_valid_and_stripped(bakery, answers):
    """Every bake's notebook renders to valid nbformat, and ships without outputs."""
    project = bakery.bake(answers).path
    notebooks = sorted(project.glob("notebooks/*.ipynb"))
    assert notebooks
    for path in notebooks:
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
        run = [
            cell.id
            for cell in notebook.cells
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count)
        ]
        assert run == [], f"{path.name}: cells with outputs {run}"


def test_env_files_stay_out_of_git_but_the_example(bakery, answers, tmp_path):
    """Any .env file may hold secrets; .env.example is the template of them all."""
    project = bakery.bake(answers).path
    shutil.copy(project / ".gitignore", tmp_path)
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    names = [".env", ".env.local", ".env.production", ".env.example"]
    ignored = subprocess.run(
        ["git", "check-ignore", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == [".env", ".env.local", ".env.production"]
