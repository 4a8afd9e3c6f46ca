"""How failures reach the user: exit codes, one-line messages, the logging set-up."""

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from pydantic import ValidationError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# MLflow's: its loggers keep a handler of their own with this date format, so
# a command's lines, the project's and MLflow's, read alike.
LOG_DATE_FORMAT = "%Y/%m/%d %H:%M:%S"
# Exit codes of every command, so that a scheduler or a CI step reads them the
# same way whichever command it ran.
EXIT_OK = 0
EXIT_INVALID_INPUT = 2  # settings, arguments or data refused: one error line says why
EXIT_TRACKING_FAILED = 3  # MLflow could not record or provide what was asked
# The drift report crossed a threshold: "look at the report", not "the job broke".
EXIT_ALERT = 4
EXIT_SAVE_FAILED = 5  # the model could not be written: the last good one was kept


class CommandError(Exception):
    """A failure the user can fix; the message says what failed and what to do."""

    exit_code = EXIT_INVALID_INPUT


class DeclarationError(CommandError):
    """dataset.py declares something the code cannot use; the message names it."""


class DataValidationError(CommandError, ValueError):
    """The input data cannot be used for training or scoring; the message says why."""


class DataAccessError(DataValidationError):
    """A location cannot be reached, read or written: credentials, network, URI."""


class DataNotFoundError(DataAccessError):
    """Nothing exists at the location, or its bucket does not exist."""


class ModelMismatchError(CommandError):
    """A model cannot answer for the declared dataset: other classes or columns."""


class TrackingError(CommandError):
    """MLflow could not record a run or provide a model."""

    exit_code = EXIT_TRACKING_FAILED


class SaveError(CommandError):
    """The trained model could not be written to disk (full, or read-only)."""

    exit_code = EXIT_SAVE_FAILED


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C raises KeyboardInterrupt, to stop the same way."""


@contextmanager
def stopped_cleanly_by_sigterm() -> Iterator[None]:
    """Make SIGTERM (kill, a pod's stop, Argo) unwind the command as Ctrl-C does.

    Python's default for SIGTERM ends the process at once: an open MLflow run
    stays RUNNING and joblib's workers live on for minutes. Raised instead,
    it ends the run as FAILED and lets joblib stop its workers.
    """
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    """The SIGTERM handler: stop where the program is, as an exception."""
    raise Terminated


def interrupted_exit_code(error: KeyboardInterrupt) -> int:
    """128 plus the signal's number, as a shell reports a process it stopped."""
    stop = signal.SIGTERM if isinstance(error, Terminated) else signal.SIGINT
    return 128 + stop


def configure_logging(level: str) -> None:
    """Send logs to stderr once, then follow the configured level."""
    logging.basicConfig(format=LOG_FORMAT, datefmt=LOG_DATE_FORMAT)
    logging.getLogger().setLevel(level)


def describe_errors(
    error: ValidationError, skipped: frozenset[str] = frozenset()
) -> str:
    """Condense pydantic errors to one line naming the environment variables.

    `skipped` names location parts that are not settings (command names).
    """
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc'] if part not in skipped).upper()}"
        f": {item['msg']}"
        for item in error.errors()
    )


def first_line(error: BaseException) -> str:
    """Keep the gist of a library error: its first line, or at least its type."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0].rstrip(".")
