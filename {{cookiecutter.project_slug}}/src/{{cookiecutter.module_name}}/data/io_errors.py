"""One-line errors for failed reads and writes: HTTP and AWS codes explained."""

from __future__ import annotations

import re
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager

from {{ cookiecutter.module_name }}.config import S3Settings
from {{ cookiecutter.module_name }}.errors import CommandError, first_line

AWS_ERROR = re.compile(r"AWS Error (\w+)")
BUCKET_IN_ERROR = re.compile(r"bucket '([^']+)'")
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


class StorageError(CommandError):
    """A location cannot be reached, read or written; the message says why."""


class LocationNotFoundError(StorageError):
    """Nothing exists at the location, or its bucket does not exist."""


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Turn I/O failures into one-line StorageErrors saying what failed and why."""
    try:
        yield
    except urllib.error.HTTPError as error:
        raise _http_error(action, error) from error
    except urllib.error.URLError as error:
        raise StorageError(
            f"cannot {action}: server unreachable ({error.reason})"
        ) from error
    except FileNotFoundError as error:
        raise LocationNotFoundError(
            f"cannot {action}: no such file or folder"
        ) from error
    except OSError as error:
        raise _os_error(action, error) from error


def _http_error(action: str, error: urllib.error.HTTPError) -> StorageError:
    """Name the HTTP status, and what it usually means for a data URL."""
    status = f"HTTP {error.code} {error.reason}"
    if error.code in (404, 410):
        return LocationNotFoundError(f"cannot {action}: not found ({status})")
    if error.code in (401, 403):
        return StorageError(
            f"cannot {action}: access denied ({status}): is the URL public and "
            "still valid?"
        )
    return StorageError(f"cannot {action}: {status}")


def _os_error(action: str, error: OSError) -> StorageError:
    """Read the AWS error code in pyarrow's message and give the matching hint."""
    text = str(error)
    match = AWS_ERROR.search(text)
    code = match.group(1) if match else None
    if code in CREDENTIAL_ERRORS:
        return StorageError(f"cannot {action}: {CREDENTIALS_HINT}")
    if code in NETWORK_ERRORS:
        return StorageError(f"cannot {action}: {_unreachable_endpoint()}")
    bucket = BUCKET_IN_ERROR.search(text)
    if code == "NO_SUCH_BUCKET" and bucket:
        return LocationNotFoundError(
            f"cannot {action}: bucket {bucket.group(1)!r} does not exist"
        )
    return StorageError(f"cannot {action}: {first_line(error)}")


def _unreachable_endpoint() -> str:
    """Say which endpoint was tried, the usual culprit when S3 is unreachable."""
    endpoint = S3Settings().aws_s3_endpoint
    where = f"S3 endpoint {endpoint!r}" if endpoint else "AWS S3 (no AWS_S3_ENDPOINT)"
    return f"cannot reach {where}: check AWS_S3_ENDPOINT and the network"
