"""One-line errors for failed reads and writes: HTTP and AWS codes explained."""

from __future__ import annotations

import re
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager

from {{ cookiecutter.module_name }}.config import (
    S3Settings,
)
from {{ cookiecutter.module_name }}.errors import (
    DataAccessError,
    DataNotFoundError,
    first_line,
)

AWS_ERROR = re.compile(r"AWS Error (\w+)")
# AWS SDK error codes meaning "these credentials may not do this".
CREDENTIAL_ERRORS = frozenset(
    {
        "ACCESS_DENIED",
        "INVALID_ACCESS_KEY_ID",
        "INVALID_CLIENT_TOKEN_ID",
        "INVALID_SIGNATURE",
        "MISSING_AUTHENTICATION_TOKEN",
        "REQUEST_EXPIRED",
        "SIGNATURE_DOES_NOT_MATCH",
        "UNRECOGNIZED_CLIENT",
    }
)
NETWORK_ERRORS = frozenset({"NETWORK_CONNECTION", "REQUEST_TIMEOUT"})
CREDENTIALS_HINT = (
    "access denied: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
    "AWS_SESSION_TOKEN (temporary credentials expire) and AWS_S3_ENDPOINT"
)


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Turn I/O failures into one-line errors saying what failed and why."""
    try:
        yield
    except urllib.error.HTTPError as error:
        raise _http_error(action, error) from error
    except urllib.error.URLError as error:
        raise DataAccessError(
            f"cannot {action}: server unreachable ({error.reason})"
        ) from error
    except FileNotFoundError as error:
        raise DataNotFoundError(f"cannot {action}: no such file or folder") from error
    except OSError as error:
        raise DataAccessError(f"cannot {action}: {_os_error(error)}") from error


def _http_error(action: str, error: urllib.error.HTTPError) -> DataAccessError:
    """Name the HTTP status, and what it usually means for a data URL."""
    status = f"HTTP {error.code} {error.reason}"
    if error.code in (404, 410):
        return DataNotFoundError(f"cannot {action}: not found ({status})")
    if error.code in (401, 403):
        return DataAccessError(
            f"cannot {action}: access denied ({status}): is the URL public and "
            "still valid?"
        )
    return DataAccessError(f"cannot {action}: {status}")


def _os_error(error: OSError) -> str:
    """Read the AWS error code in pyarrow's message and give the matching hint."""
    match = AWS_ERROR.search(str(error))
    code = match.group(1) if match else None
    if code in CREDENTIAL_ERRORS:
        return CREDENTIALS_HINT
    if code in NETWORK_ERRORS:
        endpoint = S3Settings().aws_s3_endpoint
        where = (
            f"S3 endpoint {endpoint!r}" if endpoint else "AWS S3 (no AWS_S3_ENDPOINT)"
        )
        return f"cannot reach {where}: check AWS_S3_ENDPOINT and the network"
    return first_line(error)
