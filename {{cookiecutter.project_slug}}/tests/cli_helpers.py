"""Run the project's commands as users do, and hold their failures to one rule.

The rule, checked in process (the records pytest captures) and in a separate
interpreter (what a user's terminal shows): a known failure exits with its code
and one line that says what went wrong, never a traceback.
"""

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MAIN_SCRIPT = PROJECT_ROOT / "main.py"
# A line of the commands' LOG_FORMAT (cli.py) reads "date time LEVEL name: message".
ERROR_LINE = re.compile(r"\S+ \S+ (ERROR|CRITICAL) ")


def only_error(caplog: pytest.LogCaptureFixture) -> str:
    """The message of the single error record logged, which carries no traceback."""
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1, [record.getMessage() for record in errors]
    assert errors[0].exc_info is None
    return errors[0].getMessage()


def run_command(
    *args: str, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python ARGS` from `cwd` in a new interpreter, as a user would type it.

    Only a separate process shows the real exit code and stderr as the command's
    own logging set-up writes it; the timeout turns a hang into a failure (a
    tracked training, which imports MLflow, gets longer on a busy machine).
    """
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def only_error_line(completed: subprocess.CompletedProcess[str], exit_code: int) -> str:
    """Check the run exited with `exit_code` and one error line; return that line.

    stderr may hold info and warning lines too, but not a traceback.
    """
    assert completed.returncode == exit_code, completed.stderr
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if ERROR_LINE.match(line)]
    assert len(errors) == 1, completed.stderr
    return errors[0]
