"""cruft creates projects from the template and updates them without new setup."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix import TEMPLATE_DIR

SKIP_MESSAGE = "Skipping the lock, git and venv steps: this is a cruft update."
COMMITTER = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity, failing the test on error."""
    completed = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **COMMITTER},
        check=True,
    )
    return completed.stdout


def run_cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the cruft command line, as a user would."""
    env = {k: v for k, v in os.environ.items() if k != "TEMPLATE_SKIP_SETUP"}
    return subprocess.run(
        ["cruft", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """A git copy of this template, which a test can change and commit."""
    repo = tmp_path / "template"
    shutil.copytree(
        TEMPLATE_DIR,
        repo,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*_cache"),
    )
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "Template v1")
    return repo


@pytest.mark.slow
def test_cruft_update_applies_changes_and_skips_setup(template_repo, tmp_path):
    context = json.dumps({"create_venv": False})
    (tmp_path / "context.json").write_text(context)
    created = run_cruft(
        tmp_path,
        "create",
        str(template_repo),
        "--no-input",
        "--extra-context-file",
        str(tmp_path / "context.json"),
    )
    assert created.returncode == 0, created.stderr
    project = tmp_path / "titanic-survival"
    assert "git: repository created" in created.stdout
    git(project, "add", ".cruft.json")
    git(project, "commit", "--quiet", "-m", "Track the template link")

    readme = template_repo / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + "\nA line added by the template.\n")
    git(template_repo, "commit", "--quiet", "-am", "Template v2")

    assert run_cruft(project, "check").returncode != 0
    updated = run_cruft(
        project, "update", "--skip-apply-ask", "--allow-untracked-files"
    )
    assert updated.returncode == 0, updated.stderr
    assert "A line added by the template." in (project / "README.md").read_text()
    assert SKIP_MESSAGE in updated.stdout
    assert "git: repository created" not in updated.stdout
    assert git(project, "rev-list", "--count", "HEAD").strip() == "2"
    assert run_cruft(project, "check").returncode == 0


@pytest.mark.parametrize("module", ["skops", "numpy"])
def test_cruft_from_a_url_refuses_a_dependency_as_module_name(
    template_repo, tmp_path, module
):
    # cruft clones a URL into a folder the hook is never told: the names it
    # checks must not depend on finding the template.
    context = {"module_name": module, "init_git": False, "create_venv": False}
    created = run_cruft(
        tmp_path,
        "create",
        template_repo.as_uri(),
        "--no-input",
        "--extra-context",
        json.dumps(context),
    )
    assert created.returncode != 0
    assert f"error: module_name = {module!r} shadows a module" in created.stderr
    assert not (tmp_path / "titanic-survival").exists()
