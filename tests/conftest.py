"""Shared fixtures: each option combination is baked once per session, on demand."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from hook_modules import post_gen
from matrix import TEMPLATE_DIR, bake_id, bake_matrix

# Tools installed beside the interpreter (uv, ruff, black, cookiecutter) must be
# found by the hooks and the checks even when the venv is not activated.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
# Checks and baked suites run inside the bakes: they must not litter them.
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
os.environ["RUFF_NO_CACHE"] = "true"

MATRIX = bake_matrix()
MATRIX_IDS = [bake_id(answers) for answers in MATRIX]
DEFAULT_ANSWERS = MATRIX[0]


@dataclass(frozen=True)
class Bake:
    """A baked project and the full context cookiecutter rendered it with."""

    path: Path
    context: dict[str, object]


class Bakery:
    """Bake each combination the first time a test asks for it, then reuse it."""

    def __init__(self, cookies_session: object, scratch: Path) -> None:
        """Keep pytest-cookies' session baker, empty caches, and a scratch folder."""
        self._cookies = cookies_session
        self._scratch = scratch
        self._bakes: dict[str, Bake] = {}
        self._venvs: dict[Path, Path] = {}

    def bake(self, answers: dict[str, object]) -> Bake:
        """Return the project baked with these answers, baking it if needed."""
        key = bake_id(answers)
        if key not in self._bakes:
            with uv_cache_for(answers):
                result = self._cookies.bake(extra_context=answers)
            if result.exit_code != 0:
                pytest.fail(f"bake {key} failed: {result.exception!r}")
            self._bakes[key] = Bake(Path(result.project_path), dict(result.context))
        return self._bakes[key]

    def python(self, bake: Bake) -> Path:
        """The bake's own venv, or one synced once from its lock for a bake without.

        That venv lives outside the bake, whose file set other tests check; uv
        builds the editable project's metadata in src/, which git ignores.
        """
        if bake.context["create_venv"]:
            return venv_python(bake)
        if bake.path not in self._venvs:
            python = require_python(str(bake.context["python_version"]))
            venv = self._scratch / f"venv-{len(self._venvs)}"
            command = ["uv", "sync", "--frozen", "--quiet", "--python", python]
            with uv_cache_for(bake.context):
                env = {
                    key: value
                    for key, value in os.environ.items()
                    if key != "VIRTUAL_ENV"
                }
                env["UV_PROJECT_ENVIRONMENT"] = str(venv)
                subprocess.run(command, cwd=bake.path, env=env, check=True)
            self._venvs[bake.path] = venv / "bin" / "python"
        return self._venvs[bake.path]


@contextmanager
def uv_cache_for(answers: dict[str, object]) -> Iterator[None]:
    """Give a Spark bake's uv calls a cache of their own, deleted right after.

    pyspark ships only a 450 MB source archive, and this machine's package proxy
    strips the HTTP caching headers, so each lock or sync unpacks and builds a
    fresh ~1.4 GB copy that nothing reuses: 38 GB in one suite when they shared
    the user's cache. Pruning that cache cannot work either: every `uv run` of a
    baked suite holds its lock for minutes. A fresh cache costs one download of
    the other packages (about 30 s). Other bakes keep the shared cache.
    """
    if not answers["spark"]:
        yield
        return
    saved = os.environ.get("UV_CACHE_DIR")
    cache = tempfile.mkdtemp(prefix="uv-cache-spark-")
    os.environ["UV_CACHE_DIR"] = cache
    try:
        yield
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if saved is None:
            del os.environ["UV_CACHE_DIR"]
        else:
            os.environ["UV_CACHE_DIR"] = saved


def bake_from_command_line(
    output_dir: Path, *answers: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Bake with the cookiecutter command line and no prompts, as a user would."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE_DIR)]
    return subprocess.run(
        [*command, "-o", str(output_dir), *answers],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def require_python(version: str) -> str:
    """The interpreter of a Python version, or skip: nothing can run without it."""
    python = post_gen.find_python(version, shutil.which("uv"))
    if python is None:
        pytest.skip(f"Python {version} is not on this machine")
    return python


def venv_python(bake: Bake) -> Path:
    """The interpreter of the venv the post-generation hook created."""
    require_python(bake.context["python_version"])
    python = bake.path / ".venv" / "bin" / "python"
    assert python.exists(), "the post-generation hook did not create .venv"
    return python


@pytest.fixture(scope="session")
def bakery(cookies_session: object, tmp_path_factory: pytest.TempPathFactory) -> Bakery:
    """Share one bake per combination across every test module."""
    return Bakery(cookies_session, tmp_path_factory.mktemp("venvs"))


@pytest.fixture(scope="session")
def mypy_cache(request: pytest.FixtureRequest) -> Path:
    """One cache per test worker, kept between sessions.

    mypy's cache is validated file by file, so any bake may use it: the
    libraries, the bulk of the work, are checked once per Python version. A
    worker of its own, because mypy does not lock its cache against another run.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return request.config.cache.mkdir(f"mypy-{worker}")


def pytest_configure(config: pytest.Config) -> None:
    """Bake from this repository whatever directory pytest was started in."""
    config.option.template = str(TEMPLATE_DIR)
