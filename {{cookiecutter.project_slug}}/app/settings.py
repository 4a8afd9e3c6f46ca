"""Settings of the serving API: which model to serve, where to log, who may reload."""

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from {{ cookiecutter.module_name }}.config import (
    PREDICTION_LOG_PATH,
    ServedModelSettings,
    blank_is_none,
)


class ApiSettings(ServedModelSettings):
    """Settings of the serving API (app/): which model to serve and where to log."""

    prediction_log_path: Path = Field(
        default=Path(PREDICTION_LOG_PATH),
        description="JSON-lines file receiving one line per predicted row.",
    )
    api_reload_token: SecretStr | None = Field(
        default=None,
        description="Bearer token POST /model/reload requires; unset: reload is off.",
    )
    demo_page_enabled: bool = Field(
        default=True,
        description="Serve the demo form at /; false leaves the API alone (/ is 404).",
    )

    _blank_token_is_unset = field_validator("api_reload_token", mode="before")(
        blank_is_none
    )
