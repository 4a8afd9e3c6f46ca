"""The serving API in process: every endpoint, its errors, its metrics and its log."""

import json
import logging
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from datetime import datetime, timedelta
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

from {{ cookiecutter.module_name }} import registry
from {{ cookiecutter.module_name }}.data.load import load_titanic
from {{ cookiecutter.module_name }}.features import INPUT_FEATURES
from {{ cookiecutter.module_name }}.monitoring.log_schema import LOG_COLUMNS
from {{ cookiecutter.module_name }}.scoring import score

from app.main import MAX_BODY_BYTES, create_app
from app.prediction_log import PredictionLog
from app.schemas import MAX_ROWS, PASSENGER_EXAMPLE, PassengerPayload
from app.settings import ApiSettings
from tests.api_helpers import (
    CHAMPION_VERSION,
    api_settings,
    champion_client_fixture,
    passenger_records,
    read_log,
    served_app,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ONE_ROW_QUERY = "pclass=3&sex=female&age=29&fare=16.5&embarked=S&sib_sp=0&parch=0"
TOKEN = "s3cret-token"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
UNREACHABLE = "http://127.0.0.1:9"


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
        client.post("/predict", json=PASSENGER_EXAMPLE),
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
        client.post("/predict", json=PASSENGER_EXAMPLE),
        client.get("/model"),
    ]
    for response in answers:
        assert response.status_code == 503
        assert "cannot load the configured model" in response.text
        assert "POST /model/reload" in response.text
        assert "127.0.0.1" not in response.text
    assert UNREACHABLE in caplog.text


def test_predict_one_passenger(client: TestClient, trained_store) -> None:
    """One object in, one prediction out, with the request id and the model."""
    response = client.post("/predict", json=PASSENGER_EXAMPLE)
    assert response.status_code == 200
    body = response.json()
    assert body["model_name"] == trained_store.model_name
    assert body["model_version"] == CHAMPION_VERSION
    assert body["request_id"] == response.headers["X-Request-ID"]
    [prediction] = body["predictions"]
    assert prediction["survived"] in (0, 1)
    assert 0 <= prediction["survival_probability"] <= 1
    assert prediction["passenger_id"] is None


def test_predictions_match_batch_scoring(
    client: TestClient, trained_store, raw_frame: pd.DataFrame, write_csv
) -> None:
    """Many passengers, with missing ages and ports: the API agrees with predict.py.

    Same classes and probabilities as batch scoring of the same rows from a CSV,
    so the API's input handling changes nothing.
    """
    records = passenger_records(raw_frame)
    assert any(record["age"] is None for record in records)
    assert any(record["embarked"] is None for record in records)
    response = client.post("/predict", json=records)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    source = f"models:/{trained_store.model_name}/{CHAMPION_VERSION}"
    model = registry.load_model(source, served_app(client).state.serving.settings)
    passengers = load_titanic(str(write_csv(raw_frame)), require_target=False)
    expected = score(model, passengers)
    assert [row["survived"] for row in predictions] == expected[
        "survived_pred"
    ].tolist()
    np.testing.assert_allclose(
        [row["survival_probability"] for row in predictions],
        expected["survival_probability"],
        rtol=0,
        atol=1e-12,
    )


def test_kaggle_names_and_ids_are_accepted(client: TestClient) -> None:
    """Kaggle's column names work too, and PassengerId is echoed back."""
    kaggle = {
        "PassengerId": 892,
        "Pclass": 3,
        "Sex": "female",
        "Age": 29,
        "SibSp": 0,
        "Parch": 0,
        "Fare": 16.5,
        "Embarked": "S",
    }
    response = client.post("/predict", json=[kaggle])
    assert response.status_code == 200
    [prediction] = response.json()["predictions"]
    assert prediction["passenger_id"] == 892
    same = client.post("/predict", json=PASSENGER_EXAMPLE).json()["predictions"][0]
    assert prediction["survival_probability"] == same["survival_probability"]


def test_query_string_form_matches_post(client: TestClient) -> None:
    """GET /predict?pclass=3&... gives the same answer as the JSON body."""
    response = client.get(f"/predict?{ONE_ROW_QUERY}")
    assert response.status_code == 200
    posted = client.post("/predict", json=PASSENGER_EXAMPLE).json()
    assert response.json()["predictions"] == posted["predictions"]


def test_optional_fields_may_be_missing(client: TestClient) -> None:
    """Age, fare and port may be absent or null: the model imputes them."""
    minimal = {"pclass": 1, "sex": "male", "sib_sp": 0, "parch": 0}
    assert client.post("/predict", json=minimal).status_code == 200
    nulls = {**minimal, "age": None, "fare": None, "embarked": None}
    assert client.post("/predict", json=nulls).status_code == 200
    query = "pclass=1&sex=male&sib_sp=0&parch=0"
    assert client.get(f"/predict?{query}").status_code == 200


def test_invalid_fields_are_named(client: TestClient) -> None:
    """Each bad field is reported with its location and a readable message."""
    bad = {**PASSENGER_EXAMPLE, "pclass": 4, "sex": "unknown", "age": -1}
    response = client.post("/predict", json=bad)
    assert response.status_code == 422
    errors = {tuple(error["loc"]): error["msg"] for error in response.json()["detail"]}
    assert errors == {
        ("body", "passenger", "pclass"): "Input should be less than or equal to 3",
        ("body", "passenger", "sex"): "Input should be 'male' or 'female'",
        ("body", "passenger", "age"): "Input should be greater than or equal to 0",
    }


def test_invalid_rows_of_a_list_are_located(client: TestClient) -> None:
    """In a list, the error says which row is wrong; good rows are not scored."""
    rows = [PASSENGER_EXAMPLE, {**PASSENGER_EXAMPLE, "embarked": "X"}]
    response = client.post("/predict", json=rows)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "passengers", 1, "embarked"]


def test_invalid_query_string_is_named(client: TestClient) -> None:
    """The query form has the same rules and reports the parameter."""
    response = client.get("/predict?pclass=3&sex=female&sib_sp=-1&parch=0")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "sib_sp"]


def test_unknown_field_is_refused(client: TestClient) -> None:
    """A misspelt field is an error, not silently imputed."""
    response = client.post("/predict", json={**PASSENGER_EXAMPLE, "agee": 30})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "extra_forbidden"


def test_too_many_rows_are_refused(client: TestClient) -> None:
    """More than MAX_ROWS passengers in one request: 422, nothing scored."""
    response = client.post("/predict", json=[PASSENGER_EXAMPLE] * (MAX_ROWS + 1))
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
        """A passenger that notes every time it is read."""

        def __getitem__(self, key: str) -> Any:
            """Note the read, then give the example's value."""
            rows_read.append(key)
            return PASSENGER_EXAMPLE[key]

        def __iter__(self) -> Iterator[str]:
            """Note the read, then give the example's names."""
            rows_read.append("names")
            return iter(PASSENGER_EXAMPLE)

        def __len__(self) -> int:
            """As many fields as the example."""
            return len(PASSENGER_EXAMPLE)

    rows = [WatchedRow()] * (MAX_ROWS + 1)
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(PassengerPayload).validate_python(rows, strict=False)
    assert [error["type"] for error in refused.value.errors()] == ["too_long"]
    assert rows_read == []


@pytest.mark.parametrize(
    "field, value",
    [("pclass", True), ("sib_sp", False), ("age", True), ("fare", "16.5")],
)
def test_numbers_must_be_json_numbers(client: TestClient, field: str, value) -> None:
    """A boolean or a string is not a number (true was served as class 1)."""
    response = client.post("/predict", json=[{**PASSENGER_EXAMPLE, field: value}])
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "passengers", 0, field]


def test_oversized_body_is_refused(client: TestClient) -> None:
    """A body over MAX_BODY_BYTES is refused with 413 before being parsed."""
    body = b"[" + b" " * MAX_BODY_BYTES + b"]"
    response = client.post(
        "/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_predict_without_model_is_503(no_model_client: TestClient) -> None:
    """Both forms answer 503 with the reason, rather than an error page."""
    posted = no_model_client.post("/predict", json=PASSENGER_EXAMPLE)
    assert posted.status_code == 503
    assert "nobody_registered_this" in posted.json()["detail"]
    assert no_model_client.get(f"/predict?{ONE_ROW_QUERY}").status_code == 503
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
    assert body["metrics"]["test_f1"] == pytest.approx(champion.metrics["f1"])
    assert body["metrics"]["test_accuracy"] == pytest.approx(
        champion.metrics["accuracy"]
    )
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
    assert "test_f1" in body["metrics"]
    answer = client.post("/predict", json=PASSENGER_EXAMPLE).json()
    assert answer["model_version"] is None


def test_metrics_count_requests_and_predictions(
    start_app, trained_store, raw_frame
) -> None:
    """Counts by route and status, latency histogram, classes, and the model."""
    model_name = trained_store.model_name
    client = start_app()
    records = passenger_records(raw_frame)
    for _ in range(3):
        assert client.post("/predict", json=records[:10]).status_code == 200
    assert client.get(f"/predict?{ONE_ROW_QUERY}").status_code == 200
    assert client.post("/predict", json={"pclass": 9}).status_code == 422
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
        labels[0][1]: value
        for (name, labels), value in values.items()
        if name == "predictions_total"
    }
    assert set(predicted) == {"0", "1"}
    assert sum(predicted.values()) == 31
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
    name = f"titanic_reload_{uuid.uuid4().hex[:8]}"
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
    assert (
        client.post("/predict", json=PASSENGER_EXAMPLE).json()["model_version"] == "1"
    )
    response = client.post("/model/reload", headers=AUTHORIZED)
    assert response.status_code == 200
    assert response.json()["version"] == "2"
    assert response.json()["previous_version"] == "1"
    assert client.get("/ready").json()["model_version"] == "2"
    assert (
        client.post("/predict", json=PASSENGER_EXAMPLE).json()["model_version"] == "2"
    )
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
    """One flat JSON line per row, in the file and on stdout, with every field."""
    settings = api_settings(trained_store.uri, trained_store.model_name, tmp_path)
    rows = [
        {**PASSENGER_EXAMPLE, "passenger_id": 7},
        {"pclass": 1, "sex": "male", "sib_sp": 1, "parch": 2},
    ]
    # Leaving the block stops the app, which writes out what is still queued.
    with TestClient(create_app(settings)) as client:
        response = client.post("/predict", json=rows)
    lines = read_log(settings.prediction_log_path)
    assert len(lines) == 2
    assert all(list(line) == list(LOG_COLUMNS) for line in lines)
    body = response.json()
    first, second = lines
    assert {line["request_id"] for line in lines} == {body["request_id"]}
    assert [line["row"] for line in lines] == [0, 1]
    assert first["passenger_id"] == 7
    assert first["sex"] == "female"
    assert first["age"] == 29.0
    assert second["passenger_id"] is None
    assert second["age"] is None
    assert second["embarked"] is None
    for line, prediction in zip(lines, body["predictions"], strict=True):
        assert line["survived_pred"] == prediction["survived"]
        assert line["survival_probability"] == prediction["survival_probability"]
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
    scores = SimpleNamespace(survived=[1], probability=[0.9], model=model)
    columns = {name: [None] for name in INPUT_FEATURES}
    # A folder where the file should be: every append fails.
    log = PredictionLog(tmp_path)
    log.open()
    # A stand-in: the log reads these attributes of the scores only.
    log.write("req-1", [None], columns, scores, latency_ms=1.0)  # type: ignore[arg-type]
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
    given = client.post(
        "/predict", json=PASSENGER_EXAMPLE, headers={"X-Request-ID": "trace-42"}
    )
    assert given.json()["request_id"] == "trace-42"
    odd = client.post(
        "/predict", json=PASSENGER_EXAMPLE, headers={"X-Request-ID": "a b\tc"}
    )
    assert odd.json()["request_id"] != "a b\tc"


def test_invalid_settings_stop_the_startup(
    isolated_settings, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """A bad variable fails the startup, naming it, instead of serving half-set."""
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ValidationError), TestClient(create_app()):
        pass
    assert "LOG_LEVEL" in caplog.text


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


def test_openapi_documents_the_rules(client: TestClient) -> None:
    """The docs carry the constraints and an example passenger."""
    schema = client.get("/openapi.json").json()
    passenger = schema["components"]["schemas"]["Passenger"]
    assert passenger["properties"]["pclass"]["minimum"] == 1
    assert passenger["properties"]["pclass"]["maximum"] == 3
    assert passenger["examples"] == [PASSENGER_EXAMPLE]
    assert {
        "/predict",
        "/ready",
        "/health",
        "/model",
        "/model/reload",
        "/metrics",
    } <= set(schema["paths"])


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"null",
        b"[]",
        b"[null]",
        b"{}",
        b'"passenger"',
        b"42",
        b"true",
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1e999",
        b'{"pclass": NaN, "sex": "male", "sib_sp": 0, "parch": 0}',
        b'{"pclass": 3, "sex": "male", "age": Infinity, "sib_sp": 0, "parch": 0}',
        b'{"pclass": 3, "sex": "male", "fare": -Infinity, "sib_sp": 0, "parch": 0}',
        b'[{"pclass": 3, "sex": "male", "age": NaN, "sib_sp": 0, "parch": 0}]',
        b'{"pclass": 1e400, "sex": "male", "sib_sp": 0, "parch": 0}',
        b'{"pclass": 3, "sex": "male", "sib_sp": 99999999999999999999999, "parch": 0}',
        b'{"pclass": 3, "sex": "male", "sib_sp": 0, "parch": 0, "passenger_id": '
        + b"9" * 5000
        + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"pclass": {"nested": [1, {"deeper": null}]}, "sex": ["male"]}',
        b'{"pclass": 3, "sex": "male", "sib_sp": [0], "parch": "zero"}',
        b'[1, "two", null, {"pclass": 3}]',
        b"\xff\xfe\x00garbage",
        b'{"pclass": 3, "sex": "\xc3\x28"}',
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
    body = json.dumps(PASSENGER_EXAMPLE).encode()
    response = client.post("/predict", content=body, headers=headers)
    assert response.status_code == 422
