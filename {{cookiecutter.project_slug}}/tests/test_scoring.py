"""Batch scoring from the registry: output columns, probabilities, clear failures."""

import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }} import (
    cli,
    scoring,
)
from {{ cookiecutter.module_name }}.config import (
    ServedModelSettings,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from tests import declared
from tests.cli_helpers import only_error, only_error_line, run_command
from tests.conftest import (
    failing_on_second_call,
    make_frame,
    save_model_with_other_classes,
)

pytestmark = pytest.mark.usefixtures("isolated_settings")

TARGET = DATASET.target
SCORE_COLUMNS = [DATASET.prediction, *DATASET.probabilities.values()]
# Several batches, and a short last one, on the tests' files.
BATCH_ROWS = 64
STREAM_ROWS = 300


def score(*argv: str) -> int:
    """Run the score command as the console script would."""
    return cli.main(["score", *argv])


@pytest.fixture
def registry(trained_store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point scoring at the shared store and its model; return the tracking flags."""
    monkeypatch.setenv("MODEL_NAME", trained_store.model_name)
    return ["--mlflow-tracking-uri", trained_store.uri]


@pytest.fixture
def unscored_csv(raw_frame: pd.DataFrame, write_csv) -> Path:
    """Rows as serving data comes: no target column."""
    return write_csv(raw_frame.drop(columns=[TARGET.source]), name="unscored.csv")


def test_champion_scores_a_csv_without_target(
    registry: list[str], unscored_csv: Path, raw_frame, tmp_path: Path
) -> None:
    """Ids, features, a declared class and its probabilities for every row."""
    identifier = declared.identifier()
    output = tmp_path / "out" / "scores.parquet"
    argv = ["--input", str(unscored_csv), "--output", str(output), *registry]
    assert score(*argv) == 0
    scores = pd.read_parquet(output)
    columns = [identifier.name, *DATASET.feature_names, *SCORE_COLUMNS]
    assert list(scores.columns) == columns
    assert scores[identifier.name].tolist() == raw_frame[identifier.source].tolist()
    assert set(scores[DATASET.prediction]) <= set(TARGET.classes)
    probabilities = scores[list(DATASET.probabilities.values())]
    assert ((probabilities >= 0) & (probabilities <= 1)).all().all()
    assert probabilities.sum(axis=1).round(6).eq(1).all()
    most_likely = probabilities.to_numpy().argmax(axis=1)
    assert scores[DATASET.prediction].tolist() == [
        TARGET.classes[index] for index in most_likely
    ]


def test_explicit_model_uri_and_parquet_without_ids(
    trained_store, registry: list[str], raw_frame, tmp_path: Path
) -> None:
    """--model-uri picks a version; without an identifier the output has none."""
    source = tmp_path / "unscored.parquet"
    raw_frame.drop(columns=[TARGET.source, *declared.not_read()]).to_parquet(source)
    output = tmp_path / "scores.parquet"
    model_uri = f"models:/{trained_store.model_name}/3"
    argv = ["--input", str(source), "--output", str(output), "--model-uri", model_uri]
    assert score(*[*argv, *registry]) == 0
    columns = [*DATASET.feature_names, *SCORE_COLUMNS]
    assert list(pd.read_parquet(output).columns) == columns


def test_unknown_alias_is_a_clear_error(
    registry: list[str], unscored_csv: Path, tmp_path: Path, monkeypatch, caplog
) -> None:
    """No version under the alias: one error naming the model URI, exit 3."""
    monkeypatch.setenv("MODEL_ALIAS", "nobody")
    output = tmp_path / "scores.parquet"
    argv = ["--input", str(unscored_csv), "--output", str(output), *registry]
    assert score(*argv) == 3
    error = only_error(caplog)
    assert "@nobody" in error
    assert "not found" in error
    assert not output.exists()


def test_missing_store_is_not_created(
    unscored_csv: Path, tmp_path: Path, caplog
) -> None:
    """A wrong SQLite path is reported, not silently created as an empty store."""
    store = tmp_path / "nowhere.db"
    argv = ["--input", str(unscored_csv), "--output", str(tmp_path / "s.parquet")]
    assert score(*[*argv, "--mlflow-tracking-uri", f"sqlite:///{store}"]) == 3
    assert "no MLflow store" in caplog.text
    assert not store.exists()


def test_missing_input_file(tmp_path: Path, caplog) -> None:
    """A wrong --input path is named, with exit code 2."""
    missing = tmp_path / "missing.csv"
    argv = ["--input", str(missing), "--output", str(tmp_path / "s.parquet")]
    assert score(*argv) == 2
    error = only_error(caplog)
    assert f"Score failed: cannot read {str(missing)!r}" in error
    assert "--input" in error


def test_bad_columns(raw_frame, write_csv, tmp_path: Path, caplog) -> None:
    """Serving data still needs every feature column."""
    feature = DATASET.features[0]
    path = write_csv(raw_frame.drop(columns=[TARGET.source, feature.source]))
    argv = ["--input", str(path), "--output", str(tmp_path / "s.parquet")]
    assert score(*argv) == 2
    assert f"missing required columns: {feature.source}" in caplog.text


def test_model_of_other_classes_is_refused_before_writing(
    trained_store, registry: list[str], unscored_csv: Path, tmp_path: Path, caplog
) -> None:
    """A model that learnt other classes scores nothing: one line, no file."""
    other = tmp_path / "other-model"
    save_model_with_other_classes(other)
    output = tmp_path / "scores.parquet"
    argv = ["--input", str(unscored_csv), "--output", str(output)]
    assert score(*[*argv, "--model-uri", str(other), *registry]) == 2
    error = only_error(caplog)
    assert "predicts classes" in error
    assert "dataset.py declares" in error
    assert not output.exists()


def test_output_to_a_url_is_refused(
    registry: list[str], unscored_csv: Path, caplog
) -> None:
    """Scores go to a file or to S3; a URL cannot be written, and says so."""
    output = "https://example.org/scores.parquet"
    argv = ["--input", str(unscored_csv), "--output", output, *registry]
    assert score(*argv) == 2
    assert f"Score failed: {output!r} is a URL" in only_error(caplog)


def test_output_named_as_another_format_is_refused_first(
    unscored_csv: Path, tmp_path: Path, caplog
) -> None:
    """scores.csv would hold Parquet bytes: refused before the model is sought."""
    output = tmp_path / "scores.csv"
    argv = ["--input", str(unscored_csv), "--output", str(output)]
    argv += ["--mlflow-tracking-uri", f"sqlite:///{tmp_path}/nowhere.db"]
    assert score(*argv) == 2
    assert "a Parquet file name ends in .parquet or .pq" in only_error(caplog)
    assert not output.exists()


def test_subprocess_failure_has_no_traceback(
    unscored_csv: Path, tmp_path: Path
) -> None:
    """Run as `python -m`, a missing model exits non-zero with one clean line."""
    completed = run_command(
        *["-m", "{{ cookiecutter.module_name }}", "score"],
        *["--input", str(unscored_csv), "--output", str(tmp_path / "s.parquet")],
        *["--mlflow-tracking-uri", f"sqlite:///{tmp_path}/nowhere.db"],
        cwd=tmp_path,
    )
    assert "no MLflow store" in only_error_line(completed, exit_code=3)


@pytest.fixture
def many_rows(write_csv) -> Path:
    """Rows to score in several batches of BATCH_ROWS, no target column."""
    frame = make_frame(STREAM_ROWS, seed=3).drop(columns=[TARGET.source])
    return write_csv(frame, name="many.csv")


def whole_file_scores(source: Path, registry: list[str]) -> pd.DataFrame:
    """Score every row at once, as the command did before it streamed."""
    settings = ServedModelSettings(mlflow_tracking_uri=registry[-1])
    rows = load_dataset(str(source), require_target=False)
    return scoring.score(scoring.read_model(settings), rows)


def score_in_batches(source: Path, output: Path, registry: list[str]) -> int:
    """Run the score command with batches of BATCH_ROWS rows."""
    argv = ["--input", str(source), "--output", str(output), *registry]
    return score(*argv, "--batch-rows", str(BATCH_ROWS))


def assert_same_scores(output: Path, expected: pd.DataFrame) -> None:
    """Same rows in the same order, same columns, types and values."""
    pd.testing.assert_frame_equal(pd.read_parquet(output), expected)
    whole = pa.Table.from_pandas(expected, preserve_index=False)
    assert pq.read_schema(output).equals(whole.schema, check_metadata=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_streamed_scores_equal_a_whole_file_score(
    registry: list[str], many_rows: Path, tmp_path: Path, suffix: str
) -> None:
    """Batch by batch, the output is row for row the one a whole-file score gives."""
    source = many_rows
    if suffix == ".parquet":
        source = tmp_path / "many.parquet"
        pd.read_csv(many_rows).to_parquet(source, index=False)
    output = tmp_path / "scores.parquet"
    assert score_in_batches(source, output, registry) == 0
    assert pq.ParquetFile(output).metadata.num_row_groups == -(-STREAM_ROWS // 64)
    assert_same_scores(output, whole_file_scores(source, registry))


def test_a_gap_in_a_late_batch_keeps_each_column_type(
    registry: list[str], write_csv, tmp_path: Path
) -> None:
    """Integers with a gap in the last batch only are floats in every batch.

    A batch's own values would say integers for the first batches and floats
    for the last: the file's schema would change midway.
    """
    identifier = declared.identifier()
    frame = make_frame(STREAM_ROWS, seed=3).drop(columns=[TARGET.source])
    frame[identifier.source] = frame[identifier.source].astype("Int64")
    frame.loc[STREAM_ROWS - 1, identifier.source] = pd.NA
    source = write_csv(frame, name="late-gap.csv")
    output = tmp_path / "scores.parquet"
    assert score_in_batches(source, output, registry) == 0
    expected = whole_file_scores(source, registry)
    assert expected[identifier.name].dtype == "float64"
    assert_same_scores(output, expected)


def test_the_run_ends_with_one_line_of_rows_and_time(
    registry: list[str], many_rows: Path, tmp_path: Path, caplog
) -> None:
    """A short run logs no progress, then the rows, the time and the classes."""
    caplog.set_level(logging.INFO, logger=scoring.__name__)
    output = tmp_path / "scores.parquet"
    assert score_in_batches(many_rows, output, registry) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == scoring.__name__]
    assert len(lines) == 1
    assert lines[0].startswith(f"Scored {STREAM_ROWS} rows in ")
    assert f"predicted {TARGET.classes[0]}: " in lines[0]
    assert lines[0].endswith(f"; wrote {output}")


def test_a_long_run_logs_its_progress(
    registry: list[str], many_rows: Path, tmp_path: Path, caplog, monkeypatch
) -> None:
    """Past the interval, a line with the rows so far, the share and the rate."""
    monkeypatch.setattr(scoring, "PROGRESS_SECONDS", 0.0)
    caplog.set_level(logging.INFO, logger=scoring.__name__)
    assert score_in_batches(many_rows, tmp_path / "scores.parquet", registry) == 0
    progress = [
        r.getMessage() for r in caplog.records if " rows/s, about " in r.getMessage()
    ]
    # One line after each batch but the last, which the final line reports.
    assert len(progress) == STREAM_ROWS // BATCH_ROWS
    assert progress[0].startswith(f"Scored {BATCH_ROWS} of {STREAM_ROWS} rows (21%), ")


def test_a_model_failing_midway_leaves_the_previous_output(
    registry: list[str], many_rows: Path, tmp_path: Path, monkeypatch
) -> None:
    """No truncated file under the output's name, no leftover beside it."""
    output = tmp_path / "scores.parquet"
    output.write_bytes(b"previous scores")
    broken = failing_on_second_call(scoring.score, RuntimeError("the model broke"))
    monkeypatch.setattr(scoring, "score", broken)
    with pytest.raises(RuntimeError, match="the model broke"):
        score_in_batches(many_rows, output, registry)
    assert output.read_bytes() == b"previous scores"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "many.csv",
        "scores.parquet",
    ]


def test_a_full_disk_midway_is_one_line_and_keeps_the_previous_output(
    registry: list[str], many_rows: Path, tmp_path: Path, monkeypatch, caplog
) -> None:
    """The write's error, once, exit 2; no file appears under the output's name."""
    output = tmp_path / "out" / "scores.parquet"
    output.parent.mkdir()
    output.write_bytes(b"previous scores")
    full = OSError(28, "No space left on device")
    monkeypatch.setattr(
        pq.ParquetWriter, "write", failing_on_second_call(pq.ParquetWriter.write, full)
    )
    assert score_in_batches(many_rows, output, registry) == 2
    error = only_error(caplog)
    assert f"cannot write {str(output)!r}: " in error
    assert "No space left on device" in error
    assert output.read_bytes() == b"previous scores"
    assert list(output.parent.iterdir()) == [output]
