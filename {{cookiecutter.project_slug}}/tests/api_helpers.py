"""Helpers shared by the serving API tests (tests/test_api*.py), and only by them."""

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from {{ cookiecutter.module_name }}.data.declaration import (
    Numeric,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from app.main import create_app
from app.schemas import NUMBER_LIMIT
from app.settings import ApiSettings
from tests.declared import CLASSES, TARGET, example

CHAMPION_VERSION = "2"
# The first declared example: a valid row, as the API documents and takes it.
EXAMPLE = example()
# An answer's probabilities are keyed by each class as text: JSON keys are text.
CLASS_KEYS = [str(value) for value in CLASSES]


def api_settings(
    tracking_uri: str, model_name: str, folder: Path, **overrides: Any
) -> ApiSettings:
    """Settings of an app on a test store, logging under `folder`, deaf to .env."""
    values = {
        "mlflow_tracking_uri": tracking_uri,
        "model_name": model_name,
        "model_alias": "champion",
        "model_uri": None,
        "prediction_log_path": folder / "logs" / "predictions.jsonl",
        "api_reload_token": None,
        "demo_page_enabled": True,
        "log_level": "INFO",
        **overrides,
    }
    return ApiSettings(_env_file=None, **values)


def served_app(client: TestClient) -> FastAPI:
    """The app a test client calls, as FastAPI (TestClient takes any ASGI app)."""
    assert isinstance(client.app, FastAPI)
    return client.app


def champion_client_fixture():
    """Make a module-scoped `client` fixture: an app serving the shared champion.

    For tests that only read, so one app per module will do. A module binds it
    with `client = champion_client_fixture()`: a fixture imported by name would
    read to ruff as unused (F401), then as redefined by every test taking it (F811).
    """

    @pytest.fixture(scope="module")
    def client(trained_store, tmp_path_factory) -> Iterator[TestClient]:
        """Start the app once, logging in its own folder; server errors are raised."""
        folder = tmp_path_factory.mktemp("api")
        settings = api_settings(trained_store.uri, trained_store.model_name, folder)
        with TestClient(create_app(settings)) as client:
            yield client

    return client


def input_records(raw_frame: pd.DataFrame) -> list[dict]:
    """Synthetic rows' inputs as API clients send them: missing values as null."""
    features = raw_frame.rename(columns=DATASET.source_names)[DATASET.feature_names]
    return json.loads(features.to_json(orient="records"))


def query_params(row: Mapping[str, Any]) -> dict[str, str]:
    """A row as GET /predict's query parameters: text, a missing value left out."""
    return {name: str(value) for name, value in row.items() if value is not None}


def number_bounds(feature: Numeric) -> tuple[float, float]:
    """The bounds the API holds a number to: the declared ones, else the limit."""
    low = -NUMBER_LIMIT if feature.minimum is None else feature.minimum
    high = NUMBER_LIMIT if feature.maximum is None else feature.maximum
    return low, high


def read_log(path: Path) -> list[dict]:
    """Parse the prediction log, one JSON object per line."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def check_prediction(prediction: dict) -> None:
    """One row's answer: a declared class, the most probable of all declared ones.

    The type counts too: JSON tells 1 from "1" and from true, and a client
    comparing the answer with its own labels would miss a class of another type.
    """
    predicted = prediction[TARGET.name]
    assert any(
        predicted == value and type(predicted) is type(value) for value in CLASSES
    ), f"{predicted!r} is not a declared class {CLASSES}"
    probabilities = prediction["probabilities"]
    assert list(probabilities) == CLASS_KEYS
    assert all(0 <= share <= 1 for share in probabilities.values())
    assert math.isclose(sum(probabilities.values()), 1, abs_tol=1e-9)
    assert probabilities[str(predicted)] == max(probabilities.values())
