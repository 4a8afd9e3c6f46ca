"""URIs and their failures: parsing, S3 settings, and data served over HTTP."""

import logging
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

import main
from {{ cookiecutter.module_name }}.config import (
    S3Settings,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.data.storage import (
    LOCAL,
    S3,
    copy,
    parse_endpoint,
    parse_uri,
    s3_filesystem,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataAccessError,
    DataNotFoundError,
    DataValidationError,
)

pytestmark = pytest.mark.usefixtures("isolated_settings")


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve files without logging each request to the test output."""

    def log_message(self, *args: object) -> None:
        """Say nothing: pytest shows failures, not access logs."""


@pytest.fixture
def web_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Serve a temporary folder on a loopback port; return it and its base URL."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = partial(QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler) as server:
        return server.server_address[1]


@pytest.mark.parametrize(
    ("uri", "scheme", "path"),
    [
        ("s3://bucket/data/key=1/part-0.parquet", S3, "bucket/data/key=1"),
        ("s3://bucket/data/", S3, "bucket/data"),
        ("S3://bucket", S3, "bucket"),
        ("https://example.org/data/data.csv?token=x", "https", "https://"),
        ("http://127.0.0.1:8000/data.parquet", "http", "http://127.0.0.1"),
        ("file:///srv/data/data.csv", LOCAL, "/srv/data/data.csv"),
    ],
)
def test_uri_schemes(uri: str, scheme: str, path: str) -> None:
    """Each supported scheme is recognised, with the path its filesystem expects."""
    location = parse_uri(uri)
    assert location.scheme == scheme
    assert location.path.startswith(path)
    assert location.uri == uri


def test_local_paths_become_absolute(tmp_path: Path) -> None:
    """Relative and ~ paths are resolved, so pyarrow's filesystem accepts them."""
    location = parse_uri("data/data.csv")
    assert location.scheme == LOCAL
    assert location.path == str(tmp_path / "data" / "data.csv")
    assert parse_uri("~/data.csv").path == str(Path.home() / "data.csv")


def test_file_uris_are_decoded() -> None:
    """A file:// URI means what pyarrow reads in it: %20 is a space."""
    assert parse_uri("file:///srv/my%20data/a.csv").path == "/srv/my data/a.csv"


def test_suffix_ignores_query_strings() -> None:
    """A presigned URL still tells its format by the file name, not the query."""
    assert parse_uri("https://h/data.PARQUET?X-Amz-Signature=a.b").suffix == (
        ".parquet"
    )


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("gs://bucket/data.csv", "unsupported scheme 'gs'"),
        ("s3://", "no bucket in 's3://'"),
        ("s3:///data.parquet", "no bucket in 's3:///data.parquet'"),
    ],
)
def test_bad_uris_are_refused(uri: str, message: str) -> None:
    """Unknown schemes and bucket-less S3 URIs are refused, with what works."""
    with pytest.raises(DataAccessError, match=message):
        parse_uri(uri)


def test_unsupported_scheme_in_main(caplog) -> None:
    """main.py reports an unknown scheme in one line with exit code 2."""
    assert main.main(["--data-uri", "gs://bucket/data.csv", "--no-tracking"]) == 2
    assert "unsupported scheme 'gs' in 'gs://bucket/data.csv'" in caplog.text
    assert "s3://bucket/key" in caplog.text


def test_copy_keeps_names_and_trees(tmp_path: Path, caplog) -> None:
    """Copies work as cp -r does, keeping what the target folder held.

    A folder's tree lands below the target; a file copied to a folder keeps its
    name; missing folders are created.
    """
    source = tmp_path / "parts"
    (source / "Key=1").mkdir(parents=True)
    (source / "Key=1" / "part-0.parquet").write_bytes(b"abc")
    target = tmp_path / "copies"
    target.mkdir()
    (target / "kept.txt").write_text("mine")
    caplog.set_level(logging.INFO)
    copy(str(source), str(target))
    assert f"Copied 1 file(s) (3 bytes) to {target}" in caplog.text
    assert (target / "Key=1" / "part-0.parquet").read_bytes() == b"abc"
    assert (target / "kept.txt").read_text() == "mine"
    copy(str(source / "Key=1" / "part-0.parquet"), str(target))
    assert (target / "part-0.parquet").read_bytes() == b"abc"
    copy(str(target / "kept.txt"), "new/deep/kept.txt")
    assert (tmp_path / "new" / "deep" / "kept.txt").read_text() == "mine"


def test_copy_refuses_an_empty_folder(tmp_path: Path) -> None:
    """An empty folder has nothing to copy: it is named rather than skipped."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataAccessError, match="cannot copy 'empty': the folder has no"):
        copy("empty", "copy")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("minio.lab.sspcloud.fr", ("minio.lab.sspcloud.fr", "https")),
        ("https://minio.lab.sspcloud.fr/", ("minio.lab.sspcloud.fr", "https")),
        ("http://127.0.0.1:9000", ("127.0.0.1:9000", "http")),
        ("HTTP://localhost:9000", ("localhost:9000", "http")),
    ],
)
def test_endpoint_forms(endpoint: str, expected: tuple[str, str]) -> None:
    """A bare host means https, as on SSP Cloud; an http:// URL means http."""
    assert parse_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint", ["ftp://host", "https://host/path", "https://"])
def test_bad_endpoints_are_refused(endpoint: str) -> None:
    """Anything but host[:port] or an http(s) URL is named in the error."""
    with pytest.raises(DataAccessError, match="AWS_S3_ENDPOINT"):
        parse_endpoint(endpoint)


def test_key_without_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Half a credential pair is a configuration mistake, not anonymous access."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    with pytest.raises(DataAccessError, match="set both AWS_ACCESS_KEY_ID"):
        s3_filesystem()


def test_s3_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """SSP Cloud's variables are read, and an empty session token means none."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "")
    settings = S3Settings()
    assert settings.aws_session_token is None
    assert s3_filesystem(settings).region == "eu-west-3"
    assert S3Settings(_env_file=None).aws_default_region == "eu-west-3"


def test_unreachable_endpoint_fails_fast(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """A dead endpoint is named in one error within seconds, not minutes."""
    endpoint = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("AWS_S3_ENDPOINT", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    started = time.monotonic()
    with pytest.raises(DataAccessError, match=f"cannot reach S3 endpoint '{endpoint}'"):
        load_dataset("s3://bucket/data.csv")
    assert time.monotonic() - started < 10
    assert main.main(["--data-uri", "s3://bucket/data.csv", "--no-tracking"]) == 2
    assert "Train failed: cannot read 's3://bucket/data.csv'" in caplog.text


def test_csv_and_parquet_over_http(
    web_folder: tuple[Path, str], raw_frame, data_csv: Path
) -> None:
    """Files behind a URL load exactly like the same files on disk."""
    folder, base = web_folder
    raw_frame.to_csv(folder / "data.csv", index=False)
    raw_frame.to_parquet(folder / "data.parquet", index=False)
    expected = load_dataset(str(data_csv))
    pd.testing.assert_frame_equal(load_dataset(f"{base}/data.csv?v=2"), expected)
    pd.testing.assert_frame_equal(load_dataset(f"{base}/data.parquet"), expected)


def test_validation_is_the_same_over_http(
    web_folder: tuple[Path, str], raw_frame
) -> None:
    """A missing column is reported for a URL as for a file, naming the URL."""
    folder, base = web_folder
    feature = DATASET.features[0].source
    raw_frame.drop(columns=[feature]).to_csv(folder / "missing.csv", index=False)
    uri = f"{base}/missing.csv"
    with pytest.raises(
        DataValidationError, match=re.escape(f"missing required columns: {feature}")
    ):
        load_dataset(uri)


def test_missing_url_is_not_found(web_folder: tuple[Path, str]) -> None:
    """A 404 is a missing file, named with its URL and the setting to change."""
    _, base = web_folder
    uri = f"{base}/nowhere.csv"
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset(uri)
    assert f"cannot download {uri!r}: not found (HTTP 404" in str(caught.value)
    assert "set DATA_URI" in str(caught.value)


def test_unreachable_server(closed_port: int) -> None:
    """A refused connection says the server cannot be reached."""
    uri = f"http://127.0.0.1:{closed_port}/data.csv"
    with pytest.raises(DataAccessError, match=f"cannot download {uri!r}: server"):
        load_dataset(uri)


def test_url_of_unknown_format_is_not_downloaded(web_folder) -> None:
    """The extension is checked before any byte is fetched."""
    _, base = web_folder
    with pytest.raises(DataValidationError, match=r"unsupported file type '\.xlsx'"):
        load_dataset(f"{base}/data.xlsx")
