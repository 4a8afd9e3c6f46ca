"""The Dockerfile's images work, checked without an engine (there is none here).

Each image's venv is rebuilt from the Dockerfile's own steps (tests/dockerfile.py)
and its CMD runs from a copy of what the image copies: the API image serves a
model that MLflow saved, the training image trains from its environment alone,
the Spark image runs a SparkApplication's driver command on local Spark.
So the Dockerfile cannot drift from the app, its requirements or its layout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bake_runtime import (
    PASSENGER,
    TINY_GRID,
    post_json,
    run_in_bake,
    running_server,
    write_synthetic_titanic,
)
from conftest import DEFAULT_ANSWERS, MATRIX, Bake, require_python
from dockerfile import EnginelessImage, parse

# The grid as a ConfigMap would set it: the training image takes no flags.
TINY_GRID_ENV = {"PARAM_GRID": '{"n_estimators": 5, "max_depth": 2}', "CV_FOLDS": "2"}
WITHOUT_API = next(row for row in MATRIX if not row["include_api"])
SPARK_ON_KUBERNETES = next(
    row for row in MATRIX if row["spark"] and row["deployment"] != "none"
)
# Where the SparkApplications' local:// files are in the rebuilt image.
IMAGE_VENV = "local:///opt/venv/"
PYSPARK_HINT = (
    "the lock's pyspark changed: set sparkVersion, and the Hadoop version in "
    "spark.jars.packages, in deployment/spark/applications.yaml and the README"
)


def build(bake: Bake, target: str, scratch: Path) -> EnginelessImage:
    """Rebuild one image of a bake under a scratch folder."""
    python = require_python(bake.context["python_version"])
    image = EnginelessImage(
        parse(bake.path / "Dockerfile"), target, bake.path, scratch, python
    )
    image.build()
    return image


def save_champion(bake: Bake, folder: Path) -> Path:
    """Train with the bake's dev venv, then copy the champion's MLflow folder out.

    From its own folder, so that MLflow's store and ./mlruns stay out of the bake.
    """
    folder.mkdir()
    env = {**os.environ, "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}
    data = write_synthetic_titanic(folder / "titanic.csv")
    model_uri = f"models:/{bake.context['module_name']}@champion"
    fetch = (
        "import mlflow; "
        f"mlflow.artifacts.download_artifacts({model_uri!r}, dst_path='champion')"
    )
    train = [bake.path / "main.py", "--data-uri", data, *TINY_GRID]
    for command in (train, ["-c", fetch]):
        completed = run_in_bake(bake, *command, env=env, cwd=folder)
        assert completed.returncode == 0, completed.stderr[-3000:]
    return folder / "champion"


@pytest.fixture(scope="module")
def api_image(bakery, tmp_path_factory) -> EnginelessImage:
    """The default bake's API image, rebuilt once for this module's tests."""
    return build(bakery.bake(DEFAULT_ANSWERS), "api", tmp_path_factory.mktemp("api"))


@pytest.mark.slow
def test_api_image_holds_bytecode_for_the_project_alone(api_image, bakery):
    """The libraries are installed with --no-compile (83 MB saved), as pip does.

    Their bytecode would take the image past its size target; the project's
    own, which pip writes by default, is a few kilobytes.
    """
    (site,) = api_image.venv.glob("lib/python*/site-packages")
    compiled = {path.relative_to(site).parts[0] for path in site.rglob("*.pyc")}
    assert compiled == {bakery.bake(DEFAULT_ANSWERS).context["module_name"]}


@pytest.mark.slow
def test_api_image_serves_a_saved_model(bakery, api_image, tmp_path):
    bake = bakery.bake(DEFAULT_ANSWERS)
    model = save_champion(bake, tmp_path / "training")
    image = api_image
    assert not list(image.venv.glob("lib/python*/site-packages/duckdb"))
    env = {
        **image.environment(),
        "MODEL_URI": str(model),
        # No tracking server: the API must still serve, without training metrics.
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
        "PREDICTION_LOG_PATH": str(tmp_path / "logs" / "predictions.jsonl"),
    }
    # Ready only once the saved model is loaded; the HEALTHCHECK probes /health.
    with running_server(
        image.command(),
        tmp_path / "api.log",
        "/ready",
        cwd=image.workdir,
        env=env,
    ) as url:
        answer = post_json(f"{url}/predict", PASSENGER)
        healthcheck = parse(bake.path / "Dockerfile")["api"].arguments("HEALTHCHECK")
        probe = json.loads(healthcheck[0].split(" CMD ", 1)[1])
        probe[-1] = probe[-1].replace(":8000/", f":{url.rsplit(':', 1)[1]}/")
        checked = subprocess.run(
            [image.venv / "bin" / "python", *probe[1:]], env=env, check=False
        )
    assert answer["predictions"][0]["survived"] in (0, 1)
    assert 0 <= answer["predictions"][0]["probabilities"]["1"] <= 1
    assert checked.returncode == 0


@pytest.mark.slow
def test_training_image_trains_from_its_environment(bakery, tmp_path):
    bake = bakery.bake(WITHOUT_API)
    image = build(bake, "training", tmp_path / "image")
    data = write_synthetic_titanic(tmp_path / "titanic.csv")
    env = {
        **image.environment(),
        **TINY_GRID_ENV,
        "DATA_URI": str(data),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    (image.workdir / "models").mkdir()
    completed = subprocess.run(
        image.command(),
        cwd=image.workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (image.workdir / "models" / "model.joblib").stat().st_size > 0


@pytest.mark.slow
def test_spark_image_runs_the_spark_applications_commands(bakery, tmp_path):
    """The driver command the operator gives the pod, on local Spark (no cluster)."""
    bake = bakery.bake(SPARK_ON_KUBERNETES)
    image = build(bake, "spark", tmp_path / "image")
    entrypoint = [image.workdir / Path(image.stage.exec_form("ENTRYPOINT")[0]).name]
    env = {**image.environment(), "SPARK_DRIVER_BIND_ADDRESS": "127.0.0.1"}
    shown = subprocess.run(
        [*entrypoint, *image.stage.exec_form("CMD")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "prepare" in shown.stdout
    assert "score" in shown.stdout
    applications = bake.path / "deployment" / "spark" / "applications.yaml"
    prepare, score = yaml.safe_load_all(applications.read_text())
    (pyspark,) = image.venv.glob("lib/python*/site-packages/pyspark")
    version = re.search(r"['\"]([\d.]+)['\"]", (pyspark / "version.py").read_text())[1]
    jar = next(pyspark.glob("jars/hadoop-client-api-*.jar")).name
    hadoop = re.search(r"-(\d[\d.]*)\.jar$", jar)[1]
    for application in (prepare, score):
        spec = application["spec"]
        main = image.venv / spec["mainApplicationFile"].removeprefix(IMAGE_VENV)
        assert main.is_file(), spec["mainApplicationFile"]
        hadoop_aws = spec["sparkConf"]["spark.jars.packages"]
        assert hadoop_aws == f"org.apache.hadoop:hadoop-aws:{hadoop}", PYSPARK_HINT
        assert spec["sparkVersion"] == version, PYSPARK_HINT
    # The prepare job's arguments, local folders in place of its s3:// ones.
    data = write_synthetic_titanic(tmp_path / "titanic.csv")
    source, target = (a for a in prepare["spec"]["arguments"] if a.startswith("s3:"))
    local = {source: str(data), target: str(tmp_path / "by-class")}
    arguments = [local.get(a, a) for a in prepare["spec"]["arguments"]]
    driver = subprocess.run(
        [*entrypoint, "driver", "--master", "local[1]", main, *arguments],
        env=env,
        cwd=image.workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert driver.returncode == 0, driver.stderr[-3000:]
    assert sorted(path.name for path in (tmp_path / "by-class").glob("Pclass=*")) == [
        "Pclass=1",
        "Pclass=2",
        "Pclass=3",
    ]
