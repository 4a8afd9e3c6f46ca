"""Where data lives: local paths, s3:// URIs and http(s):// URLs, opened alike."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit

from pyarrow import fs as pafs
from pydantic import SecretStr

from {{ cookiecutter.module_name }}.config import S3Settings
from {{ cookiecutter.module_name }}.errors import CommandError, first_line

LOCAL = "local"
S3 = "s3"
HTTP_SCHEMES = frozenset({"http", "https"})
SUPPORTED = "a local path, an http(s):// URL or an s3://bucket/key URI"
# An endpoint that is down fails in seconds, not after the SDK's default retries.
S3_CONNECT_TIMEOUT = 3
S3_MAX_ATTEMPTS = 2
HTTP_TIMEOUT = 30
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


@dataclass(frozen=True)
class Location:
    """A parsed URI: its kind, the path its filesystem knows, and the URI itself."""

    uri: str
    scheme: str
    path: str

    @property
    def name(self) -> str:
        """Last segment of the path, without a URL's query string."""
        path = urlsplit(self.path).path if self.scheme in HTTP_SCHEMES else self.path
        return PurePosixPath(path).name

    @property
    def suffix(self) -> str:
        """Lower-case extension of the file name, which tells the format."""
        return PurePosixPath(self.name).suffix.lower()

    @property
    def bucket(self) -> str:
        """First segment of an S3 path: the bucket."""
        return self.path.split("/", 1)[0]

    def child(self, relative: str) -> Location:
        """Name a file below this folder, for copies of whole folders."""
        return Location(
            f"{self.uri.rstrip('/')}/{relative}",
            self.scheme,
            f"{self.path.rstrip('/')}/{relative}",
        )


def parse_uri(uri: str) -> Location:
    """Tell local paths, s3:// URIs and http(s):// URLs apart; refuse other schemes."""
    if "://" not in uri:
        return Location(uri, LOCAL, str(Path(uri).expanduser().absolute()))
    scheme, rest = uri.split("://", 1)
    scheme = scheme.lower()
    if scheme in HTTP_SCHEMES:
        return Location(uri, scheme, uri)
    if scheme == "file":
        return Location(uri, LOCAL, urlsplit(uri).path)
    if scheme == S3:
        path = rest.strip("/")
        if not path:
            raise StorageError(f"no bucket in {uri!r}: expected s3://bucket/key")
        return Location(uri, S3, path)
    raise StorageError(f"unsupported scheme {scheme!r} in {uri!r}: use {SUPPORTED}")


def parse_endpoint(endpoint: str) -> tuple[str, str]:
    """Split AWS_S3_ENDPOINT into host[:port] and scheme, https unless told http."""
    scheme, _, host = endpoint.strip().rpartition("://")
    scheme, host = scheme.lower() or "https", host.rstrip("/")
    if scheme not in HTTP_SCHEMES or not host or "/" in host:
        raise StorageError(
            f"AWS_S3_ENDPOINT {endpoint!r} is not host[:port] or an http(s):// URL, "
            "e.g. minio.lab.sspcloud.fr"
        )
    return host, scheme


def s3_filesystem(settings: S3Settings | None = None) -> pafs.S3FileSystem:
    """Connect to S3 with the AWS_* settings; without credentials, anonymously."""
    settings = settings or S3Settings()
    has_key = settings.aws_access_key_id is not None
    if has_key != (settings.aws_secret_access_key is not None):
        raise StorageError(
            "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither "
            "for anonymous access to public buckets"
        )
    endpoint, scheme = (
        parse_endpoint(settings.aws_s3_endpoint)
        if settings.aws_s3_endpoint
        else (None, "https")
    )
    return pafs.S3FileSystem(
        access_key=settings.aws_access_key_id,
        secret_key=_reveal(settings.aws_secret_access_key),
        session_token=_reveal(settings.aws_session_token),
        # Anonymous rather than the SDK's search, which probes EC2 metadata.
        anonymous=not has_key,
        region=settings.aws_default_region,
        endpoint_override=endpoint,
        scheme=scheme,
        connect_timeout=S3_CONNECT_TIMEOUT,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=S3_MAX_ATTEMPTS),
    )


def _reveal(secret: SecretStr | None) -> str | None:
    """Unwrap an optional SecretStr at the last moment, for the S3 client only."""
    return None if secret is None else secret.get_secret_value()


def filesystem(location: Location) -> pafs.FileSystem:
    """Open the filesystem holding a local or S3 location; URLs have none."""
    if location.scheme == S3:
        return s3_filesystem()
    if location.scheme == LOCAL:
        return pafs.LocalFileSystem()
    raise StorageError(
        f"{location.uri!r} is a URL: it can be read as one file, "
        "not listed or written; use a local path or an s3:// URI"
    )


def stat(location: Location, fs: pafs.FileSystem) -> pafs.FileInfo:
    """Describe the file or folder at the location, failing clearly if absent."""
    with storage_errors(f"read {location.uri!r}"):
        info = fs.get_file_info(location.path)
        if info.type == pafs.FileType.NotFound:
            require_bucket(location, fs, "read")
            raise LocationNotFoundError(
                f"cannot read {location.uri!r}: no such file or folder"
            )
    return info


def require_bucket(location: Location, fs: pafs.FileSystem, action: str) -> None:
    """Refuse an S3 location whose bucket is missing, naming the bucket."""
    if location.scheme != S3:
        return
    with storage_errors(f"{action} {location.uri!r}"):
        missing = fs.get_file_info(location.bucket).type == pafs.FileType.NotFound
    if missing:
        raise LocationNotFoundError(
            f"cannot {action} {location.uri!r}: "
            f"bucket {location.bucket!r} does not exist"
        )


def list_files(location: Location, fs: pafs.FileSystem) -> list[pafs.FileInfo]:
    """List every file below a folder, sorted, so copies and reads are repeatable."""
    selector = pafs.FileSelector(location.path, recursive=True, allow_not_found=True)
    with storage_errors(f"list {location.uri!r}"):
        infos = fs.get_file_info(selector)
    return sorted(
        (info for info in infos if info.type == pafs.FileType.File),
        key=lambda info: info.path,
    )


def relative_path(info: pafs.FileInfo, folder: Location) -> str:
    """Path of a listed file below its folder, the same on disk and on S3."""
    return str(PurePosixPath(info.path).relative_to(folder.path))


@contextmanager
def open_input(location: Location) -> Iterator[BinaryIO]:
    """Stream a file's bytes from disk, S3 or an HTTP(S) server.

    Callers wrap the reads in storage_errors: failures can come mid-stream.
    """
    if location.scheme in HTTP_SCHEMES:
        with urllib.request.urlopen(location.path, timeout=HTTP_TIMEOUT) as response:
            yield response
        return
    with filesystem(location).open_input_stream(location.path) as stream:
        yield stream


def open_output(location: Location, fs: pafs.FileSystem) -> pafs.NativeFile:
    """Open a file for writing, creating its local folder; S3 keys need none."""
    if location.scheme == LOCAL:
        fs.create_dir(str(PurePosixPath(location.path).parent), recursive=True)
    return fs.open_output_stream(location.path)


@contextmanager
def removed_on_failure(location: Location, fs: pafs.FileSystem) -> Iterator[None]:
    """Delete what a failed write left behind, so no truncated data looks whole."""
    try:
        yield
    except BaseException:
        # Best effort: the write's own error is the one to report.
        with suppress(OSError):
            kind = fs.get_file_info(location.path).type
            if kind == pafs.FileType.Directory:
                fs.delete_dir(location.path)
            elif kind == pafs.FileType.File:
                fs.delete_file(location.path)
        raise


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
