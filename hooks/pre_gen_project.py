"""Refuse answers that would bake a broken project, before any file is written.

Cookiecutter renders this file with Jinja, runs it, and deletes the new project
directory when it exits non-zero. The only Jinja here is the string below, so the
module also imports as plain Python and the tests call its checks directly.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable

ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

SLUG_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
MODULE_PATTERN = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
GITHUB_OWNER_PATTERN = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")
DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
NAMESPACE_PATTERN = re.compile(DNS_LABEL)
HOST_PATTERN = re.compile(rf"{DNS_LABEL}(\.{DNS_LABEL})+")
MAX_HOST_LENGTH = 253
MAX_SLUG_LENGTH = 63  # a Kubernetes name (DNS-1123 label) and an image name
MAX_MODULE_LENGTH = 30  # keeps every import of the package within the line length
MAX_GITHUB_OWNER_LENGTH = 39

# Top-level modules the baked project imports or creates itself: a package with
# one of these names would shadow it and break the project at import time.
RESERVED_MODULES = frozenset(
    {
        "app",
        "black",
        "boto3",
        "duckdb",
        "fastapi",
        "fsspec",
        "httpx",
        "joblib",
        "main",
        "matplotlib",
        "mlflow",
        "numpy",
        "pandas",
        "pre_commit",
        "pyarrow",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "requests",
        "ruff",
        "s3fs",
        "scipy",
        "sklearn",
        "src",
        "starlette",
        "test",  # the standard library's own test package, absent from its name list
        "tests",
        "uvicorn",
        "yaml",
    }
)

TEXT_ANSWERS = ("project_name", "description", "author_name")
BOOLEAN_ANSWERS = ("include_api", "init_git", "create_venv")
CHOICE_ANSWERS = {
    "python_version": ("3.11", "3.12", "3.13"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "GPL-3.0-only", "Proprietary"),
    "data_storage": ("local", "s3"),
    "deployment": ("argocd", "kubernetes", "none"),
    "container_registry": ("ghcr.io", "docker.io"),
}


def check_slug(slug: str) -> str | None:
    """Keep the slug usable as a repository, distribution and Kubernetes name."""
    if len(slug) > MAX_SLUG_LENGTH:
        return f"must be at most {MAX_SLUG_LENGTH} characters"
    if not SLUG_PATTERN.fullmatch(slug):
        return (
            "must be lowercase letters, digits and single hyphens, "
            "starting with a letter (for example titanic-survival)"
        )
    return None


def check_module_name(name: str) -> str | None:
    """Keep the package importable and from hiding a module the project needs."""
    if len(name) > MAX_MODULE_LENGTH:
        return f"must be at most {MAX_MODULE_LENGTH} characters"
    if not MODULE_PATTERN.fullmatch(name):
        return (
            "must be a lowercase Python identifier: letters, digits and "
            "underscores, not starting with a digit (for example titanic_survival)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "is a Python keyword; choose another name"
    if name in sys.stdlib_module_names:
        return "shadows a module of the Python standard library; choose another name"
    if name in RESERVED_MODULES:
        return "shadows a module the project depends on; choose another name"
    return None


def check_email(email: str) -> str | None:
    """Catch a typo before it lands in pyproject.toml and commit metadata."""
    if not EMAIL_PATTERN.fullmatch(email):
        return "must look like name@domain.tld"
    return None


def check_github_owner(owner: str) -> str | None:
    """Apply GitHub's rules, since the owner builds image and repository URLs."""
    if len(owner) > MAX_GITHUB_OWNER_LENGTH or not GITHUB_OWNER_PATTERN.fullmatch(
        owner
    ):
        return (
            f"must be 1 to {MAX_GITHUB_OWNER_LENGTH} letters, digits and single "
            "hyphens, not starting or ending with a hyphen"
        )
    return None


def check_namespace(namespace: str) -> str | None:
    """Kubernetes refuses a namespace that is not a DNS-1123 label."""
    if not NAMESPACE_PATTERN.fullmatch(namespace):
        return (
            "must be 1 to 63 lowercase letters, digits and hyphens, starting and "
            "ending with a letter or digit (a Kubernetes namespace)"
        )
    return None


def check_ingress_host(host: str) -> str | None:
    """The Ingress rule and its TLS entry need a fully qualified lowercase host."""
    if len(host) > MAX_HOST_LENGTH or not HOST_PATTERN.fullmatch(host):
        return (
            "must be a lowercase DNS name with at least one dot, such as "
            "my-project.lab.sspcloud.fr (no scheme, port or path)"
        )
    return None


def check_text(text: str) -> str | None:
    """Allow any one-line text: quotes and backslashes are escaped where used."""
    if not text.strip():
        return "must not be empty"
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        return "must be a single line without control characters"
    return None


FORMAT_CHECKS: dict[str, Callable[[str], str | None]] = {
    "project_slug": check_slug,
    "module_name": check_module_name,
    "author_email": check_email,
    "github_owner": check_github_owner,
    "k8s_namespace": check_namespace,
    "ingress_host": check_ingress_host,
    **dict.fromkeys(TEXT_ANSWERS, check_text),
}


def check_value_type(name: str, value: object) -> str | None:
    """Refuse values of the wrong kind, as given with --no-input or a config file."""
    if name in BOOLEAN_ANSWERS and not isinstance(value, bool):
        return "must be true or false"
    if name in CHOICE_ANSWERS and value not in CHOICE_ANSWERS[name]:
        return "must be one of " + ", ".join(CHOICE_ANSWERS[name])
    if name in FORMAT_CHECKS and not isinstance(value, str):
        return "must be text"
    return None


def find_errors(answers: dict[str, object]) -> list[str]:
    """Return one line per refused answer, naming the answer, its value and the rule."""
    errors = []
    for name in (*FORMAT_CHECKS, *BOOLEAN_ANSWERS, *CHOICE_ANSWERS):
        value = answers.get(name)
        problem = check_value_type(name, value)
        if problem is None and name in FORMAT_CHECKS:
            problem = FORMAT_CHECKS[name](value)
        if problem is not None:
            errors.append(f"error: {name} = {value!r} {problem}.")
    return errors


def main(answers: dict[str, object]) -> int:
    """Print every refused answer to stderr; a non-zero exit stops the bake."""
    errors = find_errors(answers)
    for line in errors:
        print(line, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON)))
