"""Finish a freshly baked project: prune unselected files, then git and a venv.

Cookiecutter renders this file with Jinja and runs it inside the new project.
The only Jinja here is the string below, so the module also imports as plain
Python: the tests read ``FILES_ONLY_WHEN`` and call the helpers directly.
Every external step degrades to a warning with the command to retry, so a
missing tool or a closed network never fails the bake.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

# Which template files belong to which answers: each glob (relative to the project
# root) is kept only when every answer it names has one of the values listed. The
# tests derive every bake's exact file set from this table.
WITH_API = {"include_api": (True,)}
ON_KUBERNETES = {"deployment": ("argocd", "kubernetes")}
WITH_SPARK = {"spark": (True,)}
FILES_ONLY_WHEN: dict[str, dict[str, tuple[object, ...]]] = {
    "app": WITH_API,
    "benchmarks/api.py": WITH_API,
    "benchmarks/live_server.py": WITH_API,
    "requirements-api.txt": WITH_API,
    "tests/api_helpers.py": WITH_API,
    "tests/test_api*.py": WITH_API,
    "tests/test_requirements.py": WITH_API,
    "tests/test_s3.py": {"data_storage": ("s3",)},
    "deployment": ON_KUBERNETES,
    "deployment/base/deployment.yaml": WITH_API,
    "deployment/base/hpa.yaml": WITH_API,
    "deployment/base/ingress.yaml": WITH_API,
    "deployment/base/monitoring-cronjob.yaml": {**WITH_API, "data_storage": ("s3",)},
    "deployment/base/service.yaml": WITH_API,
    "deployment/base/network-policy.yaml": WITH_API,
    "argocd": {"deployment": ("argocd",)},
    "src/*/spark": WITH_SPARK,
    "tests/test_spark*.py": WITH_SPARK,
}

SKIP_SETUP_VARIABLE = "TEMPLATE_SKIP_SETUP"
VENV_DIR = ".venv"
DEV_REQUIREMENTS = "requirements-dev.txt"


def paths_to_prune(answers: dict[str, object]) -> list[str]:
    """List the globs that some answer does not select."""
    return [
        pattern
        for pattern, conditions in FILES_ONLY_WHEN.items()
        if any(answers.get(name) not in values for name, values in conditions.items())
    ]


def prune_unselected_files(project: Path, answers: dict[str, object]) -> None:
    """Remove the files of options the user did not choose."""
    for pattern in paths_to_prune(answers):
        for path in sorted(project.glob(pattern), reverse=True):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def is_cruft_update(answers: dict[str, object], project: Path) -> bool:
    """Tell a ``cruft update``/``diff``/``check`` render from a real bake.

    cruft renders the template into a fresh ``tempfile`` directory to compute
    its diff, and it alone records ``_commit`` without ``_output_dir``.
    """
    rendered_by_cruft = "_commit" in answers and "_output_dir" not in answers
    parent = project.resolve().parent
    in_scratch_dir = parent.parent == Path(tempfile.gettempdir()).resolve() and (
        re.fullmatch(r"tmp[a-z0-9_]{8}", parent.name) is not None
    )
    return rendered_by_cruft and in_scratch_dir


def setup_skip_reason(answers: dict[str, object], project: Path) -> str | None:
    """Say why git and venv steps must not run, or None when they should."""
    if os.environ.get(SKIP_SETUP_VARIABLE) == "1":
        return f"{SKIP_SETUP_VARIABLE}=1 is set"
    if is_cruft_update(answers, project):
        return "this is a cruft update"
    return None


def warn(message: str, retry: str) -> None:
    """Explain a skipped step and the exact command that finishes it by hand."""
    print(f"warning: {message}\n  to retry: {retry}", file=sys.stderr)


def run(command: list[str], **kwargs: object) -> bool:
    """Run a command, reporting instead of raising when it fails or is missing."""
    try:
        completed = subprocess.run(command, check=False, **kwargs)
    except OSError as error:
        print(f"warning: could not run {command[0]}: {error}", file=sys.stderr)
        return False
    return completed.returncode == 0


def git_output(args: list[str], project: Path) -> str:
    """Read a git value, empty when unset."""
    completed = subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() if completed.returncode == 0 else ""


def commit_identity(answers: dict[str, object], project: Path) -> dict[str, str]:
    """Use the author's answers only where git has no identity configured.

    Passing them through the environment commits without ever writing to the
    user's git configuration.
    """
    identity = {}
    if not git_output(["config", "user.name"], project):
        identity["GIT_AUTHOR_NAME"] = identity["GIT_COMMITTER_NAME"] = str(
            answers["author_name"]
        )
    if not git_output(["config", "user.email"], project):
        identity["GIT_AUTHOR_EMAIL"] = identity["GIT_COMMITTER_EMAIL"] = str(
            answers["author_email"]
        )
    return identity


def init_git_repository(project: Path, answers: dict[str, object]) -> None:
    """Create the repository on branch main with everything in a first commit."""
    retry = (
        f"cd {shlex.quote(str(project))} && git init -b main && git add --all && "
        "git commit -m 'Initial commit from the template'"
    )
    if shutil.which("git") is None:
        warn("git is not installed; no repository was created.", retry)
        return
    if (project / ".git").exists():
        print("git: a repository already exists here; left as it is.")
        return
    env = {**os.environ, **commit_identity(answers, project)}
    steps = (
        ["git", "init", "--quiet", "--initial-branch=main"],
        ["git", "add", "--all"],
        ["git", "commit", "--quiet", "-m", "Initial commit from the template"],
    )
    for step in steps:
        if not run(step, cwd=project, env=env):
            warn(f"'{' '.join(step[:2])}' failed; the repository is incomplete.", retry)
            return
    print("git: repository created on branch main with a first commit.")


def interpreter_version(executable: str) -> str:
    """Ask an interpreter for its major.minor version, empty if it cannot run."""
    try:
        completed = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


def candidate_interpreters(version: str) -> list[str]:
    """List where a Python of that version usually lives, best guess first."""
    candidates = [sys.executable]
    uv = shutil.which("uv")
    if uv:
        found = subprocess.run(
            [uv, "python", "find", "--no-project", version],
            capture_output=True,
            text=True,
            check=False,
        )
        candidates.append(found.stdout.strip())
    candidates.append(shutil.which(f"python{version}") or "")
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        str(path)
        for path in pyenv_root.glob(f"versions/{version}.*/bin/python{version}")
    )
    return [candidate for candidate in candidates if candidate]


def find_python(version: str) -> str | None:
    """Find an interpreter of the project's Python version, without downloading."""
    for candidate in candidate_interpreters(version):
        if interpreter_version(candidate) == version:
            return candidate
    return None


def venv_commands(python: str, uv: str | None) -> list[list[str]]:
    """Create the venv and install the dev requirements, with uv when present."""
    venv_python = str(Path(VENV_DIR) / "bin" / "python")
    if uv:
        return [
            [uv, "venv", "--quiet", "--seed", "--python", python, VENV_DIR],
            [uv, "pip", "install", "--python", venv_python, "-r", DEV_REQUIREMENTS],
        ]
    return [
        [python, "-m", "venv", VENV_DIR],
        [venv_python, "-m", "pip", "install", "-r", DEV_REQUIREMENTS],
    ]


def create_virtualenv(project: Path, answers: dict[str, object]) -> None:
    """Make .venv with the project's Python and its dev requirements installed."""
    version = str(answers["python_version"])
    uv = shutil.which("uv")
    python = find_python(version)
    retry_python = python or f"python{version}"
    retry = f"cd {shlex.quote(str(project))} && " + " && ".join(
        shlex.join(command) for command in venv_commands(retry_python, uv)
    )
    if python is None:
        warn(f"Python {version} was not found; .venv was not created.", retry)
        return
    if (project / VENV_DIR).exists():
        print(f"venv: {VENV_DIR} already exists; left as it is.")
        return
    tool = "uv" if uv else "venv + pip"
    print(f"venv: creating {VENV_DIR} with Python {version} ({tool})...", flush=True)
    for command in venv_commands(python, uv):
        if not run(command, cwd=project):
            warn("the virtual environment is not ready (see the error above).", retry)
            return
    print(f"venv: ready; activate it with 'source {VENV_DIR}/bin/activate'.")


def main(answers: dict[str, object], project: Path) -> int:
    """Prune, then set up git and the venv unless setup is switched off."""
    prune_unselected_files(project, answers)
    reason = setup_skip_reason(answers, project)
    if reason is not None:
        print(f"Skipping git and venv setup: {reason}.")
        return 0
    if answers["init_git"]:
        init_git_repository(project, answers)
    if answers["create_venv"]:
        create_virtualenv(project, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON), Path.cwd()))
