"""MLflow on a temporary SQLite store: runs, datasets, plots, registry and aliases."""

import os
import shutil
import signal
import subprocess
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.model_selection import ParameterGrid

from {{ cookiecutter.module_name }} import __version__
from {{ cookiecutter.module_name }}.config import REFERENCE_FILE
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.features import (
    split_features_target,
)
from {{ cookiecutter.module_name }}.monitoring.reference import REFERENCE_ARTIFACT_DIR
from {{ cookiecutter.module_name }}.registry import connect
from {{ cookiecutter.module_name }}.training.promotion import (
    CHALLENGER,
    CHAMPION,
    PROBLEM_TAG,
    Champion,
    Promotion,
    choose_alias,
    problem_digest,
)
from {{ cookiecutter.module_name }}.training.settings import (
    TEST_METRICS,
    TrainSettings,
)
from {{ cookiecutter.module_name }}.training.train import (
    train,
)

from tests.cli_helpers import PROJECT_ROOT, run_command
from tests.conftest import (
    FAST_TRAINING,
    MODEL_NAME,
    TINY_GRID,
    make_frame,
    make_noise_frame,
    tracked_settings,
)

PNG_MAGIC = b"\x89PNG"


@pytest.fixture
def client(trained_store) -> MlflowClient:
    """A client on the shared store; also points mlflow's models:/ URIs at it."""
    mlflow.set_tracking_uri(trained_store.uri)
    return MlflowClient(tracking_uri=trained_store.uri)


def test_first_version_becomes_champion(trained_store) -> None:
    """With no champion yet, the first registered version takes the alias."""
    promotion = trained_store.results[0].promotion
    assert trained_store.results[0].registered_version == "1"
    assert promotion.alias == CHAMPION
    assert promotion.champion_version is None


def test_better_version_takes_champion(trained_store) -> None:
    """Real signal beats a random target, so version 2 replaces version 1."""
    noise, good = trained_store.results[0], trained_store.results[1]
    assert good.metrics["f1_macro"] > noise.metrics["f1_macro"]
    assert good.promotion.alias == CHAMPION
    assert good.promotion.champion_version == "1"
    assert good.promotion.champion_score == pytest.approx(noise.metrics["f1_macro"])
    assert "beats champion version 1" in good.promotion.summary()


def test_worse_version_becomes_challenger(trained_store) -> None:
    """A version below the champion's score gets `challenger`, not `champion`."""
    promotion = trained_store.results[2].promotion
    assert promotion.alias == CHALLENGER
    assert promotion.champion_version == "2"
    assert promotion.score < promotion.champion_score


def test_equal_score_keeps_champion(trained_store) -> None:
    """Same data and seed give the same score: a tie does not move the champion."""
    promotion = trained_store.results[3].promotion
    assert promotion.score == promotion.champion_score
    assert promotion.alias == CHALLENGER
    assert "does not beat champion version 2" in promotion.summary()


def test_registry_holds_versions_and_aliases(
    trained_store, client: MlflowClient
) -> None:
    """Four versions; champion on the best, challenger on the latest non-winner."""
    name = trained_store.model_name
    aliases = client.get_registered_model(name).aliases
    # The SQLite store gives versions as int, a server as str: compare as text.
    assert {alias: str(version) for alias, version in aliases.items()} == {
        CHAMPION: "2",
        CHALLENGER: "4",
    }
    versions = client.search_model_versions(f"name = '{name}'")
    assert sorted(int(version.version) for version in versions) == [1, 2, 3, 4]
    tags = client.get_model_version(name, "3").tags
    assert tags["promotion.alias"] == CHALLENGER
    assert tags["promotion.champion_version"] == "2"


def test_parent_run_has_one_child_per_grid_point(
    trained_store, client: MlflowClient
) -> None:
    """Each grid point is a nested run with its params and CV mean and std."""
    run_id = trained_store.results[1].promotion.run_id
    parent = client.get_run(run_id)
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'"
    )
    points = sorted(tuple(sorted(child.data.params.items())) for child in children)
    expected = sorted(
        tuple(sorted((name, str(value)) for name, value in point.items()))
        for point in ParameterGrid(TINY_GRID)
    )
    assert points == expected
    for child in children:
        assert {"cv_mean", "cv_std"} <= set(child.data.metrics)


def test_parent_run_has_params_metrics_and_tags(
    trained_store, client: MlflowClient
) -> None:
    """The winner, search settings, scores and provenance are on the parent run."""
    result = trained_store.results[1]
    run = client.get_run(result.promotion.run_id)
    for name, value in result.best_params.items():
        assert run.data.params[name.removeprefix("classifier__")] == str(value)
    assert run.data.params["cv_folds"] == "2"
    assert run.data.metrics["cv_score"] == pytest.approx(result.cv_score)
    for name in TEST_METRICS:
        assert run.data.metrics[f"test_{name}"] == pytest.approx(result.metrics[name])
    assert run.data.tags["data_uri"] == str(trained_store.good_csv)
    assert run.data.tags["promotion.alias"] == CHAMPION
    assert run.data.tags["package_version"] == __version__


def test_parent_run_has_png_plots(
    trained_store, client: MlflowClient, tmp_path: Path
) -> None:
    """The confusion matrix and ROC curve are stored as real PNG files."""
    run_id = trained_store.results[1].promotion.run_id
    names = {artifact.path for artifact in client.list_artifacts(run_id, "plots")}
    assert names == {"plots/confusion_matrix.png", "plots/roc_curve.png"}
    for name in names:
        local = client.download_artifacts(run_id, name, str(tmp_path))
        assert Path(local).read_bytes().startswith(PNG_MAGIC)


def test_parent_run_has_train_and_test_datasets(
    trained_store, client: MlflowClient
) -> None:
    """Both datasets are logged with their context and the data URI as source."""
    run = client.get_run(trained_store.results[1].promotion.run_id)
    contexts = {}
    assert run.inputs is not None
    for dataset_input in run.inputs.dataset_inputs:
        tags = {tag.key: tag.value for tag in dataset_input.tags}
        contexts[tags["mlflow.data.context"]] = dataset_input.dataset
    assert set(contexts) == {"training", "testing"}
    assert all(str(trained_store.good_csv) in d.source for d in contexts.values())


def test_reference_profile_is_logged_with_the_run(trained_store, client) -> None:
    """The drift baseline of every registered version can be found again."""
    run_id = trained_store.results[1].promotion.run_id
    artifacts = client.list_artifacts(run_id, REFERENCE_ARTIFACT_DIR)
    assert [artifact.path for artifact in artifacts] == [
        f"{REFERENCE_ARTIFACT_DIR}/{REFERENCE_FILE}"
    ]


def test_champion_loads_with_signature_and_example(
    trained_store, client: MlflowClient
) -> None:
    """models:/NAME@champion has a signature, an example, and predicts."""
    uri = f"models:/{trained_store.model_name}@{CHAMPION}"
    info = mlflow.models.get_model_info(uri)
    assert info.signature.inputs.input_names() == DATASET.feature_names
    assert info.saved_input_example_info is not None
    features, _ = split_features_target(load_dataset(str(trained_store.good_csv)))
    model = mlflow.sklearn.load_model(uri)
    probabilities = model.predict_proba(features)
    assert probabilities.shape == (len(features), len(DATASET.target.classes))
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert set(model.predict(features)) <= set(DATASET.target.classes)


def test_store_and_artifacts_stay_in_the_temporary_folder(
    trained_store, client: MlflowClient
) -> None:
    """Nothing is written to the project: the artifacts live beside the store."""
    run = client.get_run(trained_store.results[0].promotion.run_id)
    assert run.info.artifact_uri.startswith(str(trained_store.folder))
    # The user's own trainings may have made ./mlruns: look for this run only.
    project_runs = Path(__file__).resolve().parents[1] / "mlruns"
    assert not (project_runs / run.info.experiment_id / run.info.run_id).exists()


@pytest.mark.parametrize(
    ("score", "champion", "expected"),
    [
        (0.5, None, CHAMPION),
        (0.8, Champion("1", 0.7, same_problem=True), CHAMPION),
        (0.7, Champion("1", 0.7, same_problem=True), CHALLENGER),
        (0.6, Champion("1", 0.7, same_problem=True), CHALLENGER),
        (0.9, Champion("1", None, same_problem=True), CHALLENGER),
        (0.1, Champion("1", None, same_problem=False), CHAMPION),
    ],
)
def test_choose_alias(score, champion, expected) -> None:
    """Strictly better wins; ties and unknown scores keep a comparable champion."""
    assert choose_alias(score, champion) == expected


def promoted(settings: TrainSettings) -> Promotion:
    """Train with tracking on; return the alias decision it made."""
    promotion = train(settings).promotion
    assert promotion is not None
    return promotion


def test_champion_of_another_problem_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `dataset infer` on new data, the old champion is not a yardstick.

    Its scores measure another problem, and the API would refuse it: the first
    version trained for the new dataset.py takes the alias, even a poor one.
    """
    good_csv, noise_csv = tmp_path / "good.csv", tmp_path / "noise.csv"
    make_frame().to_csv(good_csv, index=False)
    make_noise_frame().to_csv(noise_csv, index=False)
    monkeypatch.chdir(tmp_path)
    settings = tracked_settings(tmp_path, good_csv)
    first = promoted(settings)
    client = MlflowClient(tracking_uri=settings.mlflow_tracking_uri)
    assert client.get_run(first.run_id).data.tags[PROBLEM_TAG] == problem_digest()
    client.set_tag(first.run_id, PROBLEM_TAG, "another-dataset")

    poor = promoted(tracked_settings(tmp_path, noise_csv))
    assert poor.score < first.score
    assert poor.alias == CHAMPION
    assert poor.champion_version == first.version
    assert poor.champion_score is None
    assert "version 1 was trained for another dataset.py" in poor.summary()
    tags = client.get_model_version(MODEL_NAME, poor.version).tags
    assert tags["promotion.champion_same_problem"] == "False"
    again = promoted(tracked_settings(tmp_path, noise_csv))
    assert again.alias == CHALLENGER
    assert "does not beat champion version 2" in again.summary()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_run_from_a_checkout_records_its_commit(tmp_path: Path) -> None:
    """MLflow tags the commit of the script that trained, which the runs rely on."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for command in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *command], cwd=tmp_path, env=env, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    # A script of the checkout, as main.py is: MLflow looks where it lives.
    (tmp_path / "probe.py").write_text(
        "import mlflow\n"
        "mlflow.set_tracking_uri('sqlite:///mlflow.db')\n"
        "mlflow.set_experiment('probe')\n"
        "with mlflow.start_run() as run:\n"
        "    pass\n"
        "print(mlflow.get_run(run.info.run_id).data.tags['mlflow.source.git.commit'])\n"
    )
    completed = run_command("probe.py", cwd=tmp_path)
    assert completed.stdout.strip() == head, completed.stderr


def test_mlflow_is_imported_only_when_tracking() -> None:
    """`import mlflow` takes seconds: training without tracking never pays for it."""
    modules = (
        "config, features, model, plots, cli, errors, data.load, "
        "training.evaluate, training.search, training.train, monitoring.reference"
    )
    package = "{{ cookiecutter.module_name }}"
    imports = "; ".join(f"import {package}.{name}" for name in modules.split(", "))
    code = (
        f"{imports}; import main, sys; "
        "assert 'mlflow' not in sys.modules, 'mlflow was imported'"
    )
    completed = run_command("-c", code, cwd=PROJECT_ROOT)
    assert completed.returncode == 0, completed.stderr


def test_connect_hands_settings_to_mlflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """URI and credentials from .env reach MLflow, which reads only the environment."""
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.setenv(name, "restored-after-the-test")
    uri = f"sqlite:///{tmp_path}/never-created.db"
    settings = TrainSettings(
        _env_file=None,
        mlflow_tracking_uri=uri,
        mlflow_tracking_username="jdoe",
        mlflow_tracking_password="s3cret",
    )
    connect(settings)
    assert mlflow.get_tracking_uri() == uri
    assert os.environ["MLFLOW_TRACKING_USERNAME"] == "jdoe"
    assert os.environ["MLFLOW_TRACKING_PASSWORD"] == "s3cret"
    assert "s3cret" not in repr(settings)
    assert not (tmp_path / "never-created.db").exists()


# A training whose process gets SIGTERM while its run is open: as when a pod is
# stopped or `kill` is typed then, with the moment made certain.
SIGTERM_WHILE_LOGGING = """
import os, signal, sys
from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.training import tracking
tracking.log_figures = lambda *args: os.kill(os.getpid(), signal.SIGTERM)
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.usefixtures("isolated_settings")
def test_sigterm_ends_the_open_run_as_failed(data_csv: Path, tmp_path: Path):
    """A stopped training leaves no run RUNNING forever, and says it stopped."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    argv = ["train", "--data-uri", str(data_csv), *FAST_TRAINING]
    argv += ["--mlflow-tracking-uri", uri]
    completed = run_command(
        "-c", SIGTERM_WHILE_LOGGING, *argv, cwd=tmp_path, timeout=600
    )
    assert completed.returncode == 128 + signal.SIGTERM, completed.stderr
    assert "Train interrupted" in completed.stderr
    assert "Traceback" not in completed.stderr
    client = MlflowClient(tracking_uri=uri)
    experiments = client.search_experiments()
    runs = client.search_runs([experiment.experiment_id for experiment in experiments])
    parents = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    assert [run.info.status for run in parents] == ["FAILED"]
    assert "RUNNING" not in {run.info.status for run in runs}
