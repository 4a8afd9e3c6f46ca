"""The pre-generation hook refuses bad answers clearly and leaves nothing behind."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import MATRIX, Bake, bake_from_command_line, venv_python
from hook_modules import pre_gen
from matrix import TEMPLATE_DIR

# Each refused answer, and why it must be refused.
REFUSED = [
    # Slugs name the repository, the distribution and Kubernetes objects.
    pytest.param("project_slug", "Titanic Survival", id="slug-with-space-upper"),
    pytest.param("project_slug", "1titanic", id="slug-starting-with-digit"),
    pytest.param("project_slug", "titanic--survival", id="slug-double-hyphen"),
    pytest.param("project_slug", "titanic-", id="slug-trailing-hyphen"),
    pytest.param("project_slug", "t" * 64, id="slug-too-long-for-kubernetes"),
    # Module names must import, and must not hide a module the project uses.
    pytest.param("module_name", "my-model", id="module-not-identifier"),
    pytest.param("module_name", "Titanic", id="module-uppercase"),
    pytest.param("module_name", "class", id="module-keyword"),
    pytest.param("module_name", "test", id="module-shadows-stdlib-test"),
    pytest.param("module_name", "json", id="module-shadows-stdlib-json"),
    pytest.param("module_name", "sklearn", id="module-shadows-sklearn"),
    pytest.param("module_name", "mlflow", id="module-shadows-mlflow"),
    pytest.param("module_name", "app", id="module-shadows-the-api-package"),
    pytest.param("module_name", "skops", id="module-shadows-skops"),
    pytest.param("module_name", "prometheus_client", id="module-shadows-prometheus"),
    # ... and a module one of them pulls in.
    pytest.param("module_name", "numpy", id="module-shadows-numpy"),
    pytest.param("module_name", "requests", id="module-shadows-requests"),
    pytest.param("module_name", "starlette", id="module-shadows-starlette"),
    pytest.param("module_name", "sqlalchemy", id="module-shadows-sqlalchemy"),
    pytest.param("module_name", "yaml", id="module-shadows-pyyaml"),
    pytest.param("module_name", "live_server", id="module-shadows-a-benchmark-script"),
    # Python's site imports these at every start: the project would run each time.
    pytest.param("module_name", "sitecustomize", id="module-imported-at-every-start"),
    pytest.param("module_name", "usercustomize", id="module-imported-at-user-start"),
    pytest.param("module_name", "__init__", id="module-reserved-dunder"),
    # The email lands in pyproject.toml and in the first commit.
    pytest.param("author_email", "jane.doe", id="email-without-at"),
    pytest.param("author_email", "jane@localhost", id="email-without-domain"),
    pytest.param("author_email", 'jane"doe@example.com', id="email-with-quote"),
    pytest.param("author_email", "jane\\doe@example.com", id="email-with-backslash"),
    # setuptools refuses an accented name before the @: the venv would not build.
    pytest.param("author_email", "zoë@exämple.fr", id="email-non-ascii-name"),
    pytest.param("author_email", "x@-.-", id="email-domain-of-hyphens"),
    pytest.param("author_email", "x@titanic-.org", id="email-label-ending-in-hyphen"),
    # The owner builds repository and image URLs.
    pytest.param("github_owner", "-jane", id="owner-leading-hyphen"),
    pytest.param("github_owner", "jane_doe", id="owner-underscore"),
    pytest.param("github_owner", "j" * 40, id="owner-too-long"),
    # The namespace and host land in Kubernetes objects, which validate them.
    pytest.param("k8s_namespace", "Titanic", id="namespace-uppercase"),
    pytest.param("k8s_namespace", "titanic_prod", id="namespace-underscore"),
    pytest.param("k8s_namespace", "n" * 64, id="namespace-too-long"),
    pytest.param("ingress_host", "localhost", id="host-without-dot"),
    pytest.param("ingress_host", "https://titanic.example.org", id="host-with-scheme"),
    pytest.param("ingress_host", "titanic.example.org/api", id="host-with-path"),
    pytest.param("ingress_host", "Titanic.example.org", id="host-uppercase"),
    # One-line texts: a newline or a control character breaks every format.
    pytest.param("project_name", "Titanic\nSurvival", id="name-with-newline"),
    pytest.param("description", "Predict\tsurvival", id="description-with-tab"),
    pytest.param("author_name", "   ", id="author-blank"),
    pytest.param(
        "description", "Predict\u2028survival", id="description-line-separator"
    ),
    # The slug, and the project's folder, is made from the name.
    pytest.param("project_name", "T" * 300, id="name-too-long-for-a-folder"),
    pytest.param("project_name", "!!!", id="name-without-letters"),
    # A bidirectional override shows the name other than it is stored.
    pytest.param("project_name", "Titanic \u202eSurvival", id="name-bidi-override"),
    pytest.param("project_name", "", id="name-empty"),
]


SETUP_OFF = ("init_git=false", "create_venv=false")


@pytest.mark.parametrize(("answer", "value"), REFUSED)
def test_bad_answer_is_refused_with_one_clear_line(tmp_path, answer, value):
    # Answers derived from a bad one (module, namespace, host from a bad slug,
    # the slug from a bad name) are left at their defaults: only the root shows.
    completed = bake_from_command_line(tmp_path, *SETUP_OFF, f"{answer}={value}")
    assert completed.returncode == 1
    ours = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert ours == [line for line in ours if line.startswith(f"error: {answer} = ")]
    assert len(ours) == 1
    assert ours[0].startswith(f"error: {answer} = {value!r} ")
    assert list(tmp_path.iterdir()) == []


def test_empty_name_baked_into_the_current_folder_is_reported_as_such(
    tmp_path, monkeypatch
):
    # cookiecutter creates the project's folder before the hook runs: an empty
    # slug would name the output folder itself, "already exists".
    monkeypatch.chdir(tmp_path)
    completed = bake_from_command_line(Path("."), *SETUP_OFF, "project_name=")
    ours = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert ours == ["error: project_name = '' must not be empty."]
    assert "already exists" not in completed.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_error_is_reported_at_once(tmp_path):
    completed = bake_from_command_line(
        tmp_path, *SETUP_OFF, "module_name=json", "author_email=nobody"
    )
    assert "error: module_name = 'json'" in completed.stderr
    assert "error: author_email = 'nobody'" in completed.stderr
    assert list(tmp_path.iterdir()) == []


def replay_environment(tmp_path: Path) -> dict[str, str]:
    """Bakes whose replay folder (where cookiecutter saves the answers) is ours."""
    config = tmp_path / "cookiecutter.yaml"
    config.write_text(f'replay_dir: "{tmp_path / "replay"}/"\n')
    return {
        **os.environ,
        "COOKIECUTTER_CONFIG": str(config),
        "TEMPLATE_SKIP_SETUP": "1",
    }


def retry_command(stderr: str) -> list[str]:
    """The command of the hook's retry line, run with this interpreter."""
    (line,) = [line for line in stderr.splitlines() if line.startswith("  to retry")]
    command = shlex.split(line.split(", then run: ", 1)[1])
    assert command[0] == "cookiecutter"
    return [sys.executable, "-m", *command]


def test_a_refusal_says_how_to_bake_again_with_the_answers_given(tmp_path):
    env = replay_environment(tmp_path)
    refused = bake_from_command_line(
        tmp_path / "out", "author_email=nobody", "github_owner=ada-l", env=env
    )
    assert refused.returncode == 1
    replay = tmp_path / "replay" / f"{TEMPLATE_DIR.name}.json"
    assert f"correct author_email in {replay}, then run: " in refused.stderr
    # Correct the answer where the line says, then run the line's command.
    saved = json.loads(replay.read_text())
    saved["cookiecutter"]["author_email"] = "ada@example.org"
    replay.write_text(json.dumps(saved))
    command = retry_command(refused.stderr)
    rerun = subprocess.run(command, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    pyproject = (tmp_path / "out" / "titanic-survival" / "pyproject.toml").read_text()
    metadata = tomllib.loads(pyproject)["project"]
    assert metadata["authors"][0]["email"] == "ada@example.org"
    assert metadata["urls"]["Repository"].startswith("https://github.com/ada-l/")


def test_a_number_as_name_in_a_replay_file_is_refused_in_one_line(tmp_path):
    env = replay_environment(tmp_path)
    baked = bake_from_command_line(tmp_path / "first", *SETUP_OFF, env=env)
    assert baked.returncode == 0, baked.stderr
    replay = tmp_path / "replay" / f"{TEMPLATE_DIR.name}.json"
    saved = json.loads(replay.read_text())
    saved["cookiecutter"]["project_name"] = 42
    replay.write_text(json.dumps(saved))
    command = [sys.executable, "-m", "cookiecutter", "--replay-file", str(replay)]
    command += [str(TEMPLATE_DIR), "-o", str(tmp_path / "second")]
    refused = subprocess.run(command, env=env, capture_output=True, text=True)
    assert refused.returncode == 1
    ours = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert ours == ["error: project_name = 42 must be text."]
    assert "TypeError" not in refused.stderr
    assert retry_command(refused.stderr)[3:5] == ["--replay-file", str(replay)]
    assert list((tmp_path / "second").glob("*")) == []


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("include_api", "yes"),
        ("init_git", 1),
        ("license", "WTFPL"),
        ("python_version", "3.10"),
        ("module_name", None),
        # A number in a replay file: slugify would raise on it in the hook.
        ("project_name", 42),
    ],
)
def test_wrong_kinds_of_value_are_refused(answer, value):
    # A replay file skips cookiecutter's own checks of choices and booleans.
    answers = {**default_answers(), answer: value}
    assert pre_gen.find_errors(answers) == [
        f"error: {answer} = {value!r} {pre_gen.check_value_type(answer, value)}."
    ]


def default_answers() -> dict[str, object]:
    """Answers as the defaults render them, and the template cookiecutter passes."""
    return {
        "_repo_dir": str(TEMPLATE_DIR),
        "project_name": "Titanic Survival",
        "project_slug": "titanic-survival",
        "module_name": "titanic_survival",
        "description": "Predict survival.",
        "author_name": "Jane Doe",
        "author_email": "jane.doe@example.com",
        "github_owner": "jane-doe",
        "python_version": "3.12",
        "license": "MIT",
        "include_api": True,
        "data_storage": "local",
        "spark": False,
        "deployment": "argocd",
        "k8s_namespace": "titanic-survival",
        "ingress_host": "titanic-survival.lab.sspcloud.fr",
        "container_registry": "ghcr.io",
        "init_git": True,
        "create_venv": True,
    }


def test_default_answers_pass():
    assert pre_gen.find_errors(default_answers()) == []


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("project_slug", "a"),
        ("project_slug", "titanic-2-survival"),
        ("module_name", "_private_model"),
        ("module_name", "titanic2"),
        ("author_email", "jane+ml@data.example.co.uk"),
        ("author_email", "o'brien@exämple.fr"),
        ("author_email", "jane@xn--exmple-cua.fr"),
        ("author_email", "ops@titanic-survival.example.org"),
        ("project_name", "Fusée 🚀 de l'équipe 👩‍👩‍👧"),
        (
            "description",
            "Non\u00a0breaking, right-to-left \u05e9\u05dc\u05d5\u05dd, \U0001d518",
        ),
        ("github_owner", "InseeFrLab"),
        ("author_name", "Zoé O'Brien-Łukasz"),
        ("k8s_namespace", "user-jdoe"),
        ("ingress_host", "t" * 63 + ".lab.sspcloud.fr"),
    ],
)
def test_good_answers_pass(answer, value):
    assert pre_gen.find_errors({**default_answers(), answer: value}) == []


@pytest.mark.parametrize("text", ["lone \udc80 surrogate", "non\uffffcharacter"])
def test_text_no_file_format_can_hold_is_refused(text):
    # A surrogate comes from undecodable bytes on the command line.
    assert pre_gen.find_errors({**default_answers(), "author_name": text}) == [
        f"error: author_name = {text!r} must be a single line of printable characters."
    ]


def installed_modules(bake: Bake) -> set[str]:
    """Top-level modules of a bake's venv that a module name could take."""
    probe = "import importlib.metadata as m; print(*m.packages_distributions())"
    completed = subprocess.run(
        [venv_python(bake), "-c", probe], capture_output=True, text=True, check=True
    )
    return {
        name
        for name in completed.stdout.split()
        # mypyc's helper modules are named after a hash of each build.
        if pre_gen.MODULE_PATTERN.fullmatch(name) and not name.endswith("__mypyc")
    } - {bake.context["module_name"]}


def test_recorded_modules_are_what_the_bakes_install(bakery):
    # Every bake with a venv: together they cover each option and Python version.
    installed = set().union(
        *(installed_modules(bakery.bake(row)) for row in MATRIX if row["create_venv"])
    )
    # A recorded name no bake installs any more is only refused for nothing.
    missing = sorted(installed - pre_gen.INSTALLED_MODULES)
    assert not missing, f"add to INSTALLED_MODULES in the pre-gen hook: {missing}"


STRUCTURED_PARSERS = {
    ".toml": tomllib.loads,
    ".json": json.loads,
    ".yaml": lambda text: list(yaml.safe_load_all(text)),
    ".yml": lambda text: list(yaml.safe_load_all(text)),
}


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(
            {
                "project_name": 'Jake\'s "Titanic" \\x model',
                "description": r'Say "hi" \ or \n, it\'s fine',
                "author_name": 'O\'Brien "Bob" \\',
            },
            id="quotes-and-backslashes",
        ),
        pytest.param(
            {
                "project_name": "Fusée 🚀 Titanic",
                "description": "Predict survival 🛳️, with the family 👩‍👩‍👧 \U0001d518",
                "author_name": "Zoé 😀 Łukasz",
            },
            id="beyond-the-basic-plane",
        ),
    ],
)
def test_accepted_texts_keep_every_file_valid(cookies, texts):
    assert pre_gen.find_errors({**default_answers(), **texts}) == []
    result = cookies.bake(
        extra_context={**texts, "init_git": False, "create_venv": False}
    )
    assert result.exit_code == 0, result.exception
    project = result.project_path
    for path in project.rglob("*"):
        parse = STRUCTURED_PARSERS.get(path.suffix)
        if parse is not None:
            parse(path.read_text())
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == texts["description"]
    assert metadata["authors"][0]["name"] == texts["author_name"]
    assert texts["project_name"] in (project / "README.md").read_text()
    completed = subprocess.run(
        ["ruff", "check", "--no-cache", "."], cwd=project, capture_output=True
    )
    assert completed.returncode == 0, completed.stdout


@pytest.mark.parametrize(
    "names",
    [
        pytest.param({"project_name": "Q"}, id="shortest"),
        pytest.param(
            {
                "project_name": ("Titanic Survival " * 4)[: pre_gen.MAX_NAME_LENGTH],
                "project_slug": "a" * pre_gen.MAX_SLUG_LENGTH,
                "module_name": "m" * pre_gen.MAX_MODULE_LENGTH,
            },
            id="longest",
        ),
    ],
)
def test_shortest_and_longest_names_stay_lint_clean(cookies, names):
    # With every default option; the bake matrix deals short and long names
    # out over the other combinations.
    result = cookies.bake(
        extra_context={**names, "init_git": False, "create_venv": False}
    )
    assert result.exit_code == 0, result.exception
    for command in (["ruff", "check", "--no-cache", "."], ["black", "--check", "."]):
        completed = subprocess.run(
            command, cwd=result.project_path, capture_output=True, text=True
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
