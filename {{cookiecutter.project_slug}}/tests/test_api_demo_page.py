"""The demo page at /: a self-contained form for every passenger field, switchable."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.schemas import Passenger
from app.settings import ApiSettings
from tests.api_helpers import api_settings

# Every model input has its own control; the caller's id is not a question.
FORM_FIELDS = set(Passenger.model_fields) - {"passenger_id"}
URL_ATTRIBUTES = {"src", "href", "action"}


class PageOutline(HTMLParser):
    """Collect what the tests check: the form's controls, labels and links."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        super().__init__()
        self.controls: dict[str, str] = {}  # name -> id
        self.labelled_ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note form controls, the ids labels point to, and every linked URL."""
        attributes = dict(attrs)
        if tag in {"input", "select", "textarea"} and (name := attributes.get("name")):
            self.controls[name] = attributes.get("id") or ""
        if tag == "label" and (target := attributes.get("for")):
            self.labelled_ids.add(target)
        self.urls += [
            value for name, value in attrs if name in URL_ATTRIBUTES and value
        ]


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


def test_page_has_a_labelled_control_per_passenger_field(page_outline) -> None:
    """One control per field of the Passenger schema, each with its own label."""
    assert set(page_outline.controls) == FORM_FIELDS
    unlabelled = {
        name
        for name, control_id in page_outline.controls.items()
        if control_id not in page_outline.labelled_ids
    }
    assert unlabelled == set()


def test_page_references_no_external_url(page_outline) -> None:
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
