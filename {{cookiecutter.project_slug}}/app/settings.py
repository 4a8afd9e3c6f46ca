"""Settings of the serving API: which model to serve, where to log, who may reload."""

import os
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

    @field_validator("prediction_log_path")
    @classmethod
    def check_writable(cls, path: Path) -> Path:
        """Refuse, before the server starts, a log that could never be written.

        Only looked at, never created here: the folder is made at startup.
        """
        existing = next(folder for folder in (path, *path.parents) if folder.exists())
        if existing == path and path.is_dir():
            raise ValueError(f"{path} is a folder, not a file")
        if existing != path and not existing.is_dir():
            raise ValueError(f"cannot create {path}: {existing} is a file")
        if not os.access(existing, os.W_OK):
            raise ValueError(f"cannot write {path}: {existing} is read-only")
        return path
