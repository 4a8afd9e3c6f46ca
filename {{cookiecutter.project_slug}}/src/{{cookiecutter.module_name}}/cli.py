"""Plumbing shared by the command lines: exit codes and settings loading."""

import logging
from typing import Any

from pydantic import ValidationError

from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.logs import configure_logging, describe_errors

logger = logging.getLogger(__name__)

# Exit codes of every command line, so that a scheduler or a CI step reads them
# the same way whichever command it ran.
EXIT_OK = 0
EXIT_INVALID_INPUT = 2  # settings, arguments or data refused: one error line says why
EXIT_TRACKING_FAILED = 3  # MLflow could not record or provide what was asked
# The drift report crossed a threshold: "look at the report", not "the job broke".
EXIT_ALERT = 4


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
