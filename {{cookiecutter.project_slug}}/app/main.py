"""The FastAPI application that uvicorn serves: `uvicorn app.main:app`."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.routing import Match

from {{ cookiecutter.module_name }} import (
    __version__,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    EXIT_INVALID_INPUT,
    configure_logging,
    describe_errors,
)

from app.loaded_model import ModelUnavailableError
from app.monitoring import HTTP_METHODS, ApiMetrics, MetricsMiddleware
from app.routes import router
from app.schemas import ROW
from app.serving import ServingState
from app.settings import ApiSettings

logger = logging.getLogger(__name__)

# 10,000 rows of the Titanic example take 1.5 MB of JSON: room for wider rows.
MAX_BODY_BYTES = 8 * 1024 * 1024
# The demo page shows the summary as its title, the first paragraph as its lead.
DESCRIPTION = (
    f"{DATASET.description}\n\nThe model registered in MLflow predicts "
    f"{DATASET.target.name}: send one {ROW} or a list to POST /predict, or one in "
    "the query string of GET /predict."
)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """Build the app from these settings, or from the environment's, read now.

    Read as uvicorn imports this module, a wrong setting stops the server before
    it starts: one line and exit code 2, where a failed startup would print a
    traceback. Nothing is loaded or written here, only at startup.
    """
    settings = settings or read_settings()
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Load the model once before serving; flush the prediction log on exit."""
        state = await start_serving(settings, metrics)
        app.state.serving = state
        try:
            yield
        finally:
            state.prediction_log.close()

    app = FastAPI(
        title=f"{DATASET.title} API",
        summary=DATASET.question,
        description=DESCRIPTION,
        version=__version__,
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # Starlette types every handler as taking any Exception, though it passes
    # each one only the exceptions of the class it is registered for.
    app.add_exception_handler(RequestValidationError, answer_invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(ModelUnavailableError, answer_no_model)  # type: ignore[arg-type]
    app.add_exception_handler(405, answer_wrong_method)
    app.include_router(router)
    return app


def read_settings() -> ApiSettings:
    """Read the settings, or stop in one line naming the faulty variables."""
    try:
        return ApiSettings()
    except ValidationError as error:
        configure_logging("INFO")
        logger.error("Invalid configuration: %s", describe_errors(error))
        raise SystemExit(EXIT_INVALID_INPUT) from None


async def start_serving(settings: ApiSettings, metrics: ApiMetrics) -> ServingState:
    """Open the prediction log and load the model; without one, start anyway.

    A missing model (none registered yet, registry down) must not crash-loop
    the service: /health answers, /ready says why it is not ready, and POST
    /model/reload can load the model later.
    """
    configure_logging(settings.log_level)
    state = ServingState(settings, metrics)
    state.prediction_log.open()
    if settings.api_reload_token is None:
        logger.warning("API_RELOAD_TOKEN is unset: POST /model/reload is refused")
    # Loading MLflow and the model builds objects that live as long as the
    # process: no collection scans them meanwhile (up to a fifth of the load's
    # CPU time); serving.py collects once and freezes them as the model goes in.
    gc.freeze()
    gc.disable()
    try:
        await state.load_model()
    except ModelUnavailableError:
        logger.warning("Started without a model: /ready and /predict answer 503")
    finally:
        gc.enable()
    return state


async def answer_no_model(request: Request, error: ModelUnavailableError) -> Response:
    """Answer 503 with the reason no model is served: the API stays up without one."""
    return JSONResponse({"detail": str(error)}, status_code=503)


async def answer_wrong_method(request: Request, error: Exception) -> Response:
    """Answer 405 naming every method the path serves.

    Starlette names the methods of the first route that matches the path only:
    /predict, served by a GET and a POST route, answered `Allow: POST`. Asking
    the router's own matching for each method keeps the answer true.
    """
    allowed = [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    headers = {"Allow": ", ".join(sorted(allowed))}
    return JSONResponse(
        {"detail": "Method Not Allowed"}, status_code=405, headers=headers
    )


async def answer_invalid_request(
    request: Request, error: RequestValidationError
) -> Response:
    """Answer 422 with each faulty field's location and message, not its value.

    FastAPI's default echoes the input: a NaN in it is not valid JSON (a 500
    instead of a 422), and a 10,000-row body would come back whole. ASCII JSON,
    because a location may hold a lone surrogate from the body, which UTF-8
    cannot encode.
    """
    detail = [_field_error(item) for item in error.errors()]
    return Response(
        json.dumps({"detail": detail}), status_code=422, media_type="application/json"
    )


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    """Keep where and what: the location, the message and the error type."""
    message = error["msg"]
    reason = error.get("ctx", {}).get("error")
    if error["type"] == "json_invalid" and reason:
        message = f"{message}: {reason}"
    return {"loc": list(error["loc"]), "msg": message, "type": error["type"]}


app = create_app()
