"""Fuzzing the prediction endpoints: whatever a client sends, never a server error.

The rows are drawn from dataset.py: valid ones within each field's bounds and
listed values, missing where allowed; near-valid ones from the same edges.
"""

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from {{ cookiecutter.module_name }}.data.declaration import (
    Feature,
    Identifier,
    Numeric,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from app.schemas import ID_BOUNDS, MAX_TEXT_LENGTH
from tests.api_helpers import (
    EXAMPLE,
    champion_client_fixture,
    check_prediction,
    number_bounds,
    query_params,
    served_app,
)

# Bounded: a few seconds per test, no example database written to the project.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
IDENTIFIER = DATASET.identifier
# Every name a field may be sent under: the code's and the data file's.
NAMED = [*DATASET.features, *([IDENTIFIER] if IDENTIFIER else [])]
FIELDS = [name for column in NAMED for name in (column.name, column.source)]

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


def edges(feature: Feature) -> list[Any]:
    """Values at and just past the feature's rules, and the same values as text."""
    if isinstance(feature, Numeric):
        bounds = number_bounds(feature)
        numbers = [0, -1, *bounds, *(b - 1 for b in bounds), *(b + 1 for b in bounds)]
        return [*numbers, *map(str, numbers)]
    listed = list(feature.values or ())
    return [*listed, *map(str, listed), *(str(v).upper() for v in listed)]


# Values close to valid ones, so fuzzing also reaches the model, not only 422s.
EDGES = [value for feature in DATASET.features for value in edges(feature)]
field_values = st.sampled_from([*EDGES, "", "nan", "1e309", None]) | json_values


def accepted(feature: Feature) -> SearchStrategy:
    """Any value the feature accepts: within bounds, listed, missing if allowed."""
    strategy: SearchStrategy
    if isinstance(feature, Numeric):
        low, high = number_bounds(feature)
        strategy = (
            st.integers(math.ceil(low), math.floor(high))
            if feature.integer
            else st.floats(low, high)
        )
    elif feature.values is not None:
        strategy = st.sampled_from(feature.values)
    else:
        strategy = st.text(max_size=MAX_TEXT_LENGTH)
    return st.none() | strategy if feature.missing else strategy


def identifiers(column: Identifier) -> SearchStrategy:
    """Any identifier the API echoes: a 64-bit integer or text, as declared."""
    if column.integer:
        return st.integers(ID_BOUNDS["ge"], ID_BOUNDS["le"])
    return st.text(max_size=MAX_TEXT_LENGTH)


# Anything the schema accepts, extremes included: the model must score it all.
optional_fields = {f.name: accepted(f) for f in DATASET.features if f.missing}
if IDENTIFIER:
    optional_fields[IDENTIFIER.name] = st.none() | identifiers(IDENTIFIER)
valid_rows = st.fixed_dictionaries(
    {f.name: accepted(f) for f in DATASET.features if not f.missing},
    optional=optional_fields,
)


def mutate(changes: dict, dropped: set) -> dict:
    """The example row with some fields changed and some removed."""
    row = {**EXAMPLE, **changes}
    return {key: value for key, value in row.items() if key not in dropped}


row_like = (
    st.dictionaries(
        st.sampled_from(FIELDS) | st.text(max_size=10),
        field_values,
        max_size=len(FIELDS),
    )
    | st.builds(
        mutate,
        st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=3),
        st.sets(st.sampled_from(list(EXAMPLE)), max_size=2),
    )
    | valid_rows
)


# Server exceptions are raised in the test: fuzzing sees them as failures.
client = champion_client_fixture()


def post_as_json(client: TestClient, content: bytes):
    """POST bytes to /predict labelled as JSON, so the app's own parser meets them."""
    return client.post(
        "/predict", content=content, headers={"Content-Type": "application/json"}
    )


def check_answer(client: TestClient, response) -> None:
    """Success with a declared class per row, or a client error with a JSON reason.

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
        for prediction in body["predictions"]:
            check_prediction(prediction)
    else:
        assert "detail" in body


@FUZZ
@given(rows=st.lists(valid_rows, min_size=1, max_size=5))
def test_valid_rows_are_always_scored(client: TestClient, rows: list[dict]) -> None:
    """Every row the declaration allows is scored: a declared class per row.

    The identifier comes back as sent, and the query form of the first row
    gets the same answer as its JSON form, to the last bits of the
    probabilities: a linear model scores one row and a batch with different
    float arithmetic.
    """
    response = post_as_json(client, json.dumps(rows).encode())
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == len(rows)
    for row, prediction in zip(rows, predictions, strict=True):
        check_prediction(prediction)
        if IDENTIFIER:
            assert prediction[IDENTIFIER.name] == row.get(IDENTIFIER.name)
    queried = client.get("/predict", params=query_params(rows[0]))
    assert queried.status_code == 200, queried.text
    (answer,) = queried.json()["predictions"]
    probabilities = answer.pop("probabilities")
    assert probabilities == pytest.approx(predictions[0].pop("probabilities"))
    assert answer == predictions[0]


@FUZZ
@given(body=json_values)
def test_any_json_body(client: TestClient, body) -> None:
    """Arbitrary JSON, NaN and Infinity included, as the request body."""
    check_answer(client, post_as_json(client, json.dumps(body).encode()))


@FUZZ
@given(body=row_like | st.lists(row_like, max_size=5))
def test_row_like_bodies(client: TestClient, body) -> None:
    """Rows, or lists of them, with fields that are right, wrong or odd."""
    check_answer(client, post_as_json(client, json.dumps(body).encode()))


@FUZZ
@given(
    params=row_like.map(query_params)
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
