"""S3 for real, against a local moto server: transfers, training, partitions, errors."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from pyarrow.fs import FileSelector

import main
from {{ cookiecutter.module_name }} import (
    cli,
)
from {{ cookiecutter.module_name }}.config import (
    S3Settings,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.data.storage import (
    s3_filesystem,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    EXIT_OK,
    DataNotFoundError,
)
from {{ cookiecutter.module_name }}.monitoring.report import (
    SUMMARY_FILE,
)
from {{ cookiecutter.module_name }}.training.settings import (
    TrainSettings,
)

from tests import declared
from tests.cli_helpers import only_error, only_error_line, run_command
from tests.conftest import FAST_TRAINING, failing_on_second_call
from tests.monitoring_helpers import (
    LOG_ROWS,
    log_lines,
    predicted_rows,
    write_log,
    write_reference,
)

# The data commands, run as `python -m {{ cookiecutter.module_name }} data ...`.
DATA_COMMAND = ("{{ cookiecutter.module_name }}", "data")

boto3 = pytest.importorskip("boto3", reason="S3 tests need moto[server]")
pytest.importorskip("moto", reason="S3 tests need moto[server]")

REGION = "us-east-1"
# moto checks credentials once this many requests have run: the three IAM calls
# that create the test user and its key.
IAM_SETUP_CALLS = 3
ALLOW_ALL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
)
STARTUP_SECONDS = 30


@dataclass(frozen=True)
class MotoServer:
    """Where the moto server listens, and credentials it accepts."""

    endpoint: str
    access_key: str
    secret_key: str


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """Run moto_server on a free loopback port, checking credentials like S3."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "server.log"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(IAM_SETUP_CALLS)}
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(server, endpoint, log)
        yield MotoServer(endpoint, *_create_user(endpoint))
    finally:
        server.terminate()
        server.wait(timeout=10)


def _free_port() -> int:
    """Ask the OS for a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(server: subprocess.Popen, endpoint: str, log: Path) -> None:
    """Poll the server until it answers, failing with its log if it died."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"moto_server exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto_server did not answer within {STARTUP_SECONDS}s")


def _create_user(endpoint: str) -> tuple[str, str]:
    """Create an IAM user allowed everything; return its access key and secret."""
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam.create_user(UserName="tester")
    iam.put_user_policy(UserName="tester", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="tester")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture(autouse=True)
def s3_environment(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point every S3 client at moto, from an empty folder with no other settings."""
    monkeypatch.chdir(tmp_path)
    for name in [*TrainSettings.model_fields, *S3Settings.model_fields]:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_server.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_S3_ENDPOINT", moto_server.endpoint)


@pytest.fixture
def bucket(moto_server: MotoServer) -> str:
    """A new, empty bucket, so tests never see each other's files."""
    name = f"tests-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=moto_server.endpoint,
        region_name=REGION,
        aws_access_key_id=moto_server.access_key,
        aws_secret_access_key=moto_server.secret_key,
    ).create_bucket(Bucket=name)
    return name


def test_upload_then_train_from_s3(
    data_csv: Path, bucket: str, tmp_path: Path, caplog
) -> None:
    """The data command puts the CSV on S3, and main.py trains from it."""
    caplog.set_level(logging.INFO)
    uri = f"s3://{bucket}/raw/data.csv"
    assert cli.main(["data", "upload", str(data_csv), uri]) == 0
    assert f"Copied 1 file(s) ({data_csv.stat().st_size:,} bytes) to {uri}" in (
        caplog.text
    )
    model_dir = tmp_path / "models"
    argv = ["--data-uri", uri, "--model-dir", str(model_dir), *FAST_TRAINING]
    assert main.main([*argv, "--no-tracking"]) == 0
    report = json.loads((model_dir / "metrics.json").read_text())
    assert report["data_uri"] == uri


def test_parquet_on_s3_loads_like_the_local_file(
    data_parquet: Path, bucket: str
) -> None:
    """A Parquet file read through Arrow gives what DuckDB reads locally."""
    uri = f"s3://{bucket}/data.parquet"
    assert cli.main(["data", "upload", str(data_parquet), uri]) == 0
    expected = load_dataset(str(data_parquet))
    pd.testing.assert_frame_equal(load_dataset(uri), expected)


def test_partitioned_dataset_round_trip(data_csv: Path, bucket: str) -> None:
    """Partitions land as key=value folders and come back as typed columns."""
    key = declared.listed()
    target = DATASET.target
    uri = f"s3://{bucket}/parts"
    argv = ["partition", str(data_csv), uri, "--by", key.source, "--by", target.source]
    assert cli.main(["data", *argv]) == 0
    listing = s3_filesystem().get_file_info(FileSelector(bucket, recursive=True))
    keys = [info.path for info in listing]
    expected = load_dataset(str(data_csv))
    value, predicted = expected[[key.name, target.name]].dropna().iloc[0]
    part = f"{bucket}/parts/{key.source}={value}/{target.source}={predicted}"
    assert f"{part}/part-0.parquet" in keys
    columns = list(expected.columns)
    loaded = load_dataset(uri).sort_values(columns, ignore_index=True)
    expected = expected.sort_values(columns, ignore_index=True)
    pd.testing.assert_frame_equal(loaded, expected)
    assert declared.holds_kind(loaded[key.name], key.kind)


def test_download_file_and_folder(data_csv: Path, bucket: str, tmp_path: Path) -> None:
    """A file lands in an existing folder under its name; a folder keeps its tree."""
    target = DATASET.target
    folder_uri = f"s3://{bucket}/parts"
    argv = ["partition", str(data_csv), folder_uri, "--by", target.source]
    assert cli.main(["data", *argv]) == 0
    assert cli.main(["data", "upload", str(data_csv), f"s3://{bucket}/"]) == 0
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    file_uri = f"s3://{bucket}/{data_csv.name}"
    assert cli.main(["data", "download", file_uri, str(downloads)]) == 0
    assert (downloads / data_csv.name).read_bytes() == data_csv.read_bytes()
    assert cli.main(["data", "download", folder_uri, str(downloads / "parts")]) == 0
    present = set(load_dataset(str(data_csv))[target.name])
    assert sorted(p.name for p in (downloads / "parts").iterdir()) == sorted(
        f"{target.source}={value}" for value in present
    )
    assert len(load_dataset(str(downloads / "parts"))) == len(load_dataset(folder_uri))


def test_predict_writes_scores_to_s3(
    trained_store, data_csv: Path, bucket: str, monkeypatch
) -> None:
    """Batch scoring reads from and writes to S3 like local files."""
    monkeypatch.setenv("MODEL_NAME", trained_store.model_name)
    source = f"s3://{bucket}/rows.csv"
    output = f"s3://{bucket}/scores/predictions.parquet"
    assert cli.main(["data", "upload", str(data_csv), source]) == 0
    argv = [
        "--input",
        source,
        "--output",
        output,
        "--mlflow-tracking-uri",
        trained_store.uri,
    ]
    assert cli.main(["score", *argv]) == 0
    scores = pq.read_table(
        f"{bucket}/scores/predictions.parquet", filesystem=s3_filesystem()
    )
    assert scores.num_rows == len(load_dataset(str(data_csv)))


def test_scores_reach_s3_whole_or_not_at_all(
    trained_store, data_csv: Path, bucket: str, monkeypatch, caplog
) -> None:
    """A write failing midway leaves the previous scores and no other object."""
    monkeypatch.setenv("MODEL_NAME", trained_store.model_name)
    source = f"s3://{bucket}/rows.csv"
    output = f"s3://{bucket}/scores/predictions.parquet"
    assert cli.main(["data", "upload", str(data_csv), source]) == 0
    argv = ["score", "--input", source, "--output", output, "--batch-rows", "64"]
    argv += ["--mlflow-tracking-uri", trained_store.uri]
    assert cli.main(argv) == 0
    fs = s3_filesystem()
    key = f"{bucket}/scores/predictions.parquet"
    scores = pq.read_table(key, filesystem=fs)
    refused = OSError("AWS Error SLOW_DOWN during UploadPart operation")
    monkeypatch.setattr(
        pq.ParquetWriter,
        "write",
        failing_on_second_call(pq.ParquetWriter.write, refused),
    )
    caplog.clear()
    assert cli.main(argv) == 2
    assert f"cannot write {output!r}" in only_error(caplog)
    listing = fs.get_file_info(FileSelector(bucket, recursive=True))
    assert sorted(info.path for info in listing if info.type.name == "File") == [
        f"{bucket}/rows.csv",
        key,
    ]
    assert pq.read_table(key, filesystem=fs).equals(scores)


def test_drift_report_from_and_to_s3(tmp_path: Path, bucket: str) -> None:
    """A folder of rotated logs on S3 is read whole; the report lands on S3."""
    lines = log_lines(predicted_rows(LOG_ROWS, seed=1))
    folder = tmp_path / "logs"
    write_log(folder / "predictions.jsonl", lines.iloc[: LOG_ROWS // 2])
    write_log(folder / "predictions.jsonl.1", lines.iloc[LOG_ROWS // 2 :])
    (folder / "_SUCCESS").write_text("")
    assert cli.main(["data", "upload", str(folder), f"s3://{bucket}/logs"]) == 0
    reference = write_reference(tmp_path / "reference.parquet")
    argv = ["monitor", "report", "--prediction-log-path", f"s3://{bucket}/logs"]
    argv += ["--reference-profile-uri", str(reference)]
    argv += ["--monitoring-report-dir", f"s3://{bucket}/reports"]
    assert cli.main(argv) == EXIT_OK
    with s3_filesystem().open_input_stream(f"{bucket}/reports/{SUMMARY_FILE}") as file:
        summary = json.loads(file.read())
    assert (summary["log_files"], summary["predictions"]) == (2, LOG_ROWS)


def test_wrong_credentials_exit_2_without_traceback(
    data_csv: Path, bucket: str, monkeypatch, caplog
) -> None:
    """A wrong secret gives one error line naming the URI and the variables."""
    uri = f"s3://{bucket}/data.csv"
    assert cli.main(["data", "upload", str(data_csv), uri]) == 0
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    assert main.main(["--data-uri", uri, *FAST_TRAINING, "--no-tracking"]) == 2
    error = only_error(caplog)
    assert uri in error
    assert "access denied: check AWS_ACCESS_KEY_ID" in error


def test_missing_bucket_is_named(caplog) -> None:
    """No such bucket: the loader and main.py both say which bucket is missing."""
    uri = "s3://no-such-bucket/data.csv"
    with pytest.raises(DataNotFoundError, match="bucket 'no-such-bucket' does not"):
        load_dataset(uri)
    assert main.main(["--data-uri", uri, *FAST_TRAINING, "--no-tracking"]) == 2
    error = only_error(caplog)
    assert uri in error and "--data-uri" in error


def test_missing_key_is_named(bucket: str) -> None:
    """No such key: the message names the URI and how to point elsewhere."""
    uri = f"s3://{bucket}/nowhere/data.csv"
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset(uri)
    assert f"cannot read {uri!r}: no such file or folder" in str(caught.value)
    assert "set DATA_URI" in str(caught.value)


def test_upload_to_missing_bucket(data_csv: Path, caplog) -> None:
    """An upload fails before sending a byte when the bucket does not exist."""
    uri = "s3://no-such-bucket/data.csv"
    assert cli.main(["data", "upload", str(data_csv), uri]) == 2
    error = only_error(caplog)
    assert f"cannot write {uri!r}: bucket 'no-such-bucket' does not exist" in error


def test_download_missing_key_subprocess(bucket: str, tmp_path: Path) -> None:
    """The data command fails with exit 2, one line, no traceback."""
    uri = f"s3://{bucket}/missing.csv"
    completed = run_command(
        "-m", *DATA_COMMAND, "download", uri, "out.csv", cwd=tmp_path
    )
    error = only_error_line(completed, exit_code=2)
    assert f"Download failed: cannot read {uri!r}: no such file" in error
    assert not (tmp_path / "out.csv").exists()


def test_readme_creates_a_bucket_on_the_local_endpoint(moto_server: MotoServer) -> None:
    """The README's bucket command works on a local endpoint, as it gives it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (command,) = [line for line in readme.splitlines() if "create_bucket" in line]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    completed = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    client = boto3.client(
        "s3",
        endpoint_url=moto_server.endpoint,
        region_name=REGION,
        aws_access_key_id=moto_server.access_key,
        aws_secret_access_key=moto_server.secret_key,
    )
    assert "jdoe" in [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]
