"""Fuzzing the prediction endpoints: whatever a client sends, never a server error."""

import json

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.schemas import (
    MAX_AGE,
    MAX_FARE,
    MAX_PASSENGER_ID,
    MAX_RELATIVES,
    PASSENGER_EXAMPLE,
)
from tests.api_helpers import champion_client_fixture, served_app

# Bounded: a few seconds per test, no example database written to the project.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FIELDS = [*PASSENGER_EXAMPLE, "passenger_id", "PassengerId", "Pclass", "Age", "Sex"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
# Values close to valid ones, so fuzzing also reaches the model, not only 422s.
field_values = (
    st.integers(min_value=-2, max_value=25)
    | st.floats(min_value=-5, max_value=600, allow_nan=False)
    | st.sampled_from(["male", "female", "C", "Q", "S", "", "3", "nan", "1e309"])
    | json_values
)


def mutate(changes: dict, dropped: set) -> dict:
    """The example passenger with some fields changed and some removed."""
    passenger = {**PASSENGER_EXAMPLE, **changes}
    return {key: value for key, value in passenger.items() if key not in dropped}


# Anything the schema accepts, extremes included: the model must score it all.
valid_passengers = st.fixed_dictionaries(
    {
        "pclass": st.integers(1, 3),
        "sex": st.sampled_from(["male", "female"]),
        "sib_sp": st.integers(0, MAX_RELATIVES),
        "parch": st.integers(0, MAX_RELATIVES),
    },
    optional={
        "age": st.none() | st.floats(0, MAX_AGE),
        "fare": st.none() | st.floats(0, MAX_FARE),
        "embarked": st.none() | st.sampled_from(["C", "Q", "S"]),
        "passenger_id": st.none() | st.integers(0, MAX_PASSENGER_ID),
    },
)
passenger_like = (
    st.dictionaries(
        st.sampled_from(FIELDS) | st.text(max_size=10), field_values, max_size=9
    )
    | st.builds(
        mutate,
        st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=3),
        st.sets(st.sampled_from(list(PASSENGER_EXAMPLE)), max_size=2),
    )
    | valid_passengers
)


def as_query(passenger: dict) -> dict[str, str]:
    """Write a passenger-like dict as query parameters: text, null left out."""
    return {key: str(value) for key, value in passenger.items() if value is not None}


# Server exceptions are raised in the test: fuzzing sees them as failures.
client = champion_client_fixture()


def post_as_json(client: TestClient, content: bytes):
    """POST bytes to /predict labelled as JSON, so the app's own parser meets them."""
    return client.post(
        "/predict", content=content, headers={"Content-Type": "application/json"}
    )


def check_answer(client: TestClient, response) -> None:
    """Success with a prediction per row, or a client error with a JSON reason.

    The status must be one the OpenAPI document lists for the operation:
    clients generated from that document know no other.
    """
    assert response.status_code < 500, response.text
    event(f"status {response.status_code}")
    request = response.request
    document = served_app(client).openapi()
    operation = document["paths"][request.url.path][request.method.lower()]
    assert str(response.status_code) in operation["responses"], response.status_code
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    if response.status_code == 200:
        assert all(0 <= row["survival_probability"] <= 1 for row in body["predictions"])
    else:
        assert "detail" in body


@FUZZ
@given(body=json_values)
def test_any_json_body(client: TestClient, body) -> None:
    """Arbitrary JSON, NaN and Infinity included, as the request body."""
    check_answer(client, post_as_json(client, json.dumps(body).encode()))


@FUZZ
@given(body=passenger_like | st.lists(passenger_like, max_size=5))
def test_passenger_like_bodies(client: TestClient, body) -> None:
    """Passengers, or lists of them, with fields that are right, wrong or odd."""
    check_answer(client, post_as_json(client, json.dumps(body).encode()))


@FUZZ
@given(
    params=passenger_like.map(as_query)
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), st.text())
)
def test_query_strings(client: TestClient, params: dict) -> None:
    """The GET form with any parameters, names and values as text."""
    check_answer(client, client.get("/predict", params=params))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_raw_bytes(client: TestClient, raw: bytes) -> None:
    """Bytes that are not even text, sent as JSON."""
    check_answer(client, post_as_json(client, raw))
