"""The serving API in process: every endpoint, its errors, its metrics and its log."""

import asyncio
import json
import logging
import math
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import TypeAdapter, ValidationError

from {{ cookiecutter.module_name }} import (
    registry,
)
from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Feature,
    Numeric,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    EXIT_INVALID_INPUT,
)
from {{ cookiecutter.module_name }}.monitoring.log_schema import (
    LOG_COLUMNS,
)
from {{ cookiecutter.module_name }}.scoring import (
    score,
)
from {{ cookiecutter.module_name }}.training.settings import (
    TEST_METRICS,
)

from app.main import MAX_BODY_BYTES, create_app
from app.prediction_log import PredictionLog
from app.schemas import MAX_ROWS, MAX_TEXT_LENGTH, MODEL_NAME, ROW, ROWS, RowPayload
from app.settings import ApiSettings
from tests.api_helpers import (
    CHAMPION_VERSION,
    CLASS_KEYS,
    EXAMPLE,
    api_settings,
    champion_client_fixture,
    check_prediction,
    input_records,
    number_bounds,
    query_params,
    read_log,
    served_app,
)
from tests.cli_helpers import only_error
from tests.declared import CLASSES, TARGET, identifier, optional

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "s3cret-token"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
UNREACHABLE = "http://127.0.0.1:9"
# A name no declaration can give a field: a misspelt one, refused, not imputed.
UNKNOWN_FIELD = f"{DATASET.feature_names[0]}_misspelt"
# The example's required fields only: a row whose optional fields are absent.
REQUIRED_ONLY = {
    feature.name: EXAMPLE[feature.name]
    for feature in DATASET.features
    if not feature.missing
}


client = champion_client_fixture()


@pytest.fixture
def start_app(trained_store, tmp_path: Path) -> Iterator:
    """Start fresh apps, with their own metrics and log, stopped after the test."""
    with ExitStack() as running:

        def start(
            model_name: str = trained_store.model_name, **overrides
        ) -> TestClient:
            """Build the app with these settings, start it, return a client on it."""
            settings = api_settings(
                trained_store.uri, model_name, tmp_path, **overrides
            )
            return running.enter_context(TestClient(create_app(settings)))

        yield start


@pytest.fixture
def no_model_client(start_app) -> TestClient:
    """An app whose model does not exist in the registry: up, but not ready."""
    return start_app(model_name="nobody_registered_this")


def metric_values(client: TestClient) -> dict[tuple[str, tuple], float]:
    """Parse /metrics into {(sample name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def bound_text(bound: float) -> str:
    """A bound as pydantic writes it in a message: 20 for 20.0, never 1e-07."""
    return format(Decimal(repr(float(bound))), "f").removesuffix(".0")


def one_of(values: tuple) -> str:
    """The allowed values as pydantic lists them: 1, 2 or 3; 'a' or 'b'."""
    shown = [repr(value) for value in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def refusal(feature: Feature) -> tuple[Any, str] | None:
    """A value of the right type the feature's rules refuse, and the API's message.

    A number past its upper bound, or its lower one when it takes decimals:
    the two messages. None for two booleans, which refuse neither.
    """
    if isinstance(feature, Categorical):
        if feature.values is None:
            length = MAX_TEXT_LENGTH + 1
            return (
                "x" * length,
                f"String should have at most {MAX_TEXT_LENGTH} characters",
            )
        if feature.kind == "boolean":
            return None
        if feature.kind == "integer":
            refused: Any = max(feature.values) + 1  # type: ignore[operator]
        else:
            refused = f"not-{'-'.join(map(str, feature.values))}"
        return refused, f"Input should be {one_of(feature.values)}"
    low, high = number_bounds(feature)
    if feature.integer:
        return (
            math.floor(high) + 1,
            f"Input should be less than or equal to {bound_text(high)}",
        )
    return low - 1, f"Input should be greater than or equal to {bound_text(low)}"


REFUSALS = {
    feature.name: found
    for feature in DATASET.features
    if (found := refusal(feature)) is not None
}


def refusals() -> dict[str, tuple[Any, str]]:
    """Every refusable feature's refused value and message, or skip the test."""
    return REFUSALS or pytest.skip("dataset.py declares no feature that refuses values")


def file_names(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row under the data file's names, as a client copying the file sends it."""
    return {DATASET.column(name).source: value for name, value in row.items()}


def identifier_value(number: int) -> int | str:
    """An identifier of the declared kind: the number, or text naming it."""
    return number if identifier().integer else f"id-{number}"


def test_health_answers_without_a_model(no_model_client: TestClient) -> None:
    """Liveness does not depend on the model."""
    response = no_model_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_names_the_served_model(client: TestClient, trained_store) -> None:
    """Ready: the champion of the shared store, version 2."""
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "model_name": trained_store.model_name,
        "model_version": CHAMPION_VERSION,
        "reason": None,
    }


def test_not_ready_says_why(no_model_client: TestClient) -> None:
    """Without a model, /ready answers 503 saying what to do."""
    response = no_model_client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert "cannot load the configured model" in body["reason"]
    assert "POST /model/reload" in body["reason"]


def test_a_model_folder_stays_out_of_the_answers(
    start_app, tmp_path: Path, caplog
) -> None:
    """MODEL_URI may be a folder of the server: the log names it, no 503 does."""
    folder = tmp_path / "private" / "model"
    client = start_app(model_uri=str(folder))
    answers = [
        client.get("/ready"),
        client.post("/predict", json=EXAMPLE),
        client.get("/model"),
    ]
    for response in answers:
        assert response.status_code == 503
        assert "cannot load the configured model" in response.text
        assert "private" not in response.text
    assert str(folder) in caplog.text


def test_missing_store_is_reported_not_created(
    start_app, tmp_path: Path, caplog
) -> None:
    """A wrong SQLite path leaves the API up, logs why, and creates no empty store."""
    store = tmp_path / "nowhere.db"
    client = start_app(mlflow_tracking_uri=f"sqlite:///{store}")
    response = client.get("/ready")
    assert response.status_code == 503
    assert "POST /model/reload" in response.json()["reason"]
    assert str(store) not in response.text
    assert f"no MLflow store at {store}" in caplog.text
    assert not store.exists()


def test_unreachable_server_is_reported_quickly(start_app, caplog) -> None:
    """A tracking server that is down delays the startup by seconds, not minutes.

    Its internal address and the HTTP client's error go to the log, not to the
    clients: every 503 says what to do instead.
    """
    started = time.monotonic()
    client = start_app(mlflow_tracking_uri=UNREACHABLE)
    # MLflow's default retries take minutes; 60 s leaves room for a busy machine.
    assert time.monotonic() - started < 60
    answers = [
        client.get("/ready"),
        client.post("/predict", json=EXAMPLE),
        client.get("/model"),
    ]
    for response in answers:
        assert response.status_code == 503
        assert "cannot load the configured model" in response.text
        assert "POST /model/reload" in response.text
        assert "127.0.0.1" not in response.text
    assert UNREACHABLE in caplog.text


def test_predict_one_row(client: TestClient, trained_store) -> None:
    """One object in, one prediction out, with the request id and the model."""
    response = client.post("/predict", json=EXAMPLE)
    assert response.status_code == 200
    body = response.json()
    assert body["model_name"] == trained_store.model_name
    assert body["model_version"] == CHAMPION_VERSION
    assert body["request_id"] == response.headers["X-Request-ID"]
    [prediction] = body["predictions"]
    check_prediction(prediction)
    echoed = [DATASET.identifier.name] if DATASET.identifier else []
    assert list(prediction) == [*echoed, TARGET.name, "probabilities"]
    assert all(prediction[name] is None for name in echoed)


def test_every_answer_is_a_declared_class(
    client: TestClient, raw_frame: pd.DataFrame
) -> None:
    """Whatever the row, the class is declared and the probabilities cover them all.

    Each class is named by its own JSON type (1, "Adelie" or true), each has
    a probability, they sum to 1, and the class given is the most probable.
    """
    response = client.post("/predict", json=input_records(raw_frame))
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == len(raw_frame)
    for prediction in predictions:
        check_prediction(prediction)
    predicted = {json.dumps(row[TARGET.name]) for row in predictions}
    assert len(predicted) > 1, "a model that learnt its data predicts several classes"


def test_predictions_match_batch_scoring(
    client: TestClient, trained_store, raw_frame: pd.DataFrame, write_csv
) -> None:
    """Many rows, with missing values: the API agrees with batch scoring.

    Same classes and probabilities as batch scoring of the same rows from a CSV,
    so the API's input handling changes nothing.
    """
    records = input_records(raw_frame)
    for feature in DATASET.features:
        if feature.missing:
            assert any(record[feature.name] is None for record in records)
    response = client.post("/predict", json=records)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    source = f"models:/{trained_store.model_name}/{CHAMPION_VERSION}"
    model = registry.load_model(source, served_app(client).state.serving.settings)
    rows = load_dataset(str(write_csv(raw_frame)), require_target=False)
    expected = score(model, rows)
    assert [row[TARGET.name] for row in predictions] == expected[
        DATASET.prediction
    ].tolist()
    for value, column in DATASET.probabilities.items():
        np.testing.assert_allclose(
            [row["probabilities"][str(value)] for row in predictions],
            expected[column],
            rtol=0,
            atol=1e-12,
        )


def test_file_names_are_accepted(client: TestClient) -> None:
    """The data file's column names work too, with the same answer."""
    response = client.post("/predict", json=[file_names(EXAMPLE)])
    assert response.status_code == 200
    [prediction] = response.json()["predictions"]
    same = client.post("/predict", json=EXAMPLE).json()["predictions"][0]
    assert prediction == same


def test_identifier_is_echoed(client: TestClient) -> None:
    """The identifier, under either name, comes back as sent, never read."""
    column = identifier()
    rows = [
        {**EXAMPLE, column.name: identifier_value(892)},
        {**file_names(EXAMPLE), column.source: identifier_value(893)},
    ]
    response = client.post("/predict", json=rows)
    assert response.status_code == 200
    first, second = response.json()["predictions"]
    assert first[column.name] == identifier_value(892)
    assert second[column.name] == identifier_value(893)
    assert first["probabilities"] == second["probabilities"]


def test_query_string_form_matches_post(client: TestClient) -> None:
    """GET /predict?field=value&... gives the same answer as the JSON body.

    For every declared example, those missing values included.
    """
    for row in DATASET.examples:
        response = client.get("/predict", params=query_params(row))
        assert response.status_code == 200, response.text
        posted = client.post("/predict", json=dict(row)).json()
        assert response.json()["predictions"] == posted["predictions"]


def test_optional_fields_may_be_missing(client: TestClient) -> None:
    """Fields that may be missing may be absent or null: the model imputes them."""
    optional()  # skips the test when every field is required
    assert client.post("/predict", json=REQUIRED_ONLY).status_code == 200
    nulls = {
        **REQUIRED_ONLY,
        **{feature.name: None for feature in DATASET.features if feature.missing},
    }
    assert client.post("/predict", json=nulls).status_code == 200
    assert client.get("/predict", params=query_params(REQUIRED_ONLY)).status_code == 200


def test_missing_required_field_is_named(client: TestClient) -> None:
    """A field that must be present is named when it is absent or null."""
    name = next(iter(REQUIRED_ONLY), None) or pytest.skip("no field is required")
    absent = {key: value for key, value in EXAMPLE.items() if key != name}
    for row in (absent, {**EXAMPLE, name: None}):
        response = client.post("/predict", json=row)
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", ROW, name]


def test_missing_text_category_is_imputed(
    client: TestClient, loaded_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing text category reaches the model as missing, and is imputed.

    Not as the text "nan", which numpy makes of a missing value beside text in
    one column, and which the encoder would take for an unknown category: the
    row is encoded as if it held one of the categories the model learnt.
    """
    feature = next(
        (f for f in DATASET.features if f.missing and f.kind == "text"), None
    ) or pytest.skip("dataset.py declares no text category that may be missing")
    known = loaded_frame[feature.name].dropna().unique().tolist()
    pipeline = served_app(client).state.serving.model.pipeline
    frames: list[pd.DataFrame] = []
    predict_proba = pipeline.predict_proba

    def spy(frame: pd.DataFrame) -> np.ndarray:
        """Keep the frame the model is given, then score it."""
        frames.append(frame.copy())
        return predict_proba(frame)

    monkeypatch.setattr(pipeline, "predict_proba", spy)
    # In one request, so both rows share a column: one value, one missing.
    rows = [{**EXAMPLE, feature.name: known[0]}, {**EXAMPLE, feature.name: None}]
    assert client.post("/predict", json=rows).status_code == 200
    [given] = frames
    missing = given.iloc[[1]]
    cell = missing[feature.name].iloc[0]
    assert not isinstance(cell, str) and pd.isna(cell), repr(cell)
    encode = pipeline[:-1]
    imputed = encode.transform(missing)
    assert any(
        np.allclose(imputed, encode.transform(missing.assign(**{feature.name: value})))
        for value in known
    )


def test_invalid_fields_are_named(client: TestClient) -> None:
    """Each bad field is reported with its location and a readable message."""
    refused = refusals()
    bad = EXAMPLE | {name: value for name, (value, _) in refused.items()}
    response = client.post("/predict", json=bad)
    assert response.status_code == 422
    errors = {tuple(error["loc"]): error["msg"] for error in response.json()["detail"]}
    assert errors == {
        ("body", ROW, name): message for name, (_, message) in refused.items()
    }


def test_invalid_rows_of_a_list_are_located(client: TestClient) -> None:
    """In a list, the error says which row is wrong; good rows are not scored."""
    name, (value, _) = next(iter(refusals().items()))
    response = client.post("/predict", json=[EXAMPLE, {**EXAMPLE, name: value}])
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", ROWS, 1, name]


def test_invalid_query_string_is_named(client: TestClient) -> None:
    """The query form has the same rules and reports the parameter."""
    for name, (value, message) in refusals().items():
        response = client.get("/predict", params=query_params({**EXAMPLE, name: value}))
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == ["query", name]
        assert error["msg"] == message


def test_unknown_field_is_refused(client: TestClient) -> None:
    """A misspelt field is an error, not silently imputed."""
    response = client.post("/predict", json={**EXAMPLE, UNKNOWN_FIELD: 30})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "extra_forbidden"


def test_too_many_rows_are_refused(client: TestClient) -> None:
    """More than MAX_ROWS rows in one request: 422, nothing scored."""
    response = client.post("/predict", json=[EXAMPLE] * (MAX_ROWS + 1))
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "too_long"


def test_row_limit_is_checked_before_any_row() -> None:
    """Over MAX_ROWS, the list is refused before one row is validated.

    Validating 10,000 rows first, only to refuse the list, took a second for a
    60,000-row body. Rows that note each read show whether that work is done;
    lax mode, because strict mode refuses such rows without reading them.
    """
    rows_read = []

    class WatchedRow(Mapping):
        """A row that notes every time it is read."""

        def __getitem__(self, key: str) -> Any:
            """Note the read, then give the example's value."""
            rows_read.append(key)
            return EXAMPLE[key]

        def __iter__(self) -> Iterator[str]:
            """Note the read, then give the example's names."""
            rows_read.append("names")
            return iter(EXAMPLE)

        def __len__(self) -> int:
            """As many fields as the example."""
            return len(EXAMPLE)

    rows = [WatchedRow()] * (MAX_ROWS + 1)
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(RowPayload).validate_python(rows, strict=False)
    assert [error["type"] for error in refused.value.errors()] == ["too_long"]
    assert rows_read == []


def wrong_json_types() -> list[tuple[str, Any]]:
    """Per feature, values of another JSON type that == would let through.

    true for a number (it was served as 1), a number as text, a number for
    text, 1 for a boolean: each must be refused, not converted.
    """
    cases: list[tuple[str, Any]] = []
    for feature in DATASET.features:
        valid = next(
            (
                row[feature.name]
                for row in DATASET.examples
                if row.get(feature.name) is not None
            ),
            None,
        )
        if feature.kind in ("integer", "numeric"):
            cases += [(feature.name, True), (feature.name, str(valid or 1))]
        elif feature.kind == "text":
            cases += [(feature.name, 1)]
        else:
            cases += [(feature.name, 1), (feature.name, str(valid).lower())]
    return cases


@pytest.mark.parametrize(("field", "value"), wrong_json_types())
def test_values_must_have_the_declared_json_type(
    client: TestClient, field: str, value: Any
) -> None:
    """A boolean, a number or a string of the wrong type is refused, located."""
    response = client.post("/predict", json=[{**EXAMPLE, field: value}])
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", ROWS, 0, field]


def test_oversized_body_is_refused(client: TestClient) -> None:
    """A body over MAX_BODY_BYTES is refused with 413 before being parsed."""
    body = b"[" + b" " * MAX_BODY_BYTES + b"]"
    response = client.post(
        "/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_predict_without_model_is_503(no_model_client: TestClient) -> None:
    """Both forms answer 503 with the reason, rather than an error page.

    The model's URI stays in the server log: it may be a local path.
    """
    posted = no_model_client.post("/predict", json=EXAMPLE)
    assert posted.status_code == 503
    assert "cannot load the configured model" in posted.json()["detail"]
    assert "nobody_registered_this" not in posted.json()["detail"]
    query = query_params(EXAMPLE)
    assert no_model_client.get("/predict", params=query).status_code == 503
    assert no_model_client.get("/model").status_code == 503


def test_model_description(client: TestClient, trained_store) -> None:
    """Name, version, alias, pinned source and the training run's metrics."""
    response = client.get("/model")
    assert response.status_code == 200
    body = response.json()
    champion = trained_store.results[1]
    assert body["name"] == trained_store.model_name
    assert body["version"] == CHAMPION_VERSION
    assert body["alias"] == "champion"
    assert body["uri"] == f"models:/{trained_store.model_name}@champion"
    assert body["source"] == f"models:/{trained_store.model_name}/{CHAMPION_VERSION}"
    assert body["run_id"] == champion.promotion.run_id
    for name in TEST_METRICS:
        assert body["metrics"][f"test_{name}"] == pytest.approx(champion.metrics[name])
    trained_at = datetime.fromisoformat(body["trained_at"])
    assert trained_at.utcoffset() == timedelta(0)
    assert trained_at <= datetime.fromisoformat(body["loaded_at"])


def test_local_model_folder(start_app, trained_store, tmp_path: Path) -> None:
    """MODEL_URI may be a downloaded model folder: no version, same predictions."""
    source = f"models:/{trained_store.model_name}/{CHAMPION_VERSION}"
    mlflow.set_tracking_uri(trained_store.uri)
    folder = mlflow.artifacts.download_artifacts(source, dst_path=str(tmp_path))
    client = start_app(model_uri=folder)
    body = client.get("/model").json()
    assert body["version"] is None
    assert body["source"] == folder
    assert "test_f1_macro" in body["metrics"]
    answer = client.post("/predict", json=EXAMPLE).json()
    assert answer["model_version"] is None


def test_metrics_count_requests_and_predictions(
    start_app, trained_store, raw_frame
) -> None:
    """Counts by route and status, latency histogram, classes, and the model.

    Predictions are counted under the target's name, one series per declared
    class, each as many as the answers gave.
    """
    model_name = trained_store.model_name
    client = start_app()
    records = input_records(raw_frame)
    answered: Counter[str] = Counter()
    for start in (0, 10, 20):
        response = client.post("/predict", json=records[start : start + 10])
        assert response.status_code == 200
        answered.update(str(row[TARGET.name]) for row in response.json()["predictions"])
    response = client.get("/predict", params=query_params(EXAMPLE))
    assert response.status_code == 200
    answered.update(str(row[TARGET.name]) for row in response.json()["predictions"])
    assert (
        client.post("/predict", json={**EXAMPLE, UNKNOWN_FIELD: 1}).status_code == 422
    )
    assert client.get("/no/such/page").status_code == 404
    values = metric_values(client)

    def requests(method: str, route: str, status: str) -> float:
        """The request counter for one label set (0 if never seen)."""
        labels = (("method", method), ("route", route), ("status", status))
        return values.get(("http_requests_total", labels), 0)

    assert requests("POST", "/predict", "200") == 3
    assert requests("GET", "/predict", "200") == 1
    assert requests("POST", "/predict", "422") == 1
    assert requests("GET", "unmatched", "404") == 1
    latency = (("method", "POST"), ("route", "/predict"), ("status", "200"))
    assert values["http_request_duration_seconds_count", latency] == 3
    predicted = {
        labels: value
        for (name, labels), value in values.items()
        if name == "predictions_total"
    }
    assert predicted == {((TARGET.name, key),): answered[key] for key in CLASS_KEYS}
    model = (("model_name", model_name), ("model_version", CHAMPION_VERSION))
    assert values["model_info", model] == 1


def test_reload_is_refused_without_a_token(start_app) -> None:
    """With API_RELOAD_TOKEN unset, nobody may reload: secure by default."""
    client = start_app()
    response = client.post("/model/reload", headers={"Authorization": "Bearer x"})
    assert response.status_code == 403
    assert "set API_RELOAD_TOKEN" in response.json()["detail"]


def test_reload_checks_the_token(start_app) -> None:
    """No token: 401 with a Bearer challenge; a wrong one: 403; the right one: 200."""
    client = start_app(api_reload_token=TOKEN)
    missing = client.post("/model/reload")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    basic = client.post("/model/reload", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    for wrong in ("nope", TOKEN + "x", "é" + TOKEN):
        headers = {"Authorization": f"Bearer {wrong}".encode()}
        assert client.post("/model/reload", headers=headers).status_code == 403
    right = client.post("/model/reload", headers=AUTHORIZED)
    assert right.status_code == 200
    assert right.json()["version"] == CHAMPION_VERSION
    assert right.json()["previous_version"] == CHAMPION_VERSION


def test_blank_token_means_no_token(start_app) -> None:
    """API_RELOAD_TOKEN= (empty, as in .env.example) leaves reload off."""
    client = start_app(api_reload_token="")
    assert client.post("/model/reload").status_code == 403


def test_reload_picks_up_a_new_champion(start_app, trained_store) -> None:
    """Move the alias to a new version: reload serves it without a restart.

    Under a model name of its own, registered from the shared store's runs, so
    the other tests still see their champion.
    """
    model_registry = MlflowClient(tracking_uri=trained_store.uri)
    name = f"reload_{uuid.uuid4().hex[:8]}"
    model_registry.create_registered_model(name)
    for result in trained_store.results[:2]:
        shared = model_registry.get_model_version(
            trained_store.model_name, result.registered_version
        )
        assert shared.source is not None
        model_registry.create_model_version(name, shared.source, run_id=shared.run_id)
    model_registry.set_registered_model_alias(name, "champion", "1")
    client = start_app(model_name=name, api_reload_token=TOKEN)
    assert client.get("/ready").json()["model_version"] == "1"

    model_registry.set_registered_model_alias(name, "champion", "2")
    assert client.post("/predict", json=EXAMPLE).json()["model_version"] == "1"
    response = client.post("/model/reload", headers=AUTHORIZED)
    assert response.status_code == 200
    assert response.json()["version"] == "2"
    assert response.json()["previous_version"] == "1"
    assert client.get("/ready").json()["model_version"] == "2"
    assert client.post("/predict", json=EXAMPLE).json()["model_version"] == "2"
    gauges = {
        labels: value
        for (sample, labels), value in metric_values(client).items()
        if sample == "model_info"
    }
    assert gauges == {(("model_name", name), ("model_version", "2")): 1}

    model_registry.delete_registered_model_alias(name, "champion")
    failed = client.post("/model/reload", headers=AUTHORIZED)
    assert failed.status_code == 503
    assert "still serving version 2" in failed.json()["detail"]
    assert client.get("/ready").json()["model_version"] == "2"


def test_prediction_log_lines(trained_store, tmp_path: Path, capfd) -> None:
    """One flat JSON line per row, in the file and on stdout, with every field.

    The inputs as received (null where missing), the identifier as sent, the
    predicted class and one probability column per declared class, as answered.
    """
    settings = api_settings(trained_store.uri, trained_store.model_name, tmp_path)
    echoed = (
        {DATASET.identifier.name: identifier_value(7)} if DATASET.identifier else {}
    )
    rows = [{**EXAMPLE, **echoed}, REQUIRED_ONLY]
    # Leaving the block stops the app, which writes out what is still queued.
    with TestClient(create_app(settings)) as client:
        response = client.post("/predict", json=rows)
    lines = read_log(settings.prediction_log_path)
    assert len(lines) == 2
    assert all(list(line) == list(LOG_COLUMNS) for line in lines)
    body = response.json()
    assert {line["request_id"] for line in lines} == {body["request_id"]}
    assert [line["row"] for line in lines] == [0, 1]
    for line, row in zip(lines, rows, strict=True):
        assert {name: line[name] for name in DATASET.feature_names} == {
            name: row.get(name) for name in DATASET.feature_names
        }
    if DATASET.identifier:
        assert [line[DATASET.identifier.name] for line in lines] == [
            identifier_value(7),
            None,
        ]
    for line, prediction in zip(lines, body["predictions"], strict=True):
        assert line[DATASET.prediction] == prediction[TARGET.name]
        assert {column: line[column] for column in DATASET.probabilities.values()} == {
            column: prediction["probabilities"][str(value)]
            for value, column in DATASET.probabilities.items()
        }
        assert line["model_name"] == body["model_name"]
        assert line["model_version"] == CHAMPION_VERSION
        assert line["latency_ms"] > 0
        assert datetime.fromisoformat(line["timestamp"]).utcoffset() == timedelta(0)
    stdout_lines = [
        json.loads(line)
        for line in capfd.readouterr().out.splitlines()
        if line.startswith("{")
    ]
    assert stdout_lines == lines


def test_unwritable_prediction_log_is_one_error_line(tmp_path: Path, caplog) -> None:
    """A log file that cannot be written is an error line naming it, no traceback."""
    model = SimpleNamespace(name="model", version="1")
    shares = [1 / len(CLASSES)] * len(CLASSES)
    scores = SimpleNamespace(classes=CLASSES[:1], probabilities=[shares], model=model)
    columns = {name: [math.nan] for name in DATASET.feature_names}
    # A folder where the file should be: every append fails.
    log = PredictionLog(tmp_path)
    log.open()
    # A stand-in: the log reads these attributes of the scores only.
    writing = log.write("req-1", [None], columns, scores, 1.0)  # type: ignore[arg-type]
    asyncio.run(writing)
    log.close()
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"Prediction log {tmp_path} not written" in record.getMessage()
    assert record.exc_info is None


def test_app_creation_writes_nothing(trained_store, tmp_path: Path) -> None:
    """Building the app (as importing app.main does) creates no log folder."""
    settings = api_settings(trained_store.uri, trained_store.model_name, tmp_path)
    create_app(settings)
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/predict", "GET, POST"),
        ("PUT", "/predict", "GET, POST"),
        ("POST", "/health", "GET"),
    ],
)
def test_wrong_method_names_every_allowed_one(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    """A 405's Allow header lists every method the path serves, not one route's."""
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed


def test_caller_request_id_is_kept(client: TestClient) -> None:
    """A plain X-Request-ID is reused for tracing; anything else is replaced."""
    given = client.post("/predict", json=EXAMPLE, headers={"X-Request-ID": "trace-42"})
    assert given.json()["request_id"] == "trace-42"
    odd = client.post("/predict", json=EXAMPLE, headers={"X-Request-ID": "a b\tc"})
    assert odd.json()["request_id"] != "a b\tc"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
        ("MODEL_ALIAS", "", "MODEL_ALIAS"),
        ("DEMO_PAGE_ENABLED", "maybe", "DEMO_PAGE_ENABLED"),
        ("PREDICTION_LOG_PATH", "{tmp}/a-file/predictions.jsonl", "is a file"),
    ],
)
def test_invalid_settings_stop_before_serving(
    isolated_settings, monkeypatch, tmp_path: Path, caplog, name, value, named
) -> None:
    """A bad variable stops the app as it is built: exit 2 and one line naming it."""
    (tmp_path / "a-file").write_text("in the way")
    monkeypatch.setenv(name, value.format(tmp=tmp_path))
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == EXIT_INVALID_INPUT
    assert named in only_error(caplog)


def test_env_example_configures_the_api(
    isolated_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's lines of .env.example are valid; their empty values mean unset."""
    for name in ApiSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    shutil.copy(PROJECT_ROOT / ".env.example", tmp_path / ".env")
    settings = ApiSettings()
    assert settings.model_uri is None
    assert settings.api_reload_token is None
    assert settings.prediction_log_path == Path("logs/predictions.jsonl")
    expected = "models:/{{ cookiecutter.module_name }}@champion"
    assert settings.served_model_uri == expected


def present(property_schema: dict) -> dict:
    """The schema of a value that may be missing, without its null alternative."""
    options = property_schema.get("anyOf", [property_schema])
    [schema] = [option for option in options if option.get("type") != "null"]
    return schema


def test_openapi_documents_the_rules(client: TestClient) -> None:
    """The docs carry every field's rules, the required ones and an example row."""
    schema = client.get("/openapi.json").json()
    row = schema["components"]["schemas"][MODEL_NAME]
    for feature in DATASET.features:
        documented = present(row["properties"][feature.name])
        if isinstance(feature, Numeric):
            assert documented["type"] == ("integer" if feature.integer else "number")
            low, high = number_bounds(feature)
            assert (documented["minimum"], documented["maximum"]) == (low, high)
        elif feature.values is not None:
            assert documented["enum"] == list(feature.values)
    required = [feature.name for feature in DATASET.features if not feature.missing]
    assert row.get("required", []) == required
    assert row["examples"] == [EXAMPLE]
    assert {
        "/predict",
        "/ready",
        "/health",
        "/model",
        "/model/reload",
        "/metrics",
    } <= set(schema["paths"])


def example_with(raw: Mapping[str, bytes]) -> bytes:
    """The example as JSON, with some fields' values replaced by raw bytes.

    Tokens JSON refuses, such as NaN and Infinity, which json.dumps cannot
    produce as a value, numbers past any machine type, or bytes that are not
    UTF-8.
    """
    members = {name: json.dumps(value).encode() for name, value in EXAMPLE.items()}
    members |= raw
    inside = b", ".join(json.dumps(k).encode() + b": " + v for k, v in members.items())
    return b"{" + inside + b"}"


NUMBER_FIELD = next(
    (f.name for f in DATASET.features if isinstance(f, Numeric)),
    DATASET.feature_names[0],
)
ID_FIELD = DATASET.identifier.name if DATASET.identifier else UNKNOWN_FIELD
FIRST, LAST = DATASET.feature_names[0], DATASET.feature_names[-1]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"null",
        b"[]",
        b"[null]",
        b"{}",
        json.dumps(ROW).encode(),
        b"42",
        b"true",
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1e999",
        example_with({FIRST: b"NaN"}),
        example_with({NUMBER_FIELD: b"Infinity"}),
        example_with({NUMBER_FIELD: b"-Infinity"}),
        b"[" + example_with({NUMBER_FIELD: b"NaN"}) + b"]",
        example_with({NUMBER_FIELD: b"1e400"}),
        example_with({NUMBER_FIELD: b"9" * 23}),
        example_with({ID_FIELD: b"9" * 5000}),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        example_with({FIRST: b'{"nested": [1, {"deeper": null}]}', LAST: b"[0]"}),
        example_with({FIRST: b"[0]", LAST: b'"zero"'}),
        json.dumps([1, "two", None, {FIRST: 3}]).encode(),
        b"\xff\xfe\x00garbage",
        example_with({FIRST: b'"\xc3\x28"'}),
        b'{"\\ud800": 1}',
    ],
)
def test_malformed_bodies_never_cause_a_server_error(
    client: TestClient, body: bytes
) -> None:
    """Whatever the body, the answer is a 4xx with a JSON reason, never a 500."""
    response = client.post(
        "/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded"]
)
def test_non_json_content_types_are_refused(
    client: TestClient, content_type: str | None
) -> None:
    """A JSON body sent with another content type is not parsed: 422, not 500."""
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps(EXAMPLE).encode()
    response = client.post("/predict", content=body, headers=headers)
    assert response.status_code == 422
