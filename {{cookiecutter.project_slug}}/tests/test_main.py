"""The command line end to end: artifacts, exit codes, messages, overrides."""

import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import joblib
import pytest

import main
from {{ cookiecutter.module_name }} import (
    cli,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.features import (
    split_features_target,
)
from {{ cookiecutter.module_name }}.model import (
    SEARCH_SPACE,
)
from {{ cookiecutter.module_name }}.training.settings import (
    TrainSettings,
)

from tests.cli_helpers import (
    MAIN_SCRIPT,
    PROJECT_ROOT,
    only_error,
    only_error_line,
    run_command,
)
from tests.conftest import FAST_TRAINING, FIRST_POINT, TINY_GRID

# Tests about training alone skip MLflow: faster, and no store to clean up.
LOCAL_ONLY = [*FAST_TRAINING, "--no-tracking"]
UNREACHABLE = "http://127.0.0.1:9"
# A timestamped line, the project's or MLflow's: date, time, level, logger.
LOG_LINE = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [A-Z]+ \S+: ")


pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_main_trains_and_saves(data_csv: Path, tmp_path: Path, caplog) -> None:
    """A full run writes a usable model and a complete metrics report."""
    model_dir = tmp_path / "out" / "models"
    caplog.set_level(logging.INFO)
    argv = ["--data-uri", str(data_csv), "--model-dir", str(model_dir), *LOCAL_ONLY]
    assert main.main(argv) == 0
    report = json.loads((model_dir / "metrics.json").read_text())
    assert report["data_uri"] == str(data_csv)
    assert report["best_params"] == {
        f"classifier__{name}": value for name, value in FIRST_POINT.items()
    }
    assert 0.6 < report["metrics"]["accuracy"] <= 1
    assert {"cv_score", "trained_at", "scoring"} <= set(report)
    features, _ = split_features_target(load_dataset(str(data_csv)))
    predicted = joblib.load(model_dir / "model.joblib").predict(features)
    assert set(predicted) <= set(DATASET.target.classes)
    assert len(predicted) == len(features)
    assert "Test accuracy" in caplog.text


def test_missing_file_exits_nonzero_with_clear_message(tmp_path: Path, caplog) -> None:
    """A wrong path gives one error line naming it, and no traceback."""
    missing = tmp_path / "missing.csv"
    assert main.main(["--data-uri", str(missing), *LOCAL_ONLY]) == 2
    error = only_error(caplog)
    assert str(missing) in error
    assert "--data-uri" in error


def test_unreadable_data_opens_no_store(tmp_path: Path, caplog) -> None:
    """The store is opened beside the search, so bad data leaves no empty store."""
    missing = tmp_path / "missing.csv"
    assert main.main(["--data-uri", str(missing), *FAST_TRAINING]) == 2
    assert str(missing) in only_error(caplog)
    assert not (tmp_path / "mlflow.db").exists()


def test_bad_setting_exits_nonzero(data_csv: Path, caplog) -> None:
    """An out-of-range setting is reported by its variable name."""
    assert main.main(["--data-uri", str(data_csv), "--test-size", "1.5"]) == 2
    assert "TEST_SIZE" in caplog.text


def test_too_few_rows_per_class(raw_frame, write_csv, caplog) -> None:
    """A file too small to split and cross-validate is refused clearly."""
    path = write_csv(raw_frame.head(6))
    assert main.main(["--data-uri", str(path), *LOCAL_ONLY]) == 2
    assert "needs at least" in caplog.text


def test_failed_save_keeps_the_last_good_set(data_csv: Path, tmp_path: Path):
    """A save that fails midway leaves the previous files whole, and says why."""
    argv = ["--data-uri", str(data_csv), *LOCAL_ONLY]
    assert main.main(argv) == 0
    models = tmp_path / "models"
    before = {path.name: path.read_bytes() for path in models.iterdir()}
    # A file size limit (`ulimit -f`) under the largest file, whatever the model:
    # the disk fills up before the new set is complete.
    full_disk = max(len(content) for content in before.values()) // 2
    completed = subprocess.run(
        [sys.executable, str(MAIN_SCRIPT), *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_FSIZE, (full_disk, full_disk)
        ),
    )
    assert "cannot save the model" in only_error_line(completed, exit_code=5)
    assert {path.name: path.read_bytes() for path in models.iterdir()} == before


def test_full_disk_while_the_store_is_created_is_one_line(
    data_csv: Path, tmp_path: Path
) -> None:
    """A new SQLite store that cannot be written: exit 3, one line, model kept."""
    argv = ["--data-uri", str(data_csv), *LOCAL_ONLY]
    assert main.main(argv) == 0
    largest = max(path.stat().st_size for path in (tmp_path / "models").iterdir())
    # Room for the model's files, not for MLflow's tables (about 900 KB).
    limit = largest + 64 * 1024
    if limit > 600 * 1024:
        pytest.skip("the model is too large to fill the disk at the store alone")
    store = f"sqlite:///{tmp_path / 'fresh.db'}"
    tracked = ["--data-uri", str(data_csv), *FAST_TRAINING]
    completed = subprocess.run(
        [sys.executable, str(MAIN_SCRIPT), *tracked, "--mlflow-tracking-uri", store],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)),
    )
    error = only_error_line(completed, exit_code=3)
    assert f"cannot log to MLflow at {store}" in error
    assert "the trained model was kept" in error


def test_tracked_training_logs_in_one_format(data_csv: Path, tmp_path: Path):
    """MLflow's lines read like the project's, and no warning about pip shows."""
    store = ["--mlflow-tracking-uri", f"sqlite:///{tmp_path}/mlflow.db"]
    argv = ["--data-uri", str(data_csv), *FAST_TRAINING, *store]
    completed = run_command(str(MAIN_SCRIPT), *argv, cwd=tmp_path, timeout=600)
    assert completed.returncode == 0, completed.stderr
    stamped = [line for line in completed.stderr.splitlines() if line[:1].isdigit()]
    assert [line for line in stamped if " mlflow." in line] != []
    assert [line for line in stamped if not LOG_LINE.match(line)] == []
    assert "pip version" not in completed.stderr


def test_cli_flags_override_environment(
    data_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DATA_URI and MODEL_DIR from the environment lose to the flags."""
    monkeypatch.setenv("DATA_URI", str(tmp_path / "not-used.csv"))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "env-models"))
    monkeypatch.setenv("PARAM_GRID", "not JSON: the flag wins")
    argv = ["--data-uri", str(data_csv), "--model-dir", "cli-models", *LOCAL_ONLY]
    assert main.main(argv) == 0
    assert (tmp_path / "cli-models" / "model.joblib").exists()
    assert not (tmp_path / "env-models").exists()


def test_environment_is_used_without_flags(
    data_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings come from the environment when no flag is given."""
    monkeypatch.setenv("DATA_URI", str(data_csv))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "env-models"))
    monkeypatch.setenv("PARAM_GRID", json.dumps(FIRST_POINT))
    monkeypatch.setenv("CV_FOLDS", "2")
    monkeypatch.setenv("TRACKING", "false")
    assert main.main([]) == 0
    report = json.loads((tmp_path / "env-models" / "metrics.json").read_text())
    assert report["best_params"] == {
        f"classifier__{name}": value for name, value in FIRST_POINT.items()
    }


def test_help_mentions_environment_variables(tmp_path: Path) -> None:
    """--help works from any folder and lists a flag for every training setting."""
    completed = run_command(str(MAIN_SCRIPT), "--help", cwd=tmp_path)
    assert completed.returncode == 0
    assert "(--data-uri: DATA_URI)" in completed.stdout
    for setting in TrainSettings.model_fields:
        if setting != "mlflow_tracking_password":
            assert f"--{setting.replace('_', '-')}" in completed.stdout
    assert "--mlflow-tracking-password" not in completed.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "needs a command: train, grid, score, data, dataset, monitor"),
        (["data"], " data needs a command: convert, partition, upload, download;"),
        (["dataset"], " dataset needs a command: infer, synthetic;"),
        (["monitor"], " monitor needs a command: report;"),
    ],
)
def test_a_group_without_its_command_lists_its_commands(
    argv: list[str], message: str, caplog
) -> None:
    """The bare command, or a group alone, names what it offers, as git does."""
    assert cli.main(argv) == 2
    assert message in only_error(caplog)


def test_bare_command_subprocess_has_no_traceback(tmp_path: Path) -> None:
    """What a newcomer types first: one line saying which commands there are."""
    completed = run_command("-m", "{{ cookiecutter.module_name }}", cwd=tmp_path)
    error = only_error_line(completed, exit_code=2)
    assert f"{cli.PROGRAM} needs a command: train," in error


def test_bad_data_subprocess_has_no_traceback(raw_frame, write_csv, tmp_path) -> None:
    """A real process on bad data exits non-zero with a one-line explanation."""
    feature = DATASET.features[0].source
    path = write_csv(raw_frame.drop(columns=[feature]))
    completed = run_command(
        str(MAIN_SCRIPT), "--data-uri", str(path), *LOCAL_ONLY, cwd=tmp_path
    )
    error = only_error_line(completed, exit_code=2)
    assert f"missing required columns: {feature}" in error


def test_no_tracking_creates_no_store(data_csv: Path, tmp_path: Path, caplog) -> None:
    """--no-tracking trains and saves without touching MLflow at all."""
    caplog.set_level(logging.INFO)
    root_had_store = (PROJECT_ROOT / "mlflow.db").exists()
    assert main.main(["--data-uri", str(data_csv), *LOCAL_ONLY]) == 0
    assert (tmp_path / "models" / "model.joblib").exists()
    assert not (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "mlruns").exists()
    assert (PROJECT_ROOT / "mlflow.db").exists() == root_had_store
    assert "Tracking off" in caplog.text


def test_the_same_rows_in_another_order_train_the_same_model(
    raw_frame, write_csv, tmp_path: Path
) -> None:
    """A partitioned copy returns rows in another order: the split must not care."""
    shuffled = raw_frame.sample(frac=1, random_state=3)
    scores = []
    for name, frame in (("ordered", raw_frame), ("shuffled", shuffled)):
        data = write_csv(frame, name=f"{name}.csv")
        folder = tmp_path / f"models-{name}"
        argv = ["--data-uri", str(data), "--model-dir", str(folder), *LOCAL_ONLY]
        assert main.main(argv) == 0
        scores.append(json.loads((folder / "metrics.json").read_text())["metrics"])
    assert scores[0] == scores[1]


def test_bad_promotion_metric_is_refused(data_csv: Path, caplog) -> None:
    """Only a test metric can decide the champion; a typo fails at start-up."""
    argv = ["--data-uri", str(data_csv), "--promotion-metric", "log_loss"]
    assert main.main(argv) == 2
    assert "PROMOTION_METRIC" in caplog.text


def test_main_logs_version_and_both_scores(
    trained_store, data_csv: Path, caplog
) -> None:
    """Two runs under a fresh model name: the second is compared to the first."""
    caplog.set_level(logging.INFO)
    argv = [
        "--data-uri",
        str(data_csv),
        *FAST_TRAINING,
        "--mlflow-tracking-uri",
        trained_store.uri,
        "--mlflow-experiment-name",
        "cli-runs",
        "--model-name",
        "{{ cookiecutter.module_name }}_cli",
        "--promotion-metric",
        "roc_auc",
    ]
    assert main.main(argv) == 0
    assert "Registered {{ cookiecutter.module_name }}_cli version 1" in caplog.text
    assert "version 1 is champion: test roc_auc" in caplog.text
    caplog.clear()
    assert main.main(argv) == 0
    assert "Registered {{ cookiecutter.module_name }}_cli version 2" in caplog.text
    assert "version 2 is challenger" in caplog.text
    assert "does not beat champion version 1 at" in caplog.text


def test_unreachable_server_keeps_model_and_exits_3(
    data_csv: Path, tmp_path: Path, caplog
) -> None:
    """One error naming the server and the kept model; no retries for minutes."""
    argv = [
        "--data-uri",
        str(data_csv),
        *FAST_TRAINING,
        "--mlflow-tracking-uri",
        UNREACHABLE,
    ]
    started = time.monotonic()
    assert main.main(argv) == 3
    # MLflow's default retries take minutes; 60 s leaves room for a busy machine.
    assert time.monotonic() - started < 60
    assert (tmp_path / "models" / "model.joblib").exists()
    message = only_error(caplog)
    assert UNREACHABLE in message
    assert str(Path("models") / "model.joblib") in message


def test_unreachable_server_subprocess_has_no_traceback(
    data_csv: Path, tmp_path: Path
) -> None:
    """A real process fails in seconds with exit code 3 and no traceback."""
    started = time.monotonic()
    argv = [
        "--data-uri",
        str(data_csv),
        *FAST_TRAINING,
        "--mlflow-tracking-uri",
        UNREACHABLE,
    ]
    completed = run_command(str(MAIN_SCRIPT), *argv, cwd=tmp_path)
    # A new interpreter and a training come first; MLflow's retries would add 4 minutes.
    assert time.monotonic() - started < 180
    assert UNREACHABLE in only_error_line(completed, exit_code=3)
    assert (tmp_path / "models" / "model.joblib").exists()


@pytest.mark.parametrize(
    ("grid", "named"),
    [({"no_such": [1]}, "'no_such'"), ({next(iter(TINY_GRID)): []}, "non-empty")],
)
def test_param_grid_names_the_wrong_entry(data_csv: Path, grid, named, caplog):
    """An unknown parameter or an empty list is refused before any fit."""
    argv = ["--data-uri", str(data_csv), "--param-grid", json.dumps(grid)]
    assert main.main(argv) == 2
    error = only_error(caplog)
    assert "PARAM_GRID" in error and named in error


def test_grid_command_lists_every_point(tmp_path: Path) -> None:
    """`grid` prints the search's points as JSON, one training each for Argo."""
    completed = run_command(
        "-m",
        "{{ cookiecutter.module_name }}",
        "grid",
        "--param-grid",
        json.dumps(TINY_GRID),
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    points = json.loads(completed.stdout)
    assert len(points) == 2
    assert all(set(point) == set(TINY_GRID) for point in points)


# A grid that keeps joblib's workers busy for minutes, so the test stops it midway.
LONG_GRID = {"max_depth": list(range(2, 12)), "n_estimators": list(range(50, 300, 10))}


def process_group(group: int) -> list[int]:
    """The processes of a process group: a command and the workers it started."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while the folder was listed
            continue
        if int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members


def wait_for(condition, seconds: float) -> bool:
    """Poll a condition until it holds or the time is up."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes in /proc")
@pytest.mark.skipif(
    not set(LONG_GRID) <= set(SEARCH_SPACE),
    reason="the long grid is the forest's; model.py searches other parameters",
)
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=str)
def test_a_signal_stops_the_search_and_its_workers(
    data_csv: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    """`kill` or `kill -INT` midway: one line, code 128 + signal, no worker left."""
    argv = ["--data-uri", str(data_csv), "--param-grid", json.dumps(LONG_GRID)]
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        training = subprocess.Popen(
            [sys.executable, str(MAIN_SCRIPT), *argv, "--no-tracking"],
            cwd=tmp_path,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        assert wait_for(lambda: len(process_group(training.pid)) > 2, 120), "no workers"
        training.send_signal(stop)
        assert training.wait(timeout=120) == 128 + stop, log.read_text()
        # Seconds, where the default left them for minutes; more on a busy machine.
        assert wait_for(lambda: process_group(training.pid) == [], 30)
    finally:
        for pid in process_group(training.pid):
            os.kill(pid, signal.SIGKILL)
    assert "Train interrupted" in only_error_line_of(log.read_text())


def only_error_line_of(stderr: str) -> str:
    """The one error line a stopped command wrote, which no traceback follows."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, stderr
    return errors[0]
