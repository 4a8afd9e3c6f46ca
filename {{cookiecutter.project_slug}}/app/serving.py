"""The served model: found in MLflow, checked, kept between requests, reloaded."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from {{ cookiecutter.module_name }}.errors import first_line
from {{ cookiecutter.module_name }}.prediction import (
    check_model,
)

from app.inference import BatchPredictor
from app.loaded_model import LoadedModel, ModelUnavailableError
from app.monitoring import ApiMetrics
from app.prediction_log import PredictionLog
from app.settings import ApiSettings

if TYPE_CHECKING:
    from mlflow.entities import Run

logger = logging.getLogger(__name__)


def load_model(settings: ApiSettings) -> LoadedModel:
    """Load the configured model, pinned to one version, and check that it predicts.

    An alias is resolved to its version first, then that version is loaded: the
    reported version is the served one even if the alias moves meanwhile.
    """
    # Imported here, at startup or reload only: mlflow takes seconds to import.
    from mlflow import MlflowClient
    from mlflow.models import Model

    from {{ cookiecutter.module_name }} import registry

    uri = settings.served_model_uri
    registry_uri = registry.REGISTRY_URI.fullmatch(uri)
    version = None
    if registry_uri is not None:
        registry.connect(settings)
        registry.check_local_store_exists(settings.mlflow_tracking_uri)
        version = registry.registry_version(MlflowClient(), registry_uri)
    source = f"models:/{version.name}/{version.version}" if version else uri
    pipeline = registry.load_model(source, settings)
    _score_in_one_thread(pipeline)
    check_model(pipeline, source)
    # The MLmodel file alone: get_model_info would ask the tracking server, which
    # a model folder or a runs:/ URI must not need.
    run_id = version.run_id if version else Model.load(source).run_id
    run = _training_run(run_id, settings)
    return LoadedModel(
        pipeline=pipeline,
        name=version.name if version else settings.model_name,
        version=str(version.version) if version else None,
        alias=registry_uri["alias"] if registry_uri else None,
        uri=uri,
        source=source,
        run_id=run_id,
        metrics=run.data.metrics if run else {},
        # MLflow's epoch milliseconds: pydantic reads them as a UTC datetime.
        trained_at=run.info.start_time if run else None,
        loaded_at=datetime.now(UTC),
    )


def _training_run(run_id: str | None, settings: ApiSettings) -> Run | None:
    """Fetch the run that trained the model, for its metrics; None if unreadable."""
    from mlflow import MlflowClient

    from {{ cookiecutter.module_name }} import registry

    if run_id is None:
        return None
    try:
        registry.check_local_store_exists(settings.mlflow_tracking_uri)
        return MlflowClient().get_run(run_id)
    except registry.TRACKING_FAILURES as error:
        logger.warning(
            "No training metrics: cannot read run %s: %s", run_id, first_line(error)
        )
        return None


def _score_in_one_thread(pipeline: Any) -> None:
    """Set every n_jobs of the pipeline to 1, whatever its steps.

    Requests are already batched into one call on the event loop: a pool of
    threads per call costs more than it brings on a few rows, and competes for
    the cores of the other server processes.
    """
    n_jobs = [
        name for name in pipeline.get_params() if name.split("__")[-1] == "n_jobs"
    ]
    pipeline.set_params(**dict.fromkeys(n_jobs, 1))


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
                # Nor the URI: MODEL_URI may be a folder of the server.
                self.failure = (
                    "cannot load the configured model (the server log names it "
                    "and says why); once that is fixed, POST /model/reload loads it"
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
