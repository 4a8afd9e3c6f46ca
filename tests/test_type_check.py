"""Every bake passes its own type check: `mypy`, as its CI and pre-commit run it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import (
    MATRIX,
    MATRIX_IDS,
    Bake,
    Bakery,
    prune_uv_cache,
    require_python,
    venv_python,
)


def bake_python(bake: Bake, scratch: Path) -> Path:
    """The bake's own venv, or one synced from its lock for a bake made without.

    The venv lives outside the bake; uv builds the editable project's metadata
    in src/, which git ignores.
    """
    if bake.context["create_venv"]:
        return venv_python(bake)
    python = require_python(bake.context["python_version"])
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(scratch / "venv")
    command = ["uv", "sync", "--frozen", "--quiet", "--python", python]
    subprocess.run(command, cwd=bake.path, env=env, check=True)
    if bake.context["spark"]:
        prune_uv_cache()
    return scratch / "venv" / "bin" / "python"


@pytest.mark.slow
@pytest.mark.parametrize("answers", MATRIX, ids=MATRIX_IDS)
def test_mypy_passes(
    bakery: Bakery, answers: dict[str, object], mypy_cache: Path, tmp_path: Path
):
    bake = bakery.bake(answers)
    python = bake_python(bake, tmp_path)
    completed = subprocess.run(
        [python, "-m", "mypy", "--cache-dir", mypy_cache],
        cwd=bake.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr
    assert completed.stdout.startswith("Success: no issues found")
