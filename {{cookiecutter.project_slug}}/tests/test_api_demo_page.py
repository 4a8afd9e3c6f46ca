"""The demo page at /: a static page whose form the API's own schema describes.

The page holds no column: its script reads /openapi.json and builds a control
per field of the request's row, so it serves any declaration as it is. These
tests read the page and the schema as the script does, without a browser.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Numeric,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from app.main import create_app
from app.settings import ApiSettings
from tests.api_helpers import EXAMPLE, api_settings, number_bounds
from tests.declared import CLASSES, TARGET

URL_ATTRIBUTES = {"src", "href", "action"}
# Elements of a form written by hand: the page's script makes them all.
FORM_ELEMENTS = {"input", "select", "textarea", "option", "label"}
# Every name a declared field goes by, in the code and in the data file.
DECLARED_NAMES = {
    name
    for column in (*DATASET.features, *filter(None, [DATASET.identifier]), TARGET)
    for name in (column.name, column.source)
}
# A comment or a string literal of the script, whichever starts first.
JS_TOKEN = re.compile(
    r"//[^\n]*|/\*.*?\*/"
    r"|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`",
    re.DOTALL,
)
INTERPOLATION = re.compile(r"\$\{[^}]*\}")
# Where the script names its own elements and speaks the DOM's or JSON
# Schema's words: literals there are the page's, whatever the data.
OWN_WORDS = re.compile(
    r"(?:createElement|getElementById|querySelector|setAttribute|removeAttribute"
    r"|addEventListener|toggle|fetch)\(([^)]*)\)"
    r"|\.(?:type|inputMode|step|className)\s*(?:=|===|!==)\s*([^;,)]*)"
    r"|typeof\s+[\w.]+\s*===\s*(\"\w+\")"
)


class PageOutline(HTMLParser):
    """Collect what the tests check: elements, their names for CSS, links, script."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        super().__init__()
        self.tags: set[str] = set()
        self.own_names: set[str] = set()  # ids, classes and tags of the page
        self.urls: list[str] = []
        self.script = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note each element, the names CSS and the script know it by, and links."""
        self.tags.add(tag)
        self._in_script = tag == "script"
        self.own_names.add(tag)
        for name, value in attrs:
            if name in {"id", "class"} and value:
                self.own_names.update(value.split())
            if name in URL_ATTRIBUTES and value:
                self.urls.append(value)

    def handle_endtag(self, tag: str) -> None:
        """Leave the script, if it was one."""
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        """Keep the script's text, to read its literals."""
        if self._in_script:
            self.script += data

    def script_literals(self) -> set[str]:
        """The script's string literals, but those naming the page's own things."""
        code = JS_TOKEN.sub(lambda m: "" if is_comment(m[0]) else m[0], self.script)
        own = {
            text
            for match in OWN_WORDS.finditer(code)
            for part in match.groups()
            if part
            for text in literals(part)
        }
        return literals(code) - own - self.own_names


def is_comment(token: str) -> bool:
    """Whether a token of the script is a comment, rather than a string."""
    return token.startswith("/")


def literals(code: str) -> set[str]:
    """The text of every string literal in a piece of script.

    A template literal counts as the text between its ${} parts.
    """
    return {
        text
        for token in JS_TOKEN.findall(code)
        if not is_comment(token)
        for text in INTERPOLATION.split(token[1:-1])
    }


@dataclass(frozen=True)
class Form:
    """What the page's script reads from the schema to build its form and verdict."""

    title: str
    lead: str
    row: dict[str, Any]
    fields: dict[str, dict]
    target: str
    target_property: dict


def resolve(document: dict, schema: dict) -> dict:
    """The schema a JSON reference points to, in the same document."""
    if "$ref" not in schema:
        return schema
    node: Any = document
    for key in schema["$ref"].split("/")[1:]:
        node = node[key]
    return resolve(document, node)


def first_reference(document: dict, schema: dict | None) -> dict | None:
    """The first named schema a schema refers to, however deep: as the page looks."""
    if not schema:
        return None
    if "$ref" in schema:
        return resolve(document, schema)
    for part in [
        *schema.get("oneOf", []),
        *schema.get("anyOf", []),
        schema.get("items"),
    ]:
        found = first_reference(document, part)
        if found:
            return found
    return None


def read_form(document: dict) -> Form:
    """Follow the page's script through the OpenAPI document of POST /predict."""
    operation = document["paths"]["/predict"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    row = first_reference(document, body)
    assert row is not None, "the request names no row schema"
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    prediction = first_reference(
        document, resolve(document, answer)["properties"]["predictions"]
    )
    assert prediction is not None, "the answer names no prediction schema"
    [(target, target_property)] = [
        (name, value)
        for name, value in prediction["properties"].items()
        if "x-labels" in value
    ]
    return Form(
        title=document["info"].get("summary", document["info"]["title"]),
        lead=document["info"].get("description", "").split("\n\n")[0],
        row=row,
        fields={
            name: value
            for name, value in row["properties"].items()
            if not value.get("x-identifier")
        },
        target=target,
        target_property=target_property,
    )


def present(property_schema: dict) -> dict:
    """A field's schema without the null alternative of a value that may be missing."""
    options = property_schema.get("anyOf", [property_schema])
    [schema] = [option for option in options if option.get("type") != "null"]
    return schema


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Start apps without a model: the page must not depend on one."""
    with ExitStack() as running:

        def start(**overrides) -> TestClient:
            """Build the app with these settings, start it, return a client on it."""
            store = f"sqlite:///{tmp_path / 'absent.db'}"
            settings = api_settings(store, "no_model", tmp_path, **overrides)
            return running.enter_context(TestClient(create_app(settings)))

        yield start


@pytest.fixture
def page_outline(start_app) -> PageOutline:
    """The page the default settings serve at /, parsed."""
    response = start_app().get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    outline = PageOutline()
    outline.feed(response.text)
    return outline


@pytest.fixture
def form(start_app) -> Form:
    """The form the page's script builds from the API's schema."""
    response = start_app().get("/openapi.json")
    assert response.status_code == 200
    return read_form(response.json())


def test_page_builds_its_form_from_the_schema(page_outline: PageOutline) -> None:
    """No control is written in the page: its script makes them from openapi.json."""
    assert page_outline.tags & FORM_ELEMENTS == set()
    assert '"openapi.json"' in page_outline.script


def test_page_names_no_declared_field(page_outline: PageOutline) -> None:
    """No field's name, in the code or the file, is spelt out by the page's script.

    A literal the page also gives one of its own elements, or the DOM's or JSON
    Schema's vocabulary (a field called "status" or "text"), is the page's.
    """
    assert page_outline.script_literals() & DECLARED_NAMES == set()


def test_schema_gives_the_page_its_title(form: Form) -> None:
    """The heading is the declared question, the lead its description."""
    assert form.title == DATASET.question
    assert form.lead == DATASET.description


def test_schema_gives_a_field_per_input(form: Form) -> None:
    """One field per declared input, in order, described, with its rules and labels.

    The identifier is the caller's, not a question: the page leaves it out.
    """
    assert list(form.fields) == DATASET.feature_names
    for feature in DATASET.features:
        field = form.fields[feature.name]
        assert field.get("description") == (feature.description or None)
        rule = present(field)
        if isinstance(feature, Numeric):
            assert rule["type"] == ("integer" if feature.integer else "number")
            assert (rule["minimum"], rule["maximum"]) == number_bounds(feature)
        if isinstance(feature, Categorical) and feature.values is not None:
            assert rule["enum"] == list(feature.values)
            labels = {str(value): text for value, text in feature.labels.items()}
            assert field.get("x-labels", {}) == labels
    required = [feature.name for feature in DATASET.features if not feature.missing]
    assert form.row.get("required", []) == required


def test_schema_gives_the_form_its_first_values(form: Form) -> None:
    """The form starts with the first declared example."""
    assert form.row["examples"][0] == EXAMPLE


def test_schema_names_the_target_and_its_labels(form: Form) -> None:
    """The verdict shows the target's classes by their labels, one per class."""
    assert form.target == TARGET.name
    assert form.target_property["enum"] == CLASSES
    assert form.target_property["x-labels"] == {
        str(value): TARGET.label(value) for value in CLASSES
    }


def test_page_references_no_external_url(page_outline: PageOutline) -> None:
    """No CDN and no remote asset: the page works offline, behind any firewall."""
    external = [
        url for url in page_outline.urls if url.startswith(("http:", "https:", "//"))
    ]
    assert external == []


def test_page_is_not_part_of_the_api_schema(start_app) -> None:
    """The OpenAPI document describes the API only, page or no page."""
    assert "/" not in start_app().get("/openapi.json").json()["paths"]


def test_disabled_page_is_not_found(start_app) -> None:
    """DEMO_PAGE_ENABLED=false leaves the API alone: / is 404, the rest answers."""
    client = start_app(demo_page_enabled=False)
    assert client.get("/").status_code == 404
    assert client.get("/health").status_code == 200


def test_the_setting_reads_demo_page_enabled(monkeypatch) -> None:
    """The variable the README documents is the one that switches the page off."""
    monkeypatch.setenv("DEMO_PAGE_ENABLED", "false")
    assert ApiSettings(_env_file=None).demo_page_enabled is False
