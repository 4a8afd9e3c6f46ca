"""The README holds: its layout names the modules, its commands run as written."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
CODE_FOLDERS = ("src", "app", "benchmarks", "deployment")
# `python -m NAME` anywhere in the README, versioned interpreters included.
PYTHON_MODULE = re.compile(r"\bpython[\d.]* -m ([\w.]+)")
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
# A new shell of a machine that has only the system's tools: no uv, no venv.
NEW_SHELL_PATH = "/usr/bin:/bin"
CLI = "{{ cookiecutter.project_slug }}"
# The README's commands that this test does not run, each with its reason; every
# other command of its bash blocks runs, in order, in one new shell.
NOT_RUN = {
    "python main.py": "trains on the Titanic data, which the project does not ship",
    "MLFLOW_TRACKING_URI=": "needs a tracking server",
    "mlflow ui": "starts a server",
    "uvicorn": "starts a server",
    "curl": "needs the API running",
    f"{CLI} score": "needs the data and a trained model",
    f"{CLI} data": "needs the data",
    f"{CLI} dataset infer": "needs your own data file",
    f"{CLI} monitor": "needs a prediction log",
    f"{CLI} spark": "needs the data",
    "python -m moto.server": "starts a server",
    "python -m benchmarks": "takes minutes of every core",
    "export AWS_S3_ENDPOINT": "points the next commands at S3, which are not run",
    "AWS_ENDPOINT_URL=": "needs an S3 endpoint (tests/test_s3.py runs it on moto)",
    "uv add": "changes the lock, from the network",
    "uv lock --upgrade": "changes the lock, from the network",
    "uv export": "rewrites tracked files: test_export_commands_print_nothing runs it",
    "uv run pytest": "runs the test suite that this test is part of",
    "git tag": "publishes a release",
    "python deployment/set_image_tag.py": "needs the digests of pushed images",
    "docker": "needs Docker",
    "kubectl": "needs a cluster",
    "helm": "needs a cluster",
    "argo": "needs a cluster",
}


def layout_section() -> str:
    """The text of the README's Layout section."""
    return README.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def module_names() -> set[str]:
    """Every Python module a reader may open, package markers left out."""
    return {
        path.name
        for folder in CODE_FOLDERS
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if path.name != "__init__.py"
    }


def readme_commands() -> list[str]:
    """Every command of the README's bash blocks, in order, continuations joined."""
    commands = []
    for block in BASH_BLOCK.findall(README):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


def is_run(command: str) -> bool:
    """Whether the test runs this command, rather than NOT_RUN naming it."""
    return not command.startswith(tuple(NOT_RUN))


def new_shell_environment() -> dict[str, str]:
    """A new shell's variables, uv kept offline as every test of the project."""
    kept = ("HOME", "LANG", "UV_CACHE_DIR")
    environment = {name: os.environ[name] for name in kept if name in os.environ}
    return {**environment, "PATH": NEW_SHELL_PATH, "UV_OFFLINE": "1"}


def test_layout_names_every_module() -> None:
    """A new module shows in the README, so the tour of the code stays whole."""
    named = set(re.findall(r"[\w.]+\.py\b", layout_section()))
    assert module_names() - named == set()


def test_layout_names_no_missing_module() -> None:
    """A module removed or renamed leaves no stale line in the README."""
    named = set(re.findall(r"[\w.]+\.py\b", layout_section()))
    assert named - module_names() - {"main.py"} == set()


def test_readme_commands_run_as_written_in_a_new_shell() -> None:
    """A newcomer pastes the README's commands, in order, into a new shell.

    Nothing is activated and neither uv nor the venv is on PATH: the README's
    own first command must bring them. Those NOT_RUN names are left out.
    """
    if not (PROJECT_ROOT / ".venv" / "bin" / "activate").is_file():
        pytest.skip("no .venv in the project: the README's commands run in it")
    commands = [command for command in readme_commands() if is_run(command)]
    script = "\n".join(["set -eu", *commands])
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=PROJECT_ROOT,
        env=new_shell_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    ran = "\n".join(commands)
    assert completed.returncode == 0, f"{ran}\n---\n{completed.stderr[-3000:]}"
    assert f"usage: {CLI} " in completed.stdout


def test_every_python_module_the_readme_runs_is_installed() -> None:
    """`python -m NAME` works in the venv: uv builds it without pip, for one.

    Checked as `python -m` finds them, from the project folder.
    """
    names = sorted(set(PYTHON_MODULE.findall(README)))
    find = (
        "import importlib.util as u, sys; "
        "print(*(name for name in sys.argv[1:] if not u.find_spec(name)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", find, *names],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "benchmarks.monitoring" in names
    assert completed.stdout.split() == []


def test_export_commands_print_nothing(tmp_path: Path) -> None:
    """The README's exports write their file and keep the terminal clear."""
    commands = readme_commands()
    exports = [command for command in commands if command.startswith("uv export")]
    assert exports
    for export in exports:
        arguments = shlex.split(export)
        output = tmp_path / arguments[arguments.index("--output-file") + 1]
        arguments[arguments.index("--output-file") + 1] = str(output)
        completed = subprocess.run(
            [sys.executable, "-m", *arguments],
            cwd=PROJECT_ROOT,
            env=new_shell_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        assert (completed.stdout, completed.stderr) == ("", "")
        assert output.stat().st_size > 0
