"""The requirements files are exports of uv.lock{% if cookiecutter.include_api %}; the API image stays small{% endif %}."""

import re
import shlex
import subprocess
import sys
{%- if cookiecutter.include_api %}
import tomllib
{%- endif %}
from pathlib import Path

import pytest
{%- if cookiecutter.include_api %}
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
{%- endif %}

ROOT = Path(__file__).resolve().parent.parent
EXPORTED = sorted(ROOT.glob("requirements*.txt"))
# uv writes the command that made the file in its header: re-running it must
# give the same file.
EXPORT_COMMAND = re.compile(r"^#\s+(uv export .*)$", re.MULTILINE)
{%- if cookiecutter.include_api %}
# The serving image takes the MLflow client alone; the project, the full MLflow.
SAME_PROJECT = {"mlflow-skinny": "mlflow"}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
{%- endif %}


def test_the_lock_and_its_exports_exist() -> None:
    """The bake writes them; offline, `uv lock` and the exports (README) do."""
    assert (ROOT / "uv.lock").is_file(), "no uv.lock: run `uv lock` (see README)"
    assert EXPORTED, "no requirements*.txt: export them from uv.lock (see README)"


def without_header(exported: Path) -> str:
    """The file below its two header lines, which name the output file."""
    return exported.read_text().split("\n", 2)[2]


@pytest.mark.parametrize("exported", EXPORTED, ids=lambda path: path.name)
def test_requirements_file_is_the_export_of_the_lock(exported, tmp_path) -> None:
    """The images and pip users must install exactly what uv.lock pins."""
    match = EXPORT_COMMAND.search(exported.read_text())
    assert match, f"{exported.name} does not start with a `uv export` header"
    command = shlex.split(match[1])
    fresh = tmp_path / exported.name
    command[command.index("--output-file") + 1] = str(fresh)
    subprocess.run([sys.executable, "-m", *command, "--quiet"], cwd=ROOT, check=True)
    refresh = match[1].replace("uv export", "uv export --quiet", 1)
    message = f"{exported.name} disagrees with uv.lock: run {refresh}"
    assert without_header(exported) == without_header(fresh), message
{%- if cookiecutter.include_api %}


def ranges(requirements: list[str]) -> dict[str, str]:
    """Map each declared distribution to its version range."""
    parsed = [Requirement(line) for line in requirements]
    return {canonicalize_name(req.name): str(req.specifier) for req in parsed}


def pinned(exported: Path) -> set[str]:
    """The distributions an exported requirements file installs."""
    lines = exported.read_text().splitlines()
    return {
        canonicalize_name(line.split("==")[0])
        for line in lines
        if "==" in line and not line.startswith((" ", "#"))
    }


def test_every_serving_dependency_has_the_project_range() -> None:
    """A version bump in one list only would let the image drift from the tests."""
    project = PYPROJECT["project"]
    declared = ranges(project["dependencies"] + project["optional-dependencies"]["api"])
    serve = ranges(PYPROJECT["dependency-groups"]["serve"])
    assert serve
    for name, version_range in serve.items():
        assert declared.get(SAME_PROJECT.get(name, name)) == version_range, name


def test_the_api_image_leaves_training_libraries_out() -> None:
    """The serving image stays small only without the training stack."""
    installed = pinned(ROOT / "requirements-api.txt")
    assert {"fastapi", "mlflow-skinny", "scikit-learn"} <= installed
    assert {"duckdb", "pyarrow", "matplotlib", "mlflow"}.isdisjoint(installed)
{%- endif %}
