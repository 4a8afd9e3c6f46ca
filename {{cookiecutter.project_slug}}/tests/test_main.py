"""The command line end to end: artifacts, exit codes, messages, overrides."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import joblib
import pytest

import main
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.data import load_titanic
from {{ cookiecutter.module_name }}.features import split_features_target

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FAST_GRID = ["--n-trees", "10", "--max-depth", "3", "--cv-folds", "2"]


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty folder with no settings in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run main.py as a user would, in a separate interpreter."""
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_main_trains_and_saves(titanic_csv: Path, tmp_path: Path, caplog) -> None:
    """A full run writes a usable model and a complete metrics report."""
    model_dir = tmp_path / "out" / "models"
    caplog.set_level(logging.INFO)
    argv = ["--data-uri", str(titanic_csv), "--model-dir", str(model_dir), *FAST_GRID]
    assert main.main(argv) == 0
    report = json.loads((model_dir / "metrics.json").read_text())
    assert report["data_uri"] == str(titanic_csv)
    assert report["best_params"] == {
        "classifier__max_depth": 3,
        "classifier__n_estimators": 10,
    }
    assert 0.6 < report["metrics"]["accuracy"] <= 1
    assert {"cv_score", "trained_at", "scoring"} <= set(report)
    features, _ = split_features_target(load_titanic(str(titanic_csv)))
    predicted = joblib.load(model_dir / "model.joblib").predict(features)
    assert set(predicted) <= {0, 1} and len(predicted) == len(features)
    assert "Test accuracy" in caplog.text


def test_missing_file_exits_nonzero_with_clear_message(tmp_path: Path, caplog) -> None:
    """A wrong path gives one error line naming it, and no traceback."""
    missing = tmp_path / "missing.csv"
    assert main.main(["--data-uri", str(missing), *FAST_GRID]) == 2
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert str(missing) in errors[0].getMessage()
    assert "--data-uri" in errors[0].getMessage()
    assert errors[0].exc_info is None


def test_bad_setting_exits_nonzero(titanic_csv: Path, caplog) -> None:
    """An out-of-range setting is reported by its variable name."""
    assert main.main(["--data-uri", str(titanic_csv), "--test-size", "1.5"]) == 2
    assert "TEST_SIZE" in caplog.text


def test_too_few_rows_per_class(raw_frame, write_csv, caplog) -> None:
    """A file too small to split and cross-validate is refused clearly."""
    path = write_csv(raw_frame.head(6))
    assert main.main(["--data-uri", str(path), *FAST_GRID]) == 2
    assert "needs at least" in caplog.text


def test_cli_flags_override_environment(
    titanic_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DATA_URI and MODEL_DIR from the environment lose to the flags."""
    monkeypatch.setenv("DATA_URI", str(tmp_path / "not-used.csv"))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "env-models"))
    monkeypatch.setenv("N_TREES", "10,20")
    argv = ["--data-uri", str(titanic_csv), "--model-dir", "cli-models", *FAST_GRID]
    assert main.main(argv) == 0
    assert (tmp_path / "cli-models" / "model.joblib").exists()
    assert not (tmp_path / "env-models").exists()


def test_environment_is_used_without_flags(
    titanic_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings come from the environment when no flag is given."""
    monkeypatch.setenv("DATA_URI", str(titanic_csv))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "env-models"))
    monkeypatch.setenv("N_TREES", "[10]")
    monkeypatch.setenv("MAX_DEPTH", "3")
    monkeypatch.setenv("CV_FOLDS", "2")
    assert main.main([]) == 0
    report = json.loads((tmp_path / "env-models" / "metrics.json").read_text())
    assert report["best_params"]["classifier__n_estimators"] == 10


def test_help_mentions_environment_variables(tmp_path: Path) -> None:
    """--help works from any folder and documents what each flag overrides."""
    completed = run_cli("--help", cwd=tmp_path)
    assert completed.returncode == 0
    for variable in ("DATA_URI", "MODEL_DIR", "N_TREES", "MAX_DEPTH", "CV_FOLDS"):
        assert variable in completed.stdout


def test_bad_data_subprocess_has_no_traceback(raw_frame, write_csv, tmp_path) -> None:
    """A real process on bad data exits non-zero with a one-line explanation."""
    path = write_csv(raw_frame.drop(columns=["Sex"]))
    completed = run_cli("--data-uri", str(path), *FAST_GRID, cwd=tmp_path)
    assert completed.returncode != 0
    assert "missing required columns: Sex" in completed.stderr
    assert "Traceback" not in completed.stderr
