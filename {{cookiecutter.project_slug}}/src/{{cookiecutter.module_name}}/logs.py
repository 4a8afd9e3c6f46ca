"""Logging set-up and one-line error messages, shared by every entry point."""

import logging

from pydantic import ValidationError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


def first_line(error: BaseException) -> str:
    """Keep the gist of a library error: its first line, or at least its type."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0].rstrip(".")
