"""The post-generation hook: pruning, git and venv setup, and their failure modes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import bake_from_command_line
from hook_modules import post_gen, pre_gen
from matrix import TEMPLATE_DIR, load_cookiecutter_json, option_values

UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"  # the discard port: refused at once


def bake(tmp_path: Path, env: dict[str, str], *answers: str):
    """Bake the defaults with extra answers and environment; return the project."""
    completed = bake_from_command_line(tmp_path / "out", *answers, env=env)
    return completed, tmp_path / "out" / "titanic-survival"


def isolated_git_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose git sees only the global config file we give it."""
    env = {**os.environ, "HOME": str(tmp_path / "home"), "GIT_CONFIG_NOSYSTEM": "1"}
    env["GIT_CONFIG_GLOBAL"] = str(tmp_path / "home" / ".gitconfig")
    env.pop("TEMPLATE_SKIP_SETUP", None)
    (tmp_path / "home").mkdir()
    return {**env, **extra}


def last_commit(project: Path, env: dict[str, str]) -> str:
    """Describe the latest commit as 'author <email> | subject'."""
    return subprocess.run(
        ["git", "log", "-1", "--format=%an <%ae> | %s"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()


def test_table_names_only_real_options_and_values():
    options = option_values()
    for conditions in post_gen.FILES_ONLY_WHEN.values():
        for answer, values in conditions.items():
            assert answer in options
            assert set(values) <= set(options[answer])


def test_table_globs_each_match_a_template_file():
    template = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
    for pattern in post_gen.FILES_ONLY_WHEN:
        exported = pattern in post_gen.EXPORTS
        assert exported or list(template.glob(pattern)), f"{pattern} matches nothing"


def test_prune_removes_only_unselected_files(tmp_path, monkeypatch):
    monkeypatch.setattr(
        post_gen,
        "FILES_ONLY_WHEN",
        {
            "app": {"include_api": (True,)},
            "tests/test_api.py": {"include_api": (True,)},
            "argocd": {"deployment": ("argocd",)},
            "deployment": {"deployment": ("argocd", "kubernetes")},
            "deployment/api.yaml": {
                "deployment": ("argocd", "kubernetes"),
                "include_api": (True,),
            },
        },
    )
    for name in (
        "app/main.py",
        "tests/test_api.py",
        "tests/test_data.py",
        "argocd/app.yaml",
        "deployment/api.yaml",
        "deployment/job.yaml",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    post_gen.prune_unselected_files(
        tmp_path, {"include_api": False, "deployment": "kubernetes"}
    )
    remaining = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert remaining == [
        "deployment",
        "deployment/job.yaml",
        "tests",
        "tests/test_data.py",
    ]


def test_prune_keeps_what_the_folder_held_before_the_bake(tmp_path):
    for name in ("app/main.py", "app/mine.py", "app/routes.py", "argocd/app.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    post_gen.prune_unselected_files(
        tmp_path,
        {"include_api": False, "deployment": "none"},
        existing=frozenset({"app", "app/main.py", "app/mine.py"}),
    )
    remaining = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert remaining == ["app", "app/main.py", "app/mine.py"]


def test_both_hooks_keep_the_list_of_existing_files_in_one_place(tmp_path):
    assert pre_gen.existing_files_record(tmp_path) == post_gen.existing_files_record(
        tmp_path
    )
    # The list leaves out the top-level hidden folders, which no glob reaches.
    assert not [glob for glob in post_gen.FILES_ONLY_WHEN if glob.startswith(".")]


# A user's files in a project baked again with -f; app/main.py is also a file
# of the template, which cookiecutter overwrites unless -s is given.
USER_FILES = {
    "app/main.py": "print('my own main')\n",
    "app/mine.py": "print('mine')\n",
    "deployment/mine.yaml": "kind: Mine\n",
    "argocd/mine.yaml": "kind: Mine\n",
    "tests/test_api_mine.py": "def test_mine():\n    pass\n",
}


@pytest.mark.parametrize(
    ("flags", "overwritten"),
    [
        pytest.param(("-f",), {"app/main.py"}, id="overwrite"),
        pytest.param(("-f", "-s"), set(), id="overwrite-skip-existing"),
    ],
)
def test_baking_again_into_a_project_keeps_the_users_files(
    tmp_path, flags, overwritten
):
    project = tmp_path / "out" / "titanic-survival"
    for name, text in USER_FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    env = {**os.environ, "TEMPLATE_SKIP_SETUP": "1"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    completed, project = bake(
        tmp_path, env, *flags, "include_api=false", "deployment=none"
    )
    assert completed.returncode == 0, completed.stderr
    kept = {name: (project / name).read_text() for name in USER_FILES}
    assert kept.keys() == USER_FILES.keys()
    assert {name for name in kept if kept[name] != USER_FILES[name]} == overwritten
    # What this bake wrote for the options not chosen is pruned all the same.
    assert sorted(p.name for p in (project / "app").iterdir()) == ["main.py", "mine.py"]
    assert [p.name for p in project.glob("tests/test_api*.py")] == ["test_api_mine.py"]
    assert sorted(p.name for p in (project / "deployment").iterdir()) == ["mine.yaml"]
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_a_new_folder_leaves_no_list_and_removes_a_stale_one(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    record = pre_gen.existing_files_record(project)
    record.parent.mkdir(parents=True)
    record.write_text('["app/main.py"]')  # left by a bake that failed half-way
    assert pre_gen.record_existing_files(project) is None
    assert not record.exists()
    assert post_gen.read_existing_files(project) == frozenset()


def test_a_list_that_cannot_be_written_stops_the_bake(tmp_path):
    project = tmp_path / "out" / "titanic-survival"
    (project / "app").mkdir(parents=True)
    (project / "app" / "mine.py").write_text("print('mine')\n")
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    env = {**os.environ, "TEMPLATE_SKIP_SETUP": "1"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    completed, project = bake(tmp_path, env, "-f", "include_api=false")
    assert completed.returncode == 1
    ours = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(ours) == 1
    assert ours[0].startswith(f"error: could not list the files already in {project}")
    assert (project / "app" / "mine.py").read_text() == "print('mine')\n"
    assert not (project / "main.py").exists()


def test_cruft_update_is_recognised_only_in_its_scratch_dir(tmp_path):
    scratch = Path(tempfile.mkdtemp()) / "titanic-survival"
    scratch.mkdir()
    try:
        cruft_render = {"_commit": "abc123"}
        assert post_gen.is_cruft_update(cruft_render, scratch)
        assert not post_gen.is_cruft_update(
            {**cruft_render, "_output_dir": "x"}, scratch
        )
        assert not post_gen.is_cruft_update(cruft_render, tmp_path)
        assert not post_gen.is_cruft_update({}, scratch)
    finally:
        shutil.rmtree(scratch.parent)


def test_git_works_without_identity_and_leaves_config_alone(tmp_path):
    env = isolated_git_env(tmp_path)
    completed, project = bake(tmp_path, env, "create_venv=false")
    assert completed.returncode == 0, completed.stderr
    assert last_commit(project, env) == (
        "Jane Doe <jane.doe@example.com> | Initial commit from the template"
    )
    assert not Path(env["GIT_CONFIG_GLOBAL"]).exists()
    assert "user.name" not in (project / ".git" / "config").read_text()


def test_git_uses_the_configured_identity(tmp_path):
    env = isolated_git_env(tmp_path)
    config = "[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n"
    Path(env["GIT_CONFIG_GLOBAL"]).write_text(config)
    completed, project = bake(tmp_path, env, "create_venv=false")
    assert completed.returncode == 0, completed.stderr
    assert last_commit(project, env).startswith("Ada Lovelace <ada@example.org>")
    assert Path(env["GIT_CONFIG_GLOBAL"]).read_text() == config


def test_skip_variable_turns_off_git_and_venv(tmp_path):
    env = isolated_git_env(tmp_path, TEMPLATE_SKIP_SETUP="1")
    completed, project = bake(tmp_path, env)
    assert completed.returncode == 0, completed.stderr
    assert "TEMPLATE_SKIP_SETUP=1 is set" in completed.stdout
    assert not (project / ".git").exists()
    assert not (project / ".venv").exists()
    assert not (project / "uv.lock").exists()


def test_bake_prints_a_few_lines_and_logs_the_installers(tmp_path):
    """The hook's own lines stay readable: uv's output goes to bake.log."""
    completed, project = bake(tmp_path, isolated_git_env(tmp_path))
    assert completed.returncode == 0, completed.stderr
    lines = (completed.stdout + completed.stderr).splitlines()
    assert len(lines) <= 15, lines
    assert f"Installer output: {project / 'bake.log'}" in lines
    log = (project / "bake.log").read_text()
    assert "uv lock" in log
    assert "uv sync --frozen" in log
    assert (project / "uv.lock").is_file()
    assert set(post_gen.EXPORTS) <= {path.name for path in project.iterdir()}


def test_offline_bake_warns_with_the_lock_commands(tmp_path):
    env = isolated_git_env(
        tmp_path,
        UV_DEFAULT_INDEX=UNREACHABLE_INDEX,
        UV_INDEX_URL=UNREACHABLE_INDEX,
        UV_CACHE_DIR=str(tmp_path / "empty-cache"),
    )
    completed, project = bake(tmp_path, env, "init_git=false", "python_version=3.11")
    assert completed.returncode == 0, completed.stderr
    assert "warning: uv.lock and the requirements files were not written" in (
        completed.stderr
    )
    assert "to retry: cd " in completed.stderr
    assert "uv lock --quiet --python " in completed.stderr
    assert "--output-file requirements-api.txt" in completed.stderr
    # The cause, from the log's tail: the index could not be reached.
    assert "last lines of" in completed.stderr
    assert "warning: .venv was not created" in completed.stderr
    assert (project / "main.py").exists()
    assert not (project / ".venv").exists()


def path_without(*executables: str) -> str:
    """PATH minus every directory that holds one of these executables."""
    return os.pathsep.join(
        folder
        for folder in os.environ["PATH"].split(os.pathsep)
        if not any((Path(folder) / name).exists() for name in executables)
    )


def test_without_uv_pip_installs_it_into_a_cache(tmp_path):
    """With pip alone, the bake gets uv once, into a cache the next bakes reuse."""
    cache = tmp_path / "cache"
    env = isolated_git_env(tmp_path, PATH=path_without("uv"), XDG_CACHE_HOME=str(cache))
    completed, project = bake(tmp_path, env, "init_git=false", "create_venv=false")
    assert completed.returncode == 0, completed.stderr
    assert "uv: not found; installing it with pip" in completed.stdout
    assert (cache / "mlops-template" / "uv" / "bin" / "uv").is_file()
    assert (project / "uv.lock").is_file()


def test_without_uv_nor_pip_index_warns_with_the_commands(tmp_path):
    env = isolated_git_env(
        tmp_path,
        PATH=path_without("uv"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PIP_INDEX_URL=UNREACHABLE_INDEX,
        PIP_RETRIES="0",
        PIP_TIMEOUT="2",
    )
    completed, project = bake(tmp_path, env, "init_git=false")
    assert completed.returncode == 0, completed.stderr
    assert "warning: uv is not installed and pip could not install it." in (
        completed.stderr
    )
    assert "python -m pip install 'uv>=0.9,<1' && cd " in completed.stderr
    assert not (project / "uv.lock").exists()
    assert not (project / ".venv").exists()


def test_missing_python_version_warns_with_the_commands(tmp_path):
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    other = next(v for v in option_values()["python_version"] if v != current)
    env = isolated_git_env(
        tmp_path,
        PATH=path_without(f"python{other}"),
        PYENV_ROOT=str(tmp_path / "no-pyenv"),
    )
    if shutil.which(f"python{other}", path=env["PATH"]):
        pytest.skip(f"python{other} is on PATH here")
    completed, project = bake(
        tmp_path, env, "init_git=false", f"python_version={other}"
    )
    assert completed.returncode == 0, completed.stderr
    assert f"warning: Python {other} was not found" in completed.stderr
    assert f"uv lock --quiet --python python{other}" in completed.stderr
    assert f"uv sync --python {other}" in completed.stderr
    assert not (project / ".venv").exists()


def test_every_question_has_a_prompt():
    questions = load_cookiecutter_json()
    public = {name for name in questions if not name.startswith("_")}
    assert public == set(questions["__prompts__"])
