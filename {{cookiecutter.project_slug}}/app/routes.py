"""The endpoints: health, readiness, predictions, the model, reload, metrics, demo."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pydantic_core import to_json

from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from app.inference import row_columns
from app.loaded_model import LoadedModel, ModelUnavailableError
from app.schemas import (
    EXAMPLES,
    ROW,
    ROWS,
    ErrorMessage,
    ModelDescription,
    PredictionResponse,
    QueryRow,
    Readiness,
    ReloadResponse,
    RowPayload,
)
from app.serving import ServingState, State

logger = logging.getLogger(__name__)

router = APIRouter()
bearer_token = HTTPBearer(
    auto_error=False, description="API_RELOAD_TOKEN; while it is unset, reload is off."
)

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's request id is kept if it is short and plain, else a new one is made.
CALLER_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
NO_MODEL: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorMessage, "description": "No model is loaded."}
}
PAYLOAD_EXAMPLES = {
    f"one {ROW}": {"value": EXAMPLES[0]},
    f"several {ROWS}": {"value": EXAMPLES},
}
IDENTIFIER = DATASET.identifier.name if DATASET.identifier else None
TARGET = DATASET.target.name
# The classes as an answer's probabilities name them: JSON keys are text.
CLASS_KEYS = [str(value) for value in DATASET.target.classes]
# A static file, not a template: the page holds no server-side value, so any
# deployment that serves the API can serve it as it is, offline.
DEMO_PAGE = Path(__file__).with_name("demo.html")


@router.get("/health", summary="Liveness: the process is up")
async def health() -> dict[str, str]:
    """Answer as long as the process runs, with or without a model."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: a model is loaded",
    responses={503: {"model": Readiness, "description": "No model is loaded."}},
)
async def ready(state: State, response: Response) -> Readiness:
    """Say whether predictions can be served, with which model or why not."""
    model = state.model
    if model is None:
        response.status_code = 503
        return Readiness(ready=False, reason=state.failure)
    return Readiness(ready=True, model_name=model.name, model_version=model.version)


@router.post(
    "/predict",
    summary=f"Predict {TARGET} for one {ROW} or a list of them",
    response_model=PredictionResponse,
    responses={
        **NO_MODEL,
        # FastAPI's own answer to bytes that are not UTF-8; bad JSON gets a 422.
        400: {"model": ErrorMessage, "description": "The body is not UTF-8 text."},
        413: {"model": ErrorMessage, "description": "The body is too large."},
    },
)
async def predict(
    request: Request,
    state: State,
    rows: Annotated[RowPayload, Body(openapi_examples=PAYLOAD_EXAMPLES)],
) -> Response:
    """Score a JSON object (one row) or array (up to 10,000 rows)."""
    batch = rows if isinstance(rows, list) else [rows]
    return await _score(request, state, batch)


@router.get(
    "/predict",
    summary=f"Predict {TARGET} for one {ROW} given in the query string",
    response_model=PredictionResponse,
    responses=NO_MODEL,
)
async def predict_from_query(
    request: Request, state: State, row: Annotated[QueryRow, Query()]
) -> Response:
    """Score one row given field by field: /predict?name=value&other=value."""
    return await _score(request, state, [row])


@router.get(
    "/model",
    summary="The served model and its training metrics",
    response_model=ModelDescription,
    responses=NO_MODEL,
)
async def model_description(state: State) -> LoadedModel:
    """Describe the served model: name, version, source, metrics, training date."""
    return state.current_model()


def require_reload_token(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_token)],
) -> None:
    """Let a reload through only with the configured bearer token; none: no reload.

    Secure by default: a deployment that forgot the token refuses reloads
    rather than letting anyone behind the Ingress trigger them.
    """
    expected = state.settings.api_reload_token
    if expected is None:
        raise HTTPException(
            status_code=403,
            detail="Reload is off: set API_RELOAD_TOKEN on the server to turn it on",
        )
    if credentials is None:
        raise HTTPException(
            status_code=401,
            detail="Send the reload token as Authorization: Bearer <API_RELOAD_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # Bytes, not str: compare_digest refuses non-ASCII text, which headers may hold.
    if not secrets.compare_digest(
        credentials.credentials.encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(status_code=403, detail="Wrong reload token")


@router.post(
    "/model/reload",
    summary="Load the configured model again, e.g. after a new champion",
    response_model=ReloadResponse,
    responses={
        401: {"model": ErrorMessage, "description": "No bearer token was sent."},
        403: {
            "model": ErrorMessage,
            "description": "The token is wrong, or API_RELOAD_TOKEN is unset.",
        },
        503: {
            "model": ErrorMessage,
            "description": "Loading failed; the previous model is still served.",
        },
    },
    dependencies=[Depends(require_reload_token)],
)
async def reload_model(state: State) -> dict[str, Any]:
    """Load the model the settings name now, then swap it in without a restart."""
    previous = state.model
    previous_version = previous.version if previous else None
    try:
        model = await state.load_model()
    except ModelUnavailableError as error:
        kept = f"; still serving version {previous_version}" if previous else ""
        raise HTTPException(status_code=503, detail=f"{error}{kept}") from error
    logger.info("Reloaded: version %s replaces %s", model.version, previous_version)
    return {**model.model_dump(), "previous_version": previous_version}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
async def metrics(state: State) -> Response:
    """Export request, latency, prediction and model metrics for Prometheus."""
    exposition = generate_latest(state.metrics.registry)
    return Response(exposition, media_type=CONTENT_TYPE_LATEST)


@router.get("/", include_in_schema=False)
async def demo_page(state: State) -> FileResponse:
    """Serve the demo form, unless DEMO_PAGE_ENABLED=false keeps the API alone."""
    if not state.settings.demo_page_enabled:
        raise HTTPException(status_code=404, detail="Not Found")
    return FileResponse(DEMO_PAGE, media_type="text/html")


async def _score(
    request: Request, state: ServingState, rows: Sequence[BaseModel]
) -> Response:
    """Score the rows, log each one, and answer with the model that scored."""
    start = perf_counter()
    columns = row_columns(rows)
    scores = await state.batcher.predict(columns, len(rows))
    latency_ms = (perf_counter() - start) * 1000
    request_id = _request_id(request)
    identifiers = [getattr(row, IDENTIFIER) if IDENTIFIER else None for row in rows]
    state.metrics.count_predictions(scores.classes)
    await state.prediction_log.write(
        request_id, identifiers, columns, scores, latency_ms
    )
    body = {
        "request_id": request_id,
        "model_name": scores.model.name,
        "model_version": scores.model.version,
        "predictions": [
            _answer(identifier, predicted, probabilities)
            for identifier, predicted, probabilities in zip(
                identifiers, scores.classes, scores.probabilities, strict=True
            )
        ],
    }
    # Serialised here, in one call: FastAPI would validate the body again first.
    return Response(
        to_json(body),
        media_type="application/json",
        headers={REQUEST_ID_HEADER: request_id},
    )


def _answer(identifier: object, predicted: object, probabilities: list[float]) -> dict:
    """One row's answer: its identifier as sent, its class, each class's probability."""
    answer = {IDENTIFIER: identifier} if IDENTIFIER else {}
    answer[TARGET] = predicted
    answer["probabilities"] = dict(zip(CLASS_KEYS, probabilities, strict=True))
    return answer


def _request_id(request: Request) -> str:
    """Reuse the caller's X-Request-ID when it is plain enough, else make one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if CALLER_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex
