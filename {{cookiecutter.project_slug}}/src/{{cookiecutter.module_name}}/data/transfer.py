"""Move bytes between disk, S3 and HTTP(S), with progress for the person waiting."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pyarrow import fs as pafs
from tqdm import tqdm

from {{ cookiecutter.module_name }}.data.storage import (
    LOCAL,
    Location,
    StorageError,
    filesystem,
    list_files,
    open_input,
    open_output,
    parse_uri,
    relative_path,
    removed_on_failure,
    require_bucket,
    stat,
    storage_errors,
)

# 8 MiB: S3 moves it in one request, and memory stays flat whatever the file size.
# Temporary copies are named after the project, so a leftover is recognisable.
TEMP_PREFIX = "{{ cookiecutter.project_slug }}-"
CHUNK_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class TransferSummary:
    """What a copy moved, for the command to report."""

    files: int
    bytes: int
    target: str


def copy(source_uri: str, target_uri: str) -> TransferSummary:
    """Copy a file or a whole folder between disk and S3, showing the bytes moved.

    A file copied to an existing folder, or to a URI ending in `/`, keeps its
    name inside it; a folder's content lands below the target folder.
    """
    source, target = parse_uri(source_uri), parse_uri(target_uri)
    source_fs, target_fs = filesystem(source), filesystem(target)
    plan = _plan(source, source_fs, target, target_fs)
    require_bucket(target, target_fs, "write")
    total = sum(file.size for file, _ in plan)
    with (
        tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=target.name or target_uri,
            # None: shown on a terminal only, so logs and CI stay clean.
            disable=None,
        ) as bar,
        storage_errors(f"copy {source_uri!r} to {target_uri!r}"),
    ):
        for file, destination in plan:
            with (
                removed_on_failure(destination, target_fs),
                source_fs.open_input_stream(file.path) as reader,
                open_output(destination, target_fs) as writer,
            ):
                _copy_stream(reader, writer, bar.update)
    return TransferSummary(len(plan), total, target_uri)


def _plan(
    source: Location,
    source_fs: pafs.FileSystem,
    target: Location,
    target_fs: pafs.FileSystem,
) -> list[tuple[pafs.FileInfo, Location]]:
    """Pair each source file with its destination, before moving any byte."""
    info = stat(source, source_fs)
    if info.type == pafs.FileType.Directory:
        files = list_files(source, source_fs)
        if not files:
            raise StorageError(f"cannot copy {source.uri!r}: the folder has no file")
        return [(file, target.child(relative_path(file, source))) for file in files]
    if target.uri.endswith("/") or _is_folder(target, target_fs):
        target = target.child(source.name)
    return [(info, target)]


def _is_folder(location: Location, fs: pafs.FileSystem) -> bool:
    """Tell whether the target already is a folder, as `cp` would."""
    with storage_errors(f"read {location.uri!r}"):
        return fs.get_file_info(location.path).type == pafs.FileType.Directory


@contextmanager
def local_copy(location: Location) -> Iterator[Path]:
    """Give readers that need a local file the file itself, or a temporary copy."""
    if location.scheme == LOCAL:
        yield Path(location.path)
        return
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as folder:
        path = Path(folder) / location.name
        with (
            storage_errors(f"download {location.uri!r}"),
            open_input(location) as reader,
            path.open("wb") as writer,
        ):
            _copy_stream(reader, writer)
        yield path


def _copy_stream(
    reader: BinaryIO,
    writer: BinaryIO,
    advance: Callable[[int], object] = lambda _: None,
) -> None:
    """Copy chunk by chunk, reporting each one, so memory stays flat."""
    while chunk := reader.read(CHUNK_SIZE):
        writer.write(chunk)
        advance(len(chunk))
