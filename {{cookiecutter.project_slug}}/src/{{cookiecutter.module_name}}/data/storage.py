"""Reach data on disk, on S3 and behind URLs, through pyarrow.fs and its errors."""

from __future__ import annotations

import logging
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pyarrow as pa
from pyarrow import fs as pafs

from {{ cookiecutter.module_name }}.config import (
    S3Settings,
)
from {{ cookiecutter.module_name }}.data.io_errors import (
    storage_errors,
)
from {{ cookiecutter.module_name }}.errors import (
    DataAccessError,
    DataNotFoundError,
    first_line,
)

logger = logging.getLogger(__name__)

LOCAL = "local"
S3 = "s3"
HTTP_SCHEMES = frozenset({"http", "https"})
SUPPORTED = "a local path, an http(s):// URL or an s3://bucket/key URI"
# An endpoint that is down fails in seconds, not after the SDK's default retries.
S3_CONNECT_TIMEOUT = 3
S3_MAX_ATTEMPTS = 2
HTTP_TIMEOUT = 30
# Temporary copies are named after the project, so a leftover is recognisable.
TEMP_PREFIX = "{{ cookiecutter.project_slug }}-"


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

    def child(self, name: str) -> Location:
        """Name a file inside this folder, as written reports and copies do."""
        return Location(
            f"{self.uri.rstrip('/')}/{name}", self.scheme, f"{self.path}/{name}"
        )

    def sibling(self, name: str) -> Location:
        """Name a file beside this one, as a write's temporary file is."""
        head, slash, _ = self.uri.rpartition("/")
        path = str(PurePosixPath(self.path).with_name(name))
        return Location(head + slash + name, self.scheme, path)


def parse_uri(uri: str) -> Location:
    """Tell local paths, s3:// URIs and http(s):// URLs apart; refuse other schemes.

    Other schemes pyarrow knows (gs://, hdfs://) are refused: their credentials
    and errors are not set up here, and hdfs:// needs a Java runtime.
    """
    scheme, separator, rest = uri.partition("://")
    scheme = scheme.lower() if separator else LOCAL
    if scheme in HTTP_SCHEMES:
        return Location(uri, scheme, uri)
    if scheme == S3:
        # s3:///key names no bucket: its key is not one.
        if not rest.split("/", 1)[0]:
            raise DataAccessError(f"no bucket in {uri!r}: expected s3://bucket/key")
        return Location(uri, S3, rest.strip("/"))
    if scheme in (LOCAL, "file"):
        return Location(uri, LOCAL, _local_path(uri, scheme))
    raise DataAccessError(f"unsupported scheme {scheme!r} in {uri!r}: use {SUPPORTED}")


def _local_path(uri: str, scheme: str) -> str:
    """Let pyarrow read a path or file:// URI; it wants paths absolute."""
    absolute = uri if scheme == "file" else str(Path(uri).expanduser().absolute())
    try:
        return pafs.FileSystem.from_uri(absolute)[1]
    except pa.ArrowInvalid as error:
        raise DataAccessError(f"cannot use {uri!r}: {first_line(error)}") from error


def parse_endpoint(endpoint: str) -> tuple[str, str]:
    """Split AWS_S3_ENDPOINT into host[:port] and scheme, https unless told http."""
    scheme, _, host = endpoint.strip().rpartition("://")
    scheme, host = scheme.lower() or "https", host.rstrip("/")
    if scheme not in HTTP_SCHEMES or not host or "/" in host:
        raise DataAccessError(
            f"AWS_S3_ENDPOINT {endpoint!r} is not host[:port] or an http(s):// URL, "
            "e.g. minio.lab.sspcloud.fr"
        )
    return host, scheme


def s3_filesystem(settings: S3Settings | None = None) -> pafs.S3FileSystem:
    """Connect to S3 with the AWS_* settings; without credentials, anonymously."""
    settings = settings or S3Settings()
    secret, token = settings.aws_secret_access_key, settings.aws_session_token
    has_key = settings.aws_access_key_id is not None
    if has_key != (secret is not None):
        raise DataAccessError(
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
        secret_key=secret.get_secret_value() if secret else None,
        session_token=token.get_secret_value() if token else None,
        # Anonymous rather than the SDK's search, which probes EC2 metadata.
        anonymous=not has_key,
        region=settings.aws_default_region,
        endpoint_override=endpoint,
        scheme=scheme,
        connect_timeout=S3_CONNECT_TIMEOUT,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=S3_MAX_ATTEMPTS),
    )


def filesystem(location: Location) -> pafs.FileSystem:
    """Open the filesystem holding a local or S3 location; URLs have none."""
    if location.scheme == S3:
        return s3_filesystem()
    if location.scheme == LOCAL:
        return pafs.LocalFileSystem()
    raise DataAccessError(
        f"{location.uri!r} is a URL: it can be read as one file, "
        "not listed or written; use a local path or an s3:// URI"
    )


def stat(location: Location, fs: pafs.FileSystem) -> pafs.FileInfo:
    """Describe the file or folder at the location, failing clearly if absent."""
    with storage_errors(f"read {location.uri!r}"):
        info = fs.get_file_info(location.path)
    if info.type == pafs.FileType.NotFound:
        require_bucket(location, fs, "read")
        raise DataNotFoundError(f"cannot read {location.uri!r}: no such file or folder")
    return info


def require_bucket(location: Location, fs: pafs.FileSystem, action: str) -> None:
    """Refuse an S3 location whose bucket is missing, naming the bucket."""
    if location.scheme != S3:
        return
    bucket = location.path.split("/", 1)[0]
    with storage_errors(f"{action} {location.uri!r}"):
        missing = fs.get_file_info(bucket).type == pafs.FileType.NotFound
    if missing:
        raise DataNotFoundError(
            f"cannot {action} {location.uri!r}: bucket {bucket!r} does not exist"
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


def open_output(location: Location, fs: pafs.FileSystem) -> pafs.NativeFile:
    """Open a file for writing, creating its local folder first."""
    _create_parents(fs, [location.path])
    return fs.open_output_stream(location.path)


def _create_parents(fs: pafs.FileSystem, paths: list[str]) -> None:
    """Create the local folders files go to; S3 keys need none.

    pyarrow's copy_files creates only the folders an S3 listing names, and a
    flat S3 folder names none.
    """
    if isinstance(fs, pafs.LocalFileSystem):
        for folder in {str(PurePosixPath(path).parent) for path in paths}:
            fs.create_dir(folder, recursive=True)


@contextmanager
def removed_on_failure(fs: pafs.FileSystem, paths: list[str]) -> Iterator[None]:
    """Delete what a failed write left behind, so no truncated data looks whole."""
    try:
        yield
    except BaseException:
        for path in paths:
            # Best effort: the write's own error is the one to report.
            with suppress(OSError):
                kind = fs.get_file_info(path).type
                if kind == pafs.FileType.Directory:
                    fs.delete_dir(path)
                elif kind == pafs.FileType.File:
                    fs.delete_file(path)
        raise


def copy(source_uri: str, target_uri: str) -> None:
    """Copy a file or a whole folder between disk and S3, as `cp -r` would.

    A file copied to an existing folder, or to a URI ending in `/`, keeps its
    name inside it; a folder's content lands below the target folder. A failed
    copy removes the files it was writing.
    """
    source, target = parse_uri(source_uri), parse_uri(target_uri)
    files = _copy(source, target, f"copy {source_uri!r} to {target_uri!r}")
    size = sum(file.size for file in files)
    logger.info(
        "Copied %d file(s) (%s bytes) to %s", len(files), f"{size:,}", target_uri
    )


def _copy(source: Location, target: Location, action: str) -> list[pafs.FileInfo]:
    """Copy a file, or every file below a folder; return the files copied."""
    source_fs, target_fs = filesystem(source), filesystem(target)
    info = stat(source, source_fs)
    is_folder = info.type == pafs.FileType.Directory
    files = list_files(source, source_fs) if is_folder else [info]
    if not files:
        raise DataAccessError(f"cannot copy {source.uri!r}: the folder has no file")
    require_bucket(target, target_fs, "write")
    if not is_folder and _is_folder(target, target_fs):
        target = target.child(source.name)
    written = [target.path + file.path.removeprefix(source.path) for file in files]
    with storage_errors(action), removed_on_failure(target_fs, written):
        _create_parents(target_fs, written)
        pafs.copy_files(
            source.path,
            target.path,
            source_filesystem=source_fs,
            destination_filesystem=target_fs,
        )
    return files


def _is_folder(location: Location, fs: pafs.FileSystem) -> bool:
    """Tell whether a copy target names a folder, as `cp` would."""
    if location.uri.endswith("/"):
        return True
    with storage_errors(f"read {location.uri!r}"):
        return fs.get_file_info(location.path).type == pafs.FileType.Directory


@contextmanager
def local_copy(location: Location) -> Iterator[Path]:
    """Give readers that need local files the file or folder itself, or a copy.

    S3 files and folders, and files behind a URL, are copied to a temporary
    folder, deleted when the reader is done.
    """
    if location.scheme == LOCAL:
        stat(location, pafs.LocalFileSystem())
        yield Path(location.path)
        return
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as folder:
        path = Path(folder) / location.name
        if location.scheme in HTTP_SCHEMES:
            _download(location.uri, path)
        else:
            _copy(location, parse_uri(str(path)), f"download {location.uri!r}")
        yield path


def _download(url: str, path: Path) -> None:
    """Save a URL's body to a file with urllib, as pyarrow has no HTTP filesystem.

    fsspec would read URLs too, but as a new dependency for one download.
    """
    with (
        storage_errors(f"download {url!r}"),
        urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response,
        path.open("wb") as file,
    ):
        shutil.copyfileobj(response, file)
