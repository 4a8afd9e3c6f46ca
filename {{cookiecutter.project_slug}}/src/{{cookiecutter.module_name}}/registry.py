"""Reach MLflow and load registered models: all that serving needs of it.

Kept apart from tracking.py, which logs training runs, so that the API and batch
scoring import neither matplotlib nor the training code, and the serving image
only needs the lightweight mlflow-skinny client.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST
from requests.exceptions import RequestException

from {{ cookiecutter.module_name }}.config import MlflowSettings

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion
    from sklearn.pipeline import Pipeline

STORE_SCHEMES = ("models:/", "runs:/")
# models:/NAME@ALIAS and models:/NAME/VERSION name a registry version; other URIs
# (runs:/, a folder, models:/m-<id>) designate a model without one.
REGISTRY_URI = re.compile(
    r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>\d+))"
)
SQLITE_PREFIX = "sqlite:///"
# MLflow retries an unreachable server for minutes by default. Without retries a
# refused connection fails at once, and a server that does not answer fails after
# the timeout, long enough for a busy server. Real variables still win.
FAIL_FAST_HTTP = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
# Failures that mean "MLflow could not be reached or read", as opposed to bugs.
TRACKING_FAILURES = (MlflowException, RequestException, OSError)


def connect(settings: MlflowSettings) -> None:
    """Point MLflow at the configured store, failing fast if a server is down."""
    for name, value in FAIL_FAST_HTTP.items():
        os.environ.setdefault(name, value)
    # MLflow reads credentials from the environment only: pass on those from .env.
    if settings.mlflow_tracking_username is not None:
        os.environ["MLFLOW_TRACKING_USERNAME"] = settings.mlflow_tracking_username
    if settings.mlflow_tracking_password is not None:
        password = settings.mlflow_tracking_password.get_secret_value()
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)


def load_model(model_uri: str, settings: MlflowSettings) -> Pipeline:
    """Load a scikit-learn model from the registry, a run or a path, for scoring.

    The scikit-learn flavour, not pyfunc, so that predict_proba is available.
    """
    connect(settings)
    if model_uri.startswith(STORE_SCHEMES):
        check_local_store_exists(settings.mlflow_tracking_uri)
    return mlflow.sklearn.load_model(model_uri)


def check_local_store_exists(tracking_uri: str) -> None:
    """Refuse a missing SQLite file, which MLflow would silently create empty."""
    if not tracking_uri.startswith(SQLITE_PREFIX):
        return
    path = Path(tracking_uri.removeprefix(SQLITE_PREFIX))
    if not path.exists():
        raise MlflowException(
            f"no MLflow store at {path}",
            error_code=RESOURCE_DOES_NOT_EXIST,
        )


def registry_version(client: MlflowClient, registry_uri: re.Match) -> ModelVersion:
    """Ask the registry which version an alias or a number designates."""
    name, alias, version = registry_uri.group("name", "alias", "version")
    if alias is not None:
        return client.get_model_version_by_alias(name, alias)
    return client.get_model_version(name, version)


def download_run_artifact(
    model_uri: str, artifact_path: str, settings: MlflowSettings, destination: Path
) -> Path:
    """Fetch a file logged by the run that trained a registered model version.

    Drift is measured against the profile of the model actually served, which
    its training run logged beside it: `models:/NAME@champion` follows the alias.
    """
    registry_uri = REGISTRY_URI.fullmatch(model_uri)
    if registry_uri is None:
        raise MlflowException(
            f"{model_uri!r} is not models:/NAME@ALIAS or models:/NAME/VERSION"
        )
    connect(settings)
    check_local_store_exists(settings.mlflow_tracking_uri)
    version = registry_version(mlflow.MlflowClient(), registry_uri)
    local = mlflow.artifacts.download_artifacts(
        run_id=version.run_id, artifact_path=artifact_path, dst_path=str(destination)
    )
    return Path(local)
