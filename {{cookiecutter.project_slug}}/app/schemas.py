"""Request and response bodies, built once from dataset.py: they become the API docs.

Each declared feature is a field with its rules (bounds, allowed values,
missing or not), its description and its name in the data file as an alias;
the target's classes type the answer. Nothing here names a column.
"""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    create_model,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Feature,
    Identifier,
    Numeric,
    Value,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

# One request holds at most this many rows; larger files go to batch scoring.
MAX_ROWS = 10_000
# Identifiers are logged as 64-bit integers or as text of a sensible length.
ID_BOUNDS = {"ge": -(2**63), "le": 2**63 - 1}
MAX_TEXT_LENGTH = 256
# A number dataset.py gives no bound stays within this many units of 0: far past
# it, the model's 32-bit floats overflow (a 500, not a 422), and whole numbers
# stop being exact as the log's doubles.
NUMBER_LIMIT = 10**15
ROW = DATASET.row
ROWS = f"{ROW}s"
# The OpenAPI component names: letters and digits, the row's name capitalised.
MODEL_NAME = re.sub(r"[^A-Za-z0-9]", "", ROW.title()) or "Row"
EXAMPLES = [dict(example) for example in DATASET.examples]
# Python's type of each kind of value, as JSON hands it over, and its name.
KIND_TYPES: dict[str, tuple[type, str]] = {
    "boolean": (bool, "true or false"),
    "integer": (int, "an integer"),
    "text": (str, "text"),
}


class RowBase(BaseModel):
    """Strict: a JSON number must be a number, never true, false or "3"."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [dict(DATASET.examples[0])]},
    )


class QueryRowBase(RowBase):
    """The same row from a query string, where every value arrives as text."""

    model_config = ConfigDict(strict=False)


def _exact_type(kind: str) -> Callable[[Any], Any]:
    """Refuse a value of another JSON type, which == would let through (True == 1)."""
    expected, name = KIND_TYPES[kind]

    def check(value: Any) -> Any:
        """Let the value through only if it is of the expected type, or missing."""
        if value is not None and type(value) is not expected:
            raise PydanticCustomError(
                "value_type", "Input should be {kind}", {"kind": name}
            )
        return value

    return check


def _from_text(values: tuple[Value, ...]) -> Callable[[Any], Any]:
    """Read a query string's text as the declared value it spells ("1" for 1)."""
    spelled = {str(value).lower(): value for value in values}

    def parse(value: Any) -> Any:
        """Turn known text into its value; anything else fails the Literal check."""
        if isinstance(value, str):
            return spelled.get(value.lower(), value)
        return value

    return parse


def _feature_field(feature: Feature, *, from_query: bool) -> tuple[Any, Any]:
    """A feature's type and rules, as pydantic's create_model takes them."""
    annotation: Any = _feature_type(feature, from_query=from_query)
    extra: JsonDict = {}
    if isinstance(feature, Categorical) and feature.labels:
        extra["x-labels"] = {str(key): label for key, label in feature.labels.items()}
    # Required unless the declaration lets the value be missing.
    default: Any = None if feature.missing else ...
    bounds: dict[str, Any] = {}
    if isinstance(feature, Categorical) and feature.values is None:
        bounds = {"max_length": MAX_TEXT_LENGTH}
    elif isinstance(feature, Numeric):
        bounds = {
            "ge": -NUMBER_LIMIT if feature.minimum is None else feature.minimum,
            "le": NUMBER_LIMIT if feature.maximum is None else feature.maximum,
        }
        bounds["allow_inf_nan"] = None if feature.integer else False
    field = Field(
        default,
        validation_alias=AliasChoices(feature.name, feature.source),
        description=feature.description or None,
        json_schema_extra=extra or None,
        **{rule: value for rule, value in bounds.items() if value is not None},
    )
    return (annotation | None if feature.missing else annotation), field


def _feature_type(feature: Feature, *, from_query: bool) -> Any:
    """The Python type of a feature's values: a number, text, or one of its values."""
    if isinstance(feature, Numeric):
        return int if feature.integer else float
    if feature.values is None:
        return str
    parse = _from_text(feature.values) if from_query else _exact_type(feature.kind)
    return Annotated[Literal[feature.values], BeforeValidator(parse)]


def _identifier_field(identifier: Identifier) -> tuple[Any, Any]:
    """The optional identifier: echoed back and logged, never read by the model."""
    rules: dict[str, Any] = (
        ID_BOUNDS if identifier.integer else {"max_length": MAX_TEXT_LENGTH}
    )
    return (int if identifier.integer else str) | None, Field(
        default=None,
        validation_alias=AliasChoices(identifier.name, identifier.source),
        description=identifier.description or "Echoed back and logged.",
        json_schema_extra={"x-identifier": True},
        **rules,
    )


def _row_fields(*, from_query: bool) -> dict[str, Any]:
    """Every field of a row: the features in the file's order, then the identifier."""
    fields = {
        feature.name: _feature_field(feature, from_query=from_query)
        for feature in DATASET.features
    }
    if DATASET.identifier:
        fields[DATASET.identifier.name] = _identifier_field(DATASET.identifier)
    return fields


ROW_DOC = (
    f"One {ROW}, as the model sees it; a missing value, where allowed, is imputed."
)
Row = create_model(
    MODEL_NAME,
    __base__=RowBase,
    __doc__=f"{ROW_DOC}\n\n{RowBase.__doc__}",
    **_row_fields(from_query=False),
)
QueryRow = create_model(
    f"Query{MODEL_NAME}",
    __base__=QueryRowBase,
    __doc__=f"{ROW_DOC}\n\n{QueryRowBase.__doc__}",
    **_row_fields(from_query=True),
)


def _at_most_max_rows(rows: Any) -> Any:
    """Refuse an over-long list before validating any row: 60,000 take a second."""
    if isinstance(rows, list) and len(rows) > MAX_ROWS:
        raise PydanticCustomError(
            "too_long",
            "Send at most {max_length} " + ROWS + " per request, not "
            "{actual_length}; the score command takes larger files",
            {"max_length": MAX_ROWS, "actual_length": len(rows)},
        )
    return rows


def _one_or_many(value: Any) -> str:
    """Route a JSON array to the list branch and anything else to the object one."""
    return ROWS if isinstance(value, list) else ROW


RowList = Annotated[
    list[Row],
    Field(min_length=1, max_length=MAX_ROWS),
    BeforeValidator(_at_most_max_rows),
]
# The callable discriminator keeps error locations short (body.<row>.<field>,
# or body.<rows>.3.<field>) instead of reporting every field against both.
RowPayload = Annotated[
    Annotated[Row, Tag(ROW)] | Annotated[RowList, Tag(ROWS)],
    Discriminator(_one_or_many),
]


def _prediction_fields() -> dict[str, Any]:
    """The identifier as sent, the predicted class, and each class's probability."""
    target = DATASET.target
    fields: dict[str, Any] = {}
    if DATASET.identifier:
        kind = int if DATASET.identifier.integer else str
        fields[DATASET.identifier.name] = (kind | None, Field(description="As sent."))
    labels: JsonDict = {str(value): target.label(value) for value in target.classes}
    fields[target.name] = (
        Literal[target.classes],
        Field(
            description="The predicted class.", json_schema_extra={"x-labels": labels}
        ),
    )
    fields["probabilities"] = (
        dict[str, Annotated[float, Field(ge=0, le=1)]],
        Field(description="Each class's probability, keyed by the class as text."),
    )
    return fields


Prediction = create_model(f"{MODEL_NAME}Prediction", **_prediction_fields())


class ResponseBase(BaseModel):
    """Predictions with what is needed to trace them: the request and the model."""

    request_id: str = Field(description="Also in the X-Request-ID header and the log.")
    model_name: str
    model_version: str | None = Field(description="Null outside a registry.")


PredictionResponse = create_model(
    "PredictionResponse",
    __base__=ResponseBase,
    predictions=(list[Prediction], Field(description="In the order sent.")),
)


class ModelDescription(BaseModel):
    """Which model is served, where it came from, and how it scored in training."""

    name: str
    version: str | None
    alias: str | None
    uri: str = Field(description="The configured model URI.")
    source: str = Field(description="What was loaded: the URI pinned to its version.")
    run_id: str | None
    metrics: dict[str, float] = Field(description="Metrics of the training run.")
    trained_at: datetime | None = Field(description="Start of the training run.")
    loaded_at: datetime = Field(description="When this process loaded the model.")


class ReloadResponse(ModelDescription):
    """The model now served, and the version it replaced."""

    previous_version: str | None


class Readiness(BaseModel):
    """Whether predictions can be served, and with which model or why not."""

    ready: bool
    model_name: str | None = None
    model_version: str | None = None
    reason: str | None = None


class ErrorMessage(BaseModel):
    """Why a request failed, in one sentence."""

    detail: str
