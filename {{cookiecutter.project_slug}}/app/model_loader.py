"""Find the model to serve in MLflow, load it once, and hold it with its metadata."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.errors import first_line

from app.model_input import build_frame, passenger_columns
from app.schemas import PASSENGER_EXAMPLES, Passenger
from app.settings import ApiSettings

if TYPE_CHECKING:
    from mlflow.entities import Run

logger = logging.getLogger(__name__)

SURVIVAL_CLASSES = {0, 1}
NOT_LOADED = "no model loaded yet"


class ModelUnavailableError(RuntimeError):
    """The model could not be loaded; the message says which one and why."""


@dataclass(frozen=True)
class LoadedModel:
    """A fitted pipeline ready to predict, with where it came from and how it scored."""

    pipeline: Any
    name: str
    version: str | None
    alias: str | None
    uri: str
    source: str
    run_id: str | None
    metrics: dict[str, float]
    trained_at: str | None
    loaded_at: str
    positive_column: int

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Give each row's class and survival probability from one predict_proba call.

        The class is the most probable one, what the pipeline's predict returns,
        without paying for a second pass through the model.
        While it scores, one warnings filter, Python's default action, stands in
        for the fifteen the server's imports install: scikit-learn re-applies
        every filter for each joblib task (each tree of a forest), which cost a
        third of a forest's time on a few rows. Warnings still show; filters are
        process-wide, so one another thread adds meanwhile would be lost.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            probabilities = self.pipeline.predict_proba(frame)
        survived = self.pipeline.classes_.take(probabilities.argmax(axis=1))
        return survived, probabilities[:, self.positive_column]

    def describe(self) -> dict[str, Any]:
        """Everything but the pipeline, for GET /model and the logs."""
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "uri": self.uri,
            "source": self.source,
            "run_id": self.run_id,
            "metrics": self.metrics,
            "trained_at": self.trained_at,
            "loaded_at": self.loaded_at,
        }


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
    registry.connect(settings)
    if uri.startswith(registry.STORE_SCHEMES):
        registry.check_local_store_exists(settings.mlflow_tracking_uri)
    registry_uri = registry.REGISTRY_URI.fullmatch(uri)
    version = None
    if registry_uri is not None:
        version = registry.registry_version(MlflowClient(), registry_uri)
        source = f"models:/{version.name}/{version.version}"
    else:
        source = uri
    pipeline = registry.load_model(source, settings)
    positive_column = _positive_column(pipeline, source)
    _score_in_one_thread(pipeline)
    _check_scores_examples(pipeline, source)
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
        metrics=dict(run.data.metrics) if run else {},
        trained_at=_utc_iso(run.info.start_time) if run else None,
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        positive_column=positive_column,
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


def _positive_column(pipeline: Any, source: str) -> int:
    """Find the column of class 1 in predict_proba, refusing non-survival models."""
    classes = getattr(pipeline, "classes_", None)
    if classes is None or set(classes.tolist()) != SURVIVAL_CLASSES:
        raise ValueError(f"{source} is not a 0/1 classifier (classes: {classes})")
    return classes.tolist().index(1)


def _check_scores_examples(pipeline: Any, source: str) -> None:
    """Score the documented examples, built as requests are.

    They miss an age, a fare and a port: a model that cannot score them, or
    answers NaN, is refused here rather than at its first request. This first
    call also warms the model up.
    """
    passengers = [Passenger(**example) for example in PASSENGER_EXAMPLES]
    examples = build_frame(passenger_columns(passengers))
    if not np.isfinite(pipeline.predict_proba(examples)).all():
        raise ValueError(f"{source} gives non-finite probabilities for the examples")


def _score_in_one_thread(pipeline: Any) -> None:
    """Set every n_jobs of the pipeline to 1, whatever its steps.

    Requests are already batched into one call on the event loop: a pool of
    threads per call costs more than it brings on a few rows, and competes for
    the cores of the other server processes.
    """
    pipeline.set_params(
        **{
            name: 1
            for name in pipeline.get_params()
            if name == "n_jobs" or name.endswith("__n_jobs")
        }
    )


def _utc_iso(milliseconds: int) -> str:
    """Turn MLflow's epoch milliseconds into a readable UTC timestamp."""
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(
        timespec="seconds"
    )


class ModelSlot:
    """The model being served, replaced whole on reload so no request sees half."""

    def __init__(self, settings: ApiSettings) -> None:
        """Start empty: load() fills it, at startup and on each reload."""
        self.settings = settings
        self.current: LoadedModel | None = None
        # Why the last load failed, for /ready and the 503s; None once one worked.
        self.failure: str | None = NOT_LOADED
        self._lock = asyncio.Lock()

    async def load(self) -> LoadedModel:
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
                # that does not unpickle): the API must stay up and say why.
                self.failure = f"cannot load model {uri}: {first_line(error)}"
                logger.error(
                    "%s (tracking URI %s)",
                    self.failure,
                    self.settings.mlflow_tracking_uri,
                )
                logger.debug("Model loading failed", exc_info=True)
                raise ModelUnavailableError(self.failure) from error
            self.current, self.failure = model, None
            _exempt_from_collection()
        logger.info(
            "Serving %s version %s from %s", model.name, model.version, model.source
        )
        return model


def _exempt_from_collection() -> None:
    """Take the long-lived objects out of the garbage collector's sight.

    mlflow, scikit-learn and the model leave hundreds of thousands of objects
    that every full collection would scan again, pausing requests for tens of
    milliseconds (most of the tail latency of large requests). Unfreezing
    first lets one collection free a replaced model before the new freeze.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
