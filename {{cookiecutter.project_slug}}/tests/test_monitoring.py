"""The drift report end to end: inputs, verdicts, exit codes, files and messages."""

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

import main
from {{ cookiecutter.module_name }} import (
    cli,
    errors,
)
from {{ cookiecutter.module_name }}.config import (
    REFERENCE_FILE,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.monitoring.report import (
    HTML_FILE,
    SUMMARY_FILE,
)
from {{ cookiecutter.module_name }}.monitoring.settings import (
    MonitoringSettings,
)

from tests import declared
from tests.cli_helpers import only_error, only_error_line, run_command
from tests.conftest import FAST_TRAINING
from tests.monitoring_helpers import (
    LOG_ROWS,
    REFERENCE_ROWS,
    log_lines,
    one_category_rows,
    predicted_rows,
    write_log,
    write_reference,
)

pytestmark = pytest.mark.usefixtures("isolated_settings")

PREDICTION = DATASET.prediction
TARGET = DATASET.target.name
CLASSES = declared.CLASSES


def other_class(predicted: pd.Series) -> pd.Series:
    """The next declared class after each one: always a wrong answer."""
    return predicted.map(
        {value: CLASSES[(i + 1) % len(CLASSES)] for i, value in enumerate(CLASSES)}
    )


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    """A reference profile drawn from the same population as the quiet log."""
    return write_reference(tmp_path / REFERENCE_FILE)


def report(tmp_path: Path, log: Path, reference: Path | str, *extra: str) -> int:
    """Run `report` as the command line does, into tmp_path/reports."""
    argv = ["monitor", "report", "--prediction-log-path", str(log)]
    argv += ["--reference-profile-uri", str(reference)]
    argv += ["--monitoring-report-dir", str(tmp_path / "reports"), *extra]
    return cli.main(argv)


def summary(tmp_path: Path) -> dict:
    """The JSON summary the last report wrote."""
    return json.loads((tmp_path / "reports" / SUMMARY_FILE).read_text())


def drifted(tmp_path: Path) -> set[str]:
    """The features the last report flagged."""
    return {
        item["feature"] for item in summary(tmp_path)["features"] if item["drifted"]
    }


def quiet_log(tmp_path: Path) -> Path:
    """Predictions from the reference's population: nothing should move."""
    return write_log(
        tmp_path / "logs" / "predictions.jsonl",
        log_lines(predicted_rows(LOG_ROWS, seed=1)),
    )


def test_no_drift_exits_0_and_writes_both_files(tmp_path, reference) -> None:
    """Predictions like the training rows: exit 0, a summary and a page."""
    assert report(tmp_path, quiet_log(tmp_path), reference) == errors.EXIT_OK
    result = summary(tmp_path)
    assert result["alerts"] == []
    assert result["predictions"] == LOG_ROWS
    assert [item["feature"] for item in result["features"]] == DATASET.feature_names
    assert not result["prediction"]["drifted"]
    shares = result["prediction"]["classes"]
    assert [share["predicted"] for share in shares] == [
        DATASET.target.label(value) for value in CLASSES
    ]
    assert sum(share["current_share"] for share in shares) == pytest.approx(1)
    page = (tmp_path / "reports" / HTML_FILE).read_text()
    assert page.count('src="data:image/png;base64,') == len(DATASET.feature_names)
    # Self-contained: nothing is fetched when the page opens.
    assert "http://" not in page and "https://" not in page


def test_shifted_number_is_detected(tmp_path, reference) -> None:
    """Values squeezed into the top of their range: that feature alone drifts."""
    column = declared.bounded()
    rows = predicted_rows(LOG_ROWS, seed=1)
    top = rows[column.name].max()
    shifted = rows.assign(**{column.name: top - (top - rows[column.name]) * 0.2})
    log = write_log(tmp_path / "shifted.jsonl", log_lines(shifted))
    assert report(tmp_path, log, reference) == errors.EXIT_ALERT
    assert drifted(tmp_path) == {column.name}
    alerts = summary(tmp_path)["alerts"]
    assert any(alert.startswith(f"{column.name} drifted") for alert in alerts)


def test_one_category_is_detected_with_the_predicted_classes(
    tmp_path, reference
) -> None:
    """One category only, one class predicted: both drifts are reported."""
    single, column = one_category_rows(LOG_ROWS, seed=1)
    log = write_log(tmp_path / "single.jsonl", log_lines(single))
    assert report(tmp_path, log, reference) == errors.EXIT_ALERT
    assert drifted(tmp_path) == {column}
    prediction = summary(tmp_path)["prediction"]
    assert prediction["drifted"]
    assert prediction["classes"][0]["current_share"] == 1.0
    # The page shows the summary's verdicts, spelled out.
    page = (tmp_path / "reports" / HTML_FILE).read_text()
    assert page.count("<td>ALERT</td>") == 2
    assert f"{column} drifted" in page


def test_malformed_lines_are_skipped_and_counted(tmp_path, reference) -> None:
    """Broken lines are counted, not fatal; blank lines are not broken."""
    log = quiet_log(tmp_path)
    number = declared.numeric().name
    moment = "2026-01-02T00:00:00+00:00"
    bad_lines = [
        "not json at all",
        '{"timestamp": "2026-01-02T00:00:00+00:00", "truncated": ',
        json.dumps({"timestamp": moment, number: "old", PREDICTION: CLASSES[0]}),
        json.dumps({number: 30, PREDICTION: CLASSES[0]}),
        json.dumps({"timestamp": moment, PREDICTION: "not-a-class"}),
        "[1, 2, 3]",
    ]
    with log.open("a") as file:
        file.write("\n".join(bad_lines) + "\n\n")
    assert report(tmp_path, log, reference) == errors.EXIT_OK
    assert summary(tmp_path)["malformed_lines"] == len(bad_lines)
    assert summary(tmp_path)["predictions"] == LOG_ROWS


def test_bytes_that_are_not_utf8_are_skipped_and_counted(tmp_path, reference) -> None:
    """A stray byte spoils its line only; a binary file in the folder, its lines."""
    folder = tmp_path / "logs"
    log = write_log(
        folder / "predictions.jsonl", log_lines(predicted_rows(LOG_ROWS, 1))
    )
    with log.open("ab") as file:
        file.write(b'{"timestamp": "2026-01-02T00:00:00+00:00", "x": "\xff"}\n')
    # Two lines of bytes, neither of them UTF-8 text.
    (folder / "screenshot.png").write_bytes(b"\x89PNG\r\n\xff\xd8\n")
    assert report(tmp_path, folder, reference) == errors.EXIT_OK
    assert summary(tmp_path)["predictions"] == LOG_ROWS
    assert summary(tmp_path)["malformed_lines"] == 1 + 2


def test_a_folder_of_rotated_logs_is_read_whole(tmp_path, reference) -> None:
    """Every log file of a folder is read, marker files left out."""
    lines = log_lines(predicted_rows(LOG_ROWS, seed=1))
    folder = tmp_path / "logs"
    write_log(folder / "predictions.jsonl", lines.iloc[: LOG_ROWS // 2])
    write_log(folder / "predictions.jsonl.1", lines.iloc[LOG_ROWS // 2 :])
    (folder / "_SUCCESS").write_text("")
    assert report(tmp_path, folder, reference) == errors.EXIT_OK
    assert summary(tmp_path)["log_files"] == 2
    assert summary(tmp_path)["predictions"] == LOG_ROWS


def test_since_keeps_the_later_predictions(tmp_path, reference) -> None:
    """--since drops what came before it."""
    log = quiet_log(tmp_path)
    assert report(tmp_path, log, reference, "--since", "2026-01-03") == 0
    result = summary(tmp_path)
    assert 0 < result["predictions"] < LOG_ROWS / 2
    assert result["first_prediction"] >= "2026-01-03"


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_empty_log_says_so(tmp_path, reference, caplog, content) -> None:
    """An empty log is reported in words, and no report is written."""
    log = tmp_path / "empty.jsonl"
    log.write_text(content)
    assert report(tmp_path, log, reference) == errors.EXIT_INVALID_INPUT
    assert "Report failed: no valid prediction" in caplog.text
    assert "no valid prediction" in caplog.text
    assert not (tmp_path / "reports").exists()


def test_nothing_since_the_date_says_so(tmp_path, reference, caplog) -> None:
    """A window without predictions names the date."""
    log = quiet_log(tmp_path)
    assert report(tmp_path, log, reference, "--since", "2030-01-01") == 2
    assert "since 2030-01-01" in caplog.text


def test_missing_log_is_one_clear_error(tmp_path, reference, caplog) -> None:
    """A wrong log path gives one error line naming it."""
    missing = tmp_path / "nowhere.jsonl"
    assert report(tmp_path, missing, reference) == errors.EXIT_INVALID_INPUT
    assert str(missing) in only_error(caplog)


def test_unreadable_reference_is_one_clear_error(tmp_path, caplog) -> None:
    """A reference that is not Parquet gives one error line naming it."""
    broken = tmp_path / "reference.parquet"
    broken.write_bytes(b"not parquet")
    log = quiet_log(tmp_path)
    assert report(tmp_path, log, broken) == errors.EXIT_INVALID_INPUT
    assert str(broken) in only_error(caplog)


def test_reference_follows_the_registered_champion(
    tmp_path, trained_store, monkeypatch
) -> None:
    """models:/NAME@champion reads the profile logged by the champion's run."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", trained_store.uri)
    champion = f"models:/{trained_store.model_name}@champion"
    exit_code = report(tmp_path, quiet_log(tmp_path), champion)
    assert exit_code in (errors.EXIT_OK, errors.EXIT_ALERT)
    result = summary(tmp_path)
    assert result["reference_uri"] == champion
    trained_rows = len(pd.read_csv(trained_store.good_csv))
    assert 0 < result["reference_rows"] <= trained_rows


def test_unknown_registered_model_is_one_clear_error(
    tmp_path, trained_store, monkeypatch, caplog
) -> None:
    """A reference naming no registered model gives one error line, no traceback."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", trained_store.uri)
    missing = "models:/nobody@champion"
    exit_code = report(tmp_path, quiet_log(tmp_path), missing)
    assert exit_code == errors.EXIT_INVALID_INPUT
    assert missing in only_error(caplog)


def test_bad_date_is_one_clear_error(tmp_path, reference, caplog) -> None:
    """An unreadable --since gives one error line quoting it."""
    log = quiet_log(tmp_path)
    assert report(tmp_path, log, reference, "--since", "yesterday") == 2
    assert "'yesterday' is not a date" in only_error(caplog)


def test_bad_input_subprocess_has_no_traceback(tmp_path) -> None:
    """Without a trained model, the command says what is missing, no traceback."""
    argv = ["-m", "{{ cookiecutter.module_name }}", "monitor", "report"]
    completed = run_command(*argv, cwd=tmp_path)
    line = only_error_line(completed, errors.EXIT_INVALID_INPUT)
    assert "no reference profile for models:/" in line


def test_feedback_gives_accuracy_and_f1_per_day(tmp_path, reference) -> None:
    """Known outcomes give accuracy and macro F1, overall and per day."""
    lines = log_lines(predicted_rows(LOG_ROWS, seed=1))
    log = write_log(tmp_path / "predictions.jsonl", lines)
    # Outcomes for every other prediction; the truth disagrees on a fifth.
    known = lines.iloc[::2]
    predicted = known[PREDICTION]
    truth = predicted.where(known.index % 5 != 0, other_class(predicted))
    feedback = tmp_path / "feedback.csv"
    pd.DataFrame({"request_id": known["request_id"], TARGET: truth}).to_csv(
        feedback, index=False
    )
    assert report(tmp_path, log, reference, "--feedback-uri", str(feedback)) == 0
    scores = summary(tmp_path)["performance"]
    assert scores["predictions"] == len(known)
    assert scores["accuracy"] == pytest.approx(accuracy_score(truth, known[PREDICTION]))
    days = pd.to_datetime(known["timestamp"]).dt.strftime("%Y-%m-%d")
    assert [day["day"] for day in scores["days"]] == sorted(days.unique())
    first = days == scores["days"][0]["day"]
    assert scores["days"][0]["f1_macro"] == pytest.approx(
        f1_score(truth[first], predicted[first], labels=CLASSES, average="macro")
    )


def test_poor_feedback_accuracy_raises_an_alert(tmp_path, reference) -> None:
    """Wrong answers on every known outcome cross the accuracy limit."""
    lines = log_lines(predicted_rows(LOG_ROWS, seed=1))
    log = write_log(tmp_path / "predictions.jsonl", lines)
    feedback = tmp_path / "feedback.parquet"
    wrong = pd.DataFrame(
        {
            "request_id": lines["request_id"],
            "row": 0,
            TARGET: other_class(lines[PREDICTION]),
        }
    )
    wrong.to_parquet(feedback, index=False)
    assert report(tmp_path, log, reference, "--feedback-uri", str(feedback)) == 4
    assert summary(tmp_path)["performance"]["degraded"]


def test_training_writes_the_reference_profile(data_csv, tmp_path) -> None:
    """Training saves the profile beside the model; the report reads it by default."""
    model_dir = tmp_path / "models"
    argv = ["--data-uri", str(data_csv), "--model-dir", str(model_dir)]
    argv += [*FAST_TRAINING, "--no-tracking"]
    assert main.main(argv) == 0
    profile = pd.read_parquet(model_dir / REFERENCE_FILE)
    assert list(profile.columns) == [*DATASET.feature_names, PREDICTION]
    # The training rows: 80 % of the data with the default TEST_SIZE.
    assert len(profile) == int(len(pd.read_csv(data_csv)) * 0.8)
    assert set(profile[PREDICTION]) <= set(CLASSES)
    # The report reads it when asked to (a --no-tracking run has no other).
    assert report(tmp_path, quiet_log(tmp_path), model_dir / REFERENCE_FILE) in (0, 4)


def test_default_reference_is_the_served_models_not_the_last_runs(
    tmp_path, trained_store, monkeypatch
) -> None:
    """A challenger or untracked run rewrites models/; the champion's profile holds."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", trained_store.uri)
    monkeypatch.setenv("MODEL_NAME", trained_store.model_name)
    (tmp_path / "models").mkdir()
    write_reference(tmp_path / "models" / REFERENCE_FILE)
    argv = ["monitor", "report", "--prediction-log-path", str(quiet_log(tmp_path))]
    argv += ["--monitoring-report-dir", str(tmp_path / "reports")]
    assert cli.main(argv) in (errors.EXIT_OK, errors.EXIT_ALERT)
    result = summary(tmp_path)
    assert result["reference_uri"] == f"models:/{trained_store.model_name}@champion"
    champion_rows = int(len(pd.read_csv(trained_store.good_csv)) * 0.8)
    assert result["reference_rows"] == champion_rows != REFERENCE_ROWS


def test_default_reference_follows_the_served_model_uri(monkeypatch) -> None:
    """MODEL_URI changes the model the API serves, so the profile compared too."""
    monkeypatch.setenv("MODEL_URI", "models:/elsewhere/3")
    assert MonitoringSettings(_env_file=None).reference_uri == "models:/elsewhere/3"
