"""What the app keeps between requests: the model, its batcher, the log, the metrics."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Annotated

from fastapi import Depends, Request

from {{ cookiecutter.module_name }}.errors import first_line

from app.inference import BatchPredictor
from app.model_loader import LoadedModel, ModelUnavailableError, load_model
from app.monitoring import ApiMetrics
from app.prediction_log import PredictionLog
from app.settings import ApiSettings

logger = logging.getLogger(__name__)


class ServingState:
    """What the routes use, and the model, replaced whole so no request sees half."""

    def __init__(self, settings: ApiSettings, metrics: ApiMetrics) -> None:
        """Start without a model: load_model() brings one, at startup and on reload."""
        self.settings = settings
        self.metrics = metrics
        self.prediction_log = PredictionLog(settings.prediction_log_path)
        self.batcher = BatchPredictor(self.current_model, metrics)
        self.model: LoadedModel | None = None
        # Why the last load failed, for /ready and the 503s; None once one worked.
        self.failure: str | None = "no model loaded yet"
        self._lock = asyncio.Lock()

    def current_model(self) -> LoadedModel:
        """The model to score with now, or ModelUnavailableError saying why none."""
        if self.model is None:
            raise ModelUnavailableError(self.failure)
        return self.model

    async def load_model(self) -> LoadedModel:
        """Load the configured model off the event loop; on failure keep the old one.

        Requests keep being served by the current model while the new one loads;
        concurrent reloads wait for each other instead of loading twice at once.
        """
        uri = self.settings.served_model_uri
        async with self._lock:
            try:
                model = await asyncio.to_thread(load_model, self.settings)
            except Exception as error:
                # Anything can fail here (registry down, no such alias, a model
                # that does not unpickle): the API must stay up and say why, in
                # the log only: the reason may hold internal URLs and errors.
                logger.error(
                    "Cannot load model %s (tracking URI %s): %s",
                    uri,
                    self.settings.mlflow_tracking_uri,
                    first_line(error),
                )
                logger.debug("Model loading failed", exc_info=True)
                self.failure = (
                    f"cannot load model {uri} (the server log says why); "
                    "once that is fixed, POST /model/reload loads it"
                )
                raise ModelUnavailableError(self.failure) from error
            replacing = self.model is not None
            self.model, self.failure = model, None
            _exempt_from_collection(replacing)
        self.metrics.set_model(model)
        logger.info(
            "Serving %s version %s from %s", model.name, model.version, model.source
        )
        return model


def _exempt_from_collection(replacing: bool) -> None:
    """Take the long-lived objects out of the garbage collector's sight.

    mlflow, scikit-learn and the model leave hundreds of thousands of objects
    that every full collection would scan again, pausing requests for tens of
    milliseconds (most of the tail latency of large requests). A replaced
    model is frozen: it is unfrozen so that the collection can free it; at
    start-up, the collection scans only what the load built.
    """
    if replacing:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


async def serving_state(request: Request) -> ServingState:
    """Give a route the state built at startup (a FastAPI dependency)."""
    return request.app.state.serving


# How a route asks for the state: `state: State` among its parameters.
State = Annotated[ServingState, Depends(serving_state)]
