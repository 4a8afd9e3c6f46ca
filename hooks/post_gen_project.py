"""Finish a freshly baked project: prune unselected files, then git and a venv.

Cookiecutter renders this file with Jinja and runs it inside the new project.
The only Jinja here is the string below, so the module also imports as plain
Python: the tests read ``FILES_ONLY_WHEN`` and call the helpers directly.
Every external step degrades to a warning with the command to retry, so a
missing tool or a closed network never fails the bake.
"""

from __future__ import annotations

import hashlib
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
    # Not in the template: the hook exports it from the lock (EXPORTS below).
    "requirements-api.txt": WITH_API,
    "tests/api_helpers.py": WITH_API,
    "tests/test_api*.py": WITH_API,
    "tests/test_s3.py": {"data_storage": ("s3",)},
    "deployment": ON_KUBERNETES,
    "deployment/base/deployment.yaml": WITH_API,
    "deployment/base/hpa.yaml": WITH_API,
    "deployment/base/ingress.yaml": WITH_API,
    "deployment/base/monitoring-cronjob.yaml": {**WITH_API, "data_storage": ("s3",)},
    "deployment/base/service.yaml": WITH_API,
    "deployment/base/network-policy.yaml": WITH_API,
    "deployment/spark": WITH_SPARK,
    "argocd": {"deployment": ("argocd",)},
    "src/*/spark": WITH_SPARK,
    "benchmarks/spark.py": WITH_SPARK,
    "tests/test_spark*.py": WITH_SPARK,
}

SKIP_SETUP_VARIABLE = "TEMPLATE_SKIP_SETUP"
VENV_DIR = ".venv"
# Every installer's output goes here (git ignores *.log); its tail is printed
# when a step fails, so the bake itself prints a few lines only.
LOG_FILE = "bake.log"
LOG_TAIL_LINES = 20
# The pip-readable exports of uv.lock, each written with `uv export --frozen`:
# the images install the first and the last, pip users the second. Hashes let
# pip check every download; requirements-dev.txt installs the project itself
# (-e .), which pip cannot hash.
UV_RANGE = "uv>=0.9,<1"
EXPORTS = {
    "requirements.txt": ["--no-dev", "--all-extras", "--no-emit-project"],
    "requirements-dev.txt": ["--all-extras", "--no-hashes"],
    "requirements-api.txt": ["--only-group", "serve"],
}


def paths_to_prune(answers: dict[str, object]) -> list[str]:
    """List the globs that some answer does not select."""
    return [
        pattern
        for pattern, conditions in FILES_ONLY_WHEN.items()
        if any(answers.get(name) not in values for name, values in conditions.items())
    ]


def matched_paths(project: Path, pattern: str) -> set[Path]:
    """The paths a glob matches, with everything inside the folders it matches."""
    paths = set()
    for match in project.glob(pattern):
        paths.add(match)
        if match.is_dir() and not match.is_symlink():
            paths.update(match.rglob("*"))
    return paths


def prune_unselected_files(
    project: Path, answers: dict[str, object], existing: frozenset[str] = frozenset()
) -> None:
    """Remove the files of options the user did not choose, if this bake wrote them.

    ``existing`` lists what the folder held before the bake (``cookiecutter -f``
    bakes into a folder that exists): those are the user's and stay, with the
    folders that hold them.
    """
    doomed = set().union(
        *(matched_paths(project, pattern) for pattern in paths_to_prune(answers))
    )
    # Deepest first, so that a folder is only looked at once emptied.
    for path in sorted(doomed, reverse=True):
        if path.relative_to(project).as_posix() in existing:
            continue
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        else:
            path.unlink()


def existing_files_record(project: Path) -> Path:
    """Where the pre-generation hook lists what the project's folder already held.

    In the user's cache, not in the project, so a failed bake leaves nothing
    there; named after the folder's path, so that concurrent bakes keep apart.
    The pre-generation hook has the same function: a test checks they agree.
    """
    digest = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:16]
    return template_cache() / "existing-files" / f"{digest}.json"


def read_existing_files(project: Path) -> frozenset[str]:
    """Take the pre-generation hook's list of the user's files, and delete it."""
    record = existing_files_record(project)
    if not record.is_file():
        return frozenset()
    existing = frozenset(json.loads(record.read_text()))
    record.unlink()
    return existing


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
    """Say why the lock, git and venv steps must not run, or None when they should."""
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


def run_logged(command: list[str], project: Path) -> bool:
    """Run an installer step with its output appended to the project's log.

    VIRTUAL_ENV is dropped: the venv the bake was started from is not the
    project's, and uv would warn about it.
    """
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    with (project / LOG_FILE).open("a") as log:
        log.write(f"$ {shlex.join(command)}\n")
        log.flush()
        return run(command, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)


def print_log_tail(project: Path) -> None:
    """Show the end of the log, where the cause of a failed step is."""
    log = project / LOG_FILE
    if not log.exists():
        return
    lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
    print(f"  last lines of {log}:", file=sys.stderr)
    for line in lines:
        print(f"    {line}", file=sys.stderr)


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


def template_cache() -> Path:
    """The bakes' own folder in the user's cache."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mlops-template"


def uv_cache() -> Path:
    """Where the bake keeps the uv it installed itself, for the next bakes."""
    return template_cache() / "uv"


def find_uv(project: Path) -> str | None:
    """uv from PATH or the bake's cache, else installed there by pip (seconds)."""
    found = shutil.which("uv") or shutil.which("uv", path=str(uv_cache() / "bin"))
    if found:
        return found
    print(f"uv: not found; installing it with pip into {uv_cache()}...", flush=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet"]
    command += ["--disable-pip-version-check", "--target", str(uv_cache()), UV_RANGE]
    run_logged(command, project)
    return shutil.which("uv", path=str(uv_cache() / "bin"))


def lock_commands(uv: str, python: str, answers: dict[str, object]) -> list[list[str]]:
    """Lock the dependencies, then export the lock for pip and the images.

    uv resolves with the project's own interpreter: without one, it would
    try to download a Python.
    """
    pruned = paths_to_prune(answers)
    exports = [
        [uv, "export", "--frozen", "--quiet", *options, "--output-file", name]
        for name, options in EXPORTS.items()
        if name not in pruned
    ]
    return [[uv, "lock", "--quiet", "--python", python], *exports]


def retry_command(project: Path, commands: list[list[str]]) -> str:
    """The shell line that repeats these steps by hand, with uv from PATH."""
    steps = [shlex.join(["uv", *command[1:]]) for command in commands]
    return f"cd {shlex.quote(str(project))} && " + " && ".join(steps)


def run_steps(
    project: Path, commands: list[list[str]], failure: str, retry: str
) -> bool:
    """Run logged steps in order; on the first failure, warn and show the log."""
    for command in commands:
        if not run_logged(command, project):
            warn(failure, retry)
            print_log_tail(project)
            return False
    return True


def lock_dependencies(
    project: Path, answers: dict[str, object], uv: str, python: str
) -> bool:
    """Write uv.lock and the requirements files exported from it."""
    commands = lock_commands(uv, python, answers)
    failure = "uv.lock and the requirements files were not written (no network?)."
    if not run_steps(project, commands, failure, retry_command(project, commands)):
        return False
    print("lock: uv.lock written; requirements*.txt exported from it.")
    return True


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


def candidate_interpreters(version: str, uv: str | None) -> list[str]:
    """List where a Python of that version usually lives, best guess first."""
    candidates = [sys.executable]
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


def find_python(version: str, uv: str | None) -> str | None:
    """Find an interpreter of the project's Python version, without downloading."""
    for candidate in candidate_interpreters(version, uv):
        if interpreter_version(candidate) == version:
            return candidate
    return None


def create_virtualenv(project: Path, uv: str, python: str) -> None:
    """Make .venv with the project's Python, installed exactly as uv.lock says."""
    if (project / VENV_DIR).exists():
        print(f"venv: {VENV_DIR} already exists; left as it is.")
        return
    command = [uv, "sync", "--frozen", "--python", python]
    print(f"venv: installing uv.lock into {VENV_DIR}...", flush=True)
    failure = "the virtual environment is not ready."
    if run_steps(project, [command], failure, retry_command(project, [command])):
        print(f"venv: ready; activate it with 'source {VENV_DIR}/bin/activate'.")


def set_up(project: Path, answers: dict[str, object]) -> None:
    """Lock, commit, then build the venv from the lock: each step is optional."""
    version = str(answers["python_version"])
    uv = find_uv(project)
    python = find_python(version, uv)
    retry = retry_command(project, lock_commands("uv", f"python{version}", answers))
    if uv is None:
        install = f"python -m pip install {shlex.quote(UV_RANGE)} && "
        warn("uv is not installed and pip could not install it.", install + retry)
    elif python is None:
        warn(f"Python {version} was not found; nothing was locked.", retry)
    locked = bool(uv and python) and lock_dependencies(project, answers, uv, python)
    if answers["init_git"]:
        init_git_repository(project, answers)
    if answers["create_venv"] and locked:
        create_virtualenv(project, uv, python)
    elif answers["create_venv"]:
        sync = retry_command(project, [["uv", "sync", "--python", version]])
        warn(".venv was not created: it is built from uv.lock.", sync)
    if (project / LOG_FILE).exists():
        print(f"Installer output: {project / LOG_FILE}")


def main(answers: dict[str, object], project: Path) -> int:
    """Prune, then lock, git and the venv unless setup is switched off."""
    prune_unselected_files(project, answers, read_existing_files(project))
    reason = setup_skip_reason(answers, project)
    if reason is not None:
        print(f"Skipping the lock, git and venv steps: {reason}.")
        return 0
    set_up(project, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON), Path.cwd()))
