"""Batch scoring from the registry: output columns, probabilities, clear failures."""

from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import (
    cli,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from tests import declared
from tests.cli_helpers import only_error, only_error_line, run_command
from tests.conftest import save_model_with_other_classes

pytestmark = pytest.mark.usefixtures("isolated_settings")

TARGET = DATASET.target
SCORE_COLUMNS = [DATASET.prediction, *DATASET.probabilities.values()]


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
