"""Plumbing shared by the command lines: logging set-up and one-line error text."""

import logging
from typing import Any

from pydantic import ValidationError

from {{ cookiecutter.module_name }}.config import Settings

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Exit codes of every command line, so that a scheduler or a CI step reads them
# the same way whichever command it ran.
EXIT_OK = 0
EXIT_INVALID_INPUT = 2  # settings, arguments or data refused: one error line says why
EXIT_TRACKING_FAILED = 3  # MLflow could not record or provide what was asked
# The drift report crossed a threshold: "look at the report", not "the job broke".
EXIT_ALERT = 4


def configure_logging(level: str) -> None:
    """Send logs to stderr once, then follow the configured level."""
    logging.basicConfig(format=LOG_FORMAT)
    logging.getLogger().setLevel(level)


def describe_errors(error: ValidationError) -> str:
    """Condense pydantic errors to one line naming the environment variables."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
        for item in error.errors()
    )


def load_settings(
    settings_class: type[Settings] = Settings, **overrides: Any
) -> Settings | None:
    """Build the settings and follow their log level; None, logged, if invalid."""
    try:
        settings = settings_class(**overrides)
    except ValidationError as error:
        logger.error("Invalid configuration: %s", describe_errors(error))
        return None
    configure_logging(settings.log_level)
    return settings


def first_line(error: BaseException) -> str:
    """Keep the gist of a library error: its first line, or at least its type."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0].rstrip(".")
