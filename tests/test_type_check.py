"""Every bake passes its own type check: `mypy`, as its CI and pre-commit run it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import MATRIX, MATRIX_IDS, Bakery, venv_python


def venv_donor(answers: dict[str, object]) -> dict[str, object]:
    """A bake of the matrix whose venv holds every library this bake imports.

    The dev requirements depend on the Python version, the API and the storage
    only; a bake without a venv borrows the one of a bake that has at least
    those. mypy then reads the libraries from that venv and the code from this
    bake (mypy_path and the bake's folders come before site-packages).
    """
    if answers["create_venv"]:
        return answers
    donors = [
        row
        for row in MATRIX
        if row["create_venv"]
        and row["python_version"] == answers["python_version"]
        and row["include_api"] >= answers["include_api"]
        and row["data_storage"] in (answers["data_storage"], "s3")
    ]
    if not donors:
        pytest.fail(f"no bake of the matrix has a venv that fits {answers}")
    return donors[0]


@pytest.mark.slow
@pytest.mark.parametrize("answers", MATRIX, ids=MATRIX_IDS)
def test_mypy_passes(bakery: Bakery, answers: dict[str, object], mypy_cache: Path):
    bake = bakery.bake(answers)
    python = venv_python(bakery.bake(venv_donor(answers)))
    completed = subprocess.run(
        [python, "-m", "mypy", "--cache-dir", mypy_cache],
        cwd=bake.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr
    assert completed.stdout.startswith("Success: no issues found")
