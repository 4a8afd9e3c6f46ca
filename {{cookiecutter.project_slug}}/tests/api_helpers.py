"""Helpers shared by the serving API tests (tests/test_api*.py), and only by them."""

import json
from pathlib import Path
from typing import Any

import pandas as pd

from {{ cookiecutter.module_name }}.config import ApiSettings
from {{ cookiecutter.module_name }}.data import COLUMN_NAMES
from {{ cookiecutter.module_name }}.features import INPUT_FEATURES

CHAMPION_VERSION = "2"


def api_settings(
    tracking_uri: str, model_name: str, folder: Path, **overrides: Any
) -> ApiSettings:
    """Settings of an app on a test store, logging under `folder`, deaf to .env."""
    values = {
        "mlflow_tracking_uri": tracking_uri,
        "model_name": model_name,
        "model_alias": "champion",
        "model_uri": None,
        "prediction_log_path": folder / "logs" / "predictions.jsonl",
        "api_reload_token": None,
        "demo_page_enabled": True,
        "log_level": "INFO",
        **overrides,
    }
    return ApiSettings(_env_file=None, **values)


def passenger_records(raw_frame: pd.DataFrame) -> list[dict]:
    """The synthetic Kaggle rows as API clients send them: missing values as null."""
    features = raw_frame.rename(columns=COLUMN_NAMES)[INPUT_FEATURES]
    return json.loads(features.to_json(orient="records"))


def read_log(path: Path) -> list[dict]:
    """Parse the prediction log, one JSON object per line."""
    return [json.loads(line) for line in path.read_text().splitlines()]
