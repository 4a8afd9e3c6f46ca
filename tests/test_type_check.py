"""Every bake passes its own type check: `mypy`, as its CI and pre-commit run it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import (
    MATRIX,
    MATRIX_IDS,
    Bakery,
)


@pytest.mark.slow
@pytest.mark.parametrize("answers", MATRIX, ids=MATRIX_IDS)
def test_mypy_passes(bakery: Bakery, answers: dict[str, object], mypy_cache: Path):
    bake = bakery.bake(answers)
    python = bakery.python(bake)
    completed = subprocess.run(
        [python, "-m", "mypy", "--cache-dir", mypy_cache],
        cwd=bake.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr
    assert completed.stdout.startswith("Success: no issues found")
