"""What the app keeps between requests: the model, its batcher, the log, the metrics."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.inference import BatchPredictor
from app.model_loader import ModelSlot
from app.monitoring import ApiMetrics
from app.prediction_log import PredictionLog
from app.settings import ApiSettings


@dataclass(frozen=True)
class ServingState:
    """The long-lived objects the lifespan builds and the routes use."""

    settings: ApiSettings
    models: ModelSlot
    batcher: BatchPredictor
    prediction_log: PredictionLog
    metrics: ApiMetrics


async def serving_state(request: Request) -> ServingState:
    """Give a route the state built at startup (a FastAPI dependency)."""
    return request.app.state.serving


# How a route asks for the state: `state: State` among its parameters.
State = Annotated[ServingState, Depends(serving_state)]
