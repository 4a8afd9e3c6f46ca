"""Request and response bodies: their constraints and examples become the API docs."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
)
from pydantic.alias_generators import to_pascal
from pydantic_core import PydanticCustomError

# One request holds at most this many passengers; larger files go to batch scoring.
MAX_ROWS = 10_000
# Generous bounds: they reject typos and absurd values, not rare passengers.
MAX_AGE = 120
MAX_RELATIVES = 20
MAX_FARE = 10_000
MAX_PASSENGER_ID = 2**63 - 1

PASSENGER_EXAMPLE: dict[str, Any] = {
    "pclass": 3,
    "sex": "female",
    "age": 29.0,
    "sib_sp": 0,
    "parch": 0,
    "fare": 16.5,
    "embarked": "S",
}
# Also the model's check at load time: varied classes, ports and missing values.
PASSENGER_EXAMPLES: list[dict[str, Any]] = [
    PASSENGER_EXAMPLE,
    {"pclass": 1, "sex": "male", "age": None, "sib_sp": 1, "parch": 0},
    {
        "pclass": 2,
        "sex": "male",
        "age": 4.0,
        "sib_sp": 1,
        "parch": 1,
        "fare": 23.0,
        "embarked": "C",
    },
]


Relatives = Annotated[int, Field(ge=0, le=MAX_RELATIVES)]


def _snake_or_kaggle(name: str) -> AliasChoices:
    """Accept the model's snake_case name and the Kaggle column name (SibSp) alike."""
    return AliasChoices(name, to_pascal(name))


class Passenger(BaseModel):
    """One passenger, as the model sees it; a missing age, fare or port is imputed.

    Strict: a JSON number must be a number, never true, false or "3".
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=AliasGenerator(validation_alias=_snake_or_kaggle),
        json_schema_extra={"examples": [PASSENGER_EXAMPLE]},
    )

    pclass: int = Field(ge=1, le=3, description="Ticket class: 1, 2 or 3.")
    sex: Literal["male", "female"]
    age: float | None = Field(
        default=None,
        ge=0,
        le=MAX_AGE,
        allow_inf_nan=False,
        description="Age in years; null or absent if unknown.",
    )
    sib_sp: Relatives = Field(description="Siblings and spouses aboard.")
    parch: Relatives = Field(description="Parents and children aboard.")
    fare: float | None = Field(
        default=None,
        ge=0,
        le=MAX_FARE,
        allow_inf_nan=False,
        description="Ticket price; null or absent if unknown.",
    )
    embarked: Literal["C", "Q", "S"] | None = Field(
        default=None,
        description="Port of embarkation: Cherbourg, Queenstown or Southampton.",
    )
    passenger_id: int | None = Field(
        default=None,
        ge=0,
        le=MAX_PASSENGER_ID,
        description="Your identifier, echoed back and logged; the model ignores it.",
    )


class QueryPassenger(Passenger):
    """The same passenger from a query string, where every value arrives as text."""

    model_config = ConfigDict(strict=False)


def _at_most_max_rows(rows: Any) -> Any:
    """Refuse an over-long list before validating any row: 60,000 take a second."""
    if isinstance(rows, list) and len(rows) > MAX_ROWS:
        raise PydanticCustomError(
            "too_long",
            "Send at most {max_length} passengers per request, not {actual_length}; "
            "the score command takes larger files",
            {"max_length": MAX_ROWS, "actual_length": len(rows)},
        )
    return rows


def _one_or_many(value: Any) -> str:
    """Route a JSON array to the list branch and anything else to the object one."""
    return "passengers" if isinstance(value, list) else "passenger"


PassengerList = Annotated[
    list[Passenger],
    Field(min_length=1, max_length=MAX_ROWS),
    BeforeValidator(_at_most_max_rows),
]
# The callable discriminator keeps error locations short (body.passenger.age, or
# body.passengers.3.age) instead of reporting every field against both branches.
PassengerPayload = Annotated[
    Annotated[Passenger, Tag("passenger")]
    | Annotated[PassengerList, Tag("passengers")],
    Discriminator(_one_or_many),
]


class Prediction(BaseModel):
    """The model's answer for one passenger, in the order they were sent."""

    passenger_id: int | None = Field(description="As sent, or null.")
    survived: Literal[0, 1] = Field(description="Predicted class: 1 if survived.")
    survival_probability: float = Field(ge=0, le=1)


class PredictionResponse(BaseModel):
    """Predictions with what is needed to trace them: the request and the model."""

    request_id: str = Field(description="Also in the X-Request-ID header and the log.")
    model_name: str
    model_version: str | None = Field(description="Null outside a registry.")
    predictions: list[Prediction]


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
