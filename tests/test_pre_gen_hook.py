"""The pre-generation hook refuses bad answers clearly and leaves nothing behind."""

from __future__ import annotations

import subprocess
import tomllib

import pytest

from conftest import bake_from_command_line
from hook_modules import pre_gen

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
    # The email lands in pyproject.toml and in the first commit.
    pytest.param("author_email", "jane.doe", id="email-without-at"),
    pytest.param("author_email", "jane@localhost", id="email-without-domain"),
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
]


SETUP_OFF = ("init_git=false", "create_venv=false")
DERIVED = {
    "module_name": "titanic_survival",
    "k8s_namespace": "titanic-survival",
    "ingress_host": "titanic-survival.lab.sspcloud.fr",
}


@pytest.mark.parametrize(("answer", "value"), REFUSED)
def test_bad_answer_is_refused_with_one_clear_line(tmp_path, answer, value):
    # Pin the answers derived from the slug, so a bad slug is reported once.
    pinned = [f"{name}={value}" for name, value in DERIVED.items() if name != answer]
    completed = bake_from_command_line(
        tmp_path, *SETUP_OFF, *pinned, f"{answer}={value}"
    )
    assert completed.returncode == 1
    ours = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(ours) == 1
    assert ours[0].startswith(f"error: {answer} = {value!r} ")
    assert list(tmp_path.iterdir()) == []


def test_every_error_is_reported_at_once(tmp_path):
    completed = bake_from_command_line(
        tmp_path, *SETUP_OFF, "module_name=json", "author_email=nobody"
    )
    assert "error: module_name = 'json'" in completed.stderr
    assert "error: author_email = 'nobody'" in completed.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("include_api", "yes"),
        ("init_git", 1),
        ("license", "WTFPL"),
        ("python_version", "3.10"),
        ("module_name", None),
    ],
)
def test_wrong_kinds_of_value_are_refused(answer, value):
    # A replay file skips cookiecutter's own checks of choices and booleans.
    answers = {**default_answers(), answer: value}
    assert pre_gen.find_errors(answers) == [
        f"error: {answer} = {value!r} {pre_gen.check_value_type(answer, value)}."
    ]


def default_answers() -> dict[str, object]:
    """Answers as the defaults render them."""
    return {
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
        ("github_owner", "InseeFrLab"),
        ("author_name", "Zoé O'Brien-Łukasz"),
        ("k8s_namespace", "user-jdoe"),
        ("ingress_host", "t" * 63 + ".lab.sspcloud.fr"),
    ],
)
def test_good_answers_pass(answer, value):
    assert pre_gen.find_errors({**default_answers(), answer: value}) == []


def test_quotes_and_backslashes_survive_every_format(cookies):
    tricky = {
        "project_name": 'Jake\'s "Titanic" model',
        "description": r'Say "hi" \ or \n, it\'s fine',
        "author_name": 'O\'Brien "Bob" \\',
        "init_git": False,
        "create_venv": False,
    }
    result = cookies.bake(extra_context=tricky)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == tricky["description"]
    assert metadata["authors"][0]["name"] == tricky["author_name"]
    assert project.name == "jake-s-titanic-model"
    assert tricky["project_name"] in (project / "README.md").read_text()
    completed = subprocess.run(
        ["ruff", "check", "--no-cache", "."], cwd=project, capture_output=True
    )
    assert completed.returncode == 0, completed.stdout


def test_longest_accepted_names_stay_lint_clean(cookies):
    longest = {
        "project_slug": "a" * pre_gen.MAX_SLUG_LENGTH,
        "module_name": "m" * pre_gen.MAX_MODULE_LENGTH,
        "init_git": False,
        "create_venv": False,
    }
    result = cookies.bake(extra_context=longest)
    assert result.exit_code == 0, result.exception
    for command in (["ruff", "check", "--no-cache", "."], ["black", "--check", "."]):
        completed = subprocess.run(
            command, cwd=result.project_path, capture_output=True, text=True
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
