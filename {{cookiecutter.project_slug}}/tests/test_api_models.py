"""Any scikit-learn classifier of the declared classes is served, and only such one."""

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.base import ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from {{ cookiecutter.module_name }}.data.declaration import (
    Numeric,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.features import (
    build_preprocessing,
)
from {{ cookiecutter.module_name }}.training.tracking import (
    skops_trusted_types,
)

from app.main import create_app
from tests.api_helpers import (
    EXAMPLE,
    api_settings,
    champion_client_fixture,
    check_prediction,
    input_records,
    query_params,
    served_app,
)
from tests.declared import CLASSES, TARGET

client = champion_client_fixture()
TOKEN = "s3cret-token"


@pytest.fixture
def dataset(data_csv: Path) -> pd.DataFrame:
    """The synthetic rows as training reads them: checked, missing values as NaN."""
    return load_dataset(str(data_csv))


def fitted_pipeline(
    dataset: pd.DataFrame, classifier: ClassifierMixin, target: pd.Series | None = None
) -> Pipeline:
    """The project's own preprocessing in front of another classifier, fitted."""
    pipeline = Pipeline([*build_preprocessing().steps, ("classifier", classifier)])
    labels = dataset[TARGET.name] if target is None else target
    return pipeline.fit(dataset[DATASET.feature_names], labels)


def save(pipeline: Pipeline, folder: Path) -> None:
    """Save the pipeline as an MLflow model folder, as training logs it."""
    mlflow.sklearn.save_model(
        pipeline,
        str(folder),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=skops_trusted_types(pipeline),
        # Inferring them would load the model in a subprocess: seconds.
        pip_requirements=["scikit-learn"],
    )


@pytest.fixture
def serve_folder(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Save pipelines as MLflow model folders and serve each with MODEL_URI."""
    with ExitStack() as running:

        def serve(pipeline: Pipeline, **overrides) -> TestClient:
            """Start an app on the saved pipeline; no tracking store is needed."""
            folder = tmp_path / f"model_{id(pipeline)}"
            save(pipeline, folder)
            settings = api_settings(
                f"sqlite:///{tmp_path / 'unused.db'}",
                "test_model",
                tmp_path,
                model_uri=str(folder),
                **overrides,
            )
            return running.enter_context(TestClient(create_app(settings)))

        yield serve


def assert_answers_are_the_pipelines(
    client: TestClient,
    pipeline: Pipeline,
    raw_frame: pd.DataFrame,
    inputs: pd.DataFrame,
) -> None:
    """POST every row: classes are predict's, probabilities predict_proba's."""
    response = client.post("/predict", json=input_records(raw_frame))
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    learnt = pipeline.classes_.tolist()
    expected = pipeline.predict_proba(inputs)
    assert [row[TARGET.name] for row in predictions] == pipeline.predict(
        inputs
    ).tolist()
    for value in CLASSES:
        np.testing.assert_allclose(
            [row["probabilities"][str(value)] for row in predictions],
            expected[:, learnt.index(value)],
            rtol=0,
            atol=1e-12,
        )


def other_classes(how: str) -> dict:
    """Each declared class mapped to the class a model of other data learnt.

    Renamed: other labels. Fewer: the first two classes learnt as one.
    Retyped: the classes as text, which JSON, the log and the metrics would
    not tell from the declared 1 or true.
    """
    if how == "renamed":
        return {value: f"other {value}" for value in CLASSES}
    if how == "fewer":
        if len(CLASSES) < 3:
            pytest.skip("two classes cannot lose one and remain a classifier")
        return {
            value: CLASSES[0] if value == CLASSES[1] else value for value in CLASSES
        }
    if TARGET.kind == "text":
        pytest.skip("text classes are text already")
    return {value: str(value) for value in CLASSES}


def test_champion_answers_are_its_own(
    client: TestClient, raw_frame: pd.DataFrame, dataset: pd.DataFrame
) -> None:
    """The served champion's answers are its pipeline's, row for row."""
    served = served_app(client).state.serving.model.pipeline
    inputs = dataset[DATASET.feature_names]
    assert_answers_are_the_pipelines(client, served, raw_frame, inputs)


@pytest.mark.parametrize(
    "classifier",
    [LogisticRegression(), HistGradientBoostingClassifier(max_iter=20)],
    ids=["logistic_regression", "hist_gradient_boosting"],
)
def test_other_classifiers_are_served(
    serve_folder,
    raw_frame: pd.DataFrame,
    dataset: pd.DataFrame,
    classifier: ClassifierMixin,
) -> None:
    """Swap the forest for another estimator: the API serves it, same answers."""
    pipeline = fitted_pipeline(dataset, classifier)
    client = serve_folder(pipeline)
    assert client.get("/ready").json()["ready"] is True
    inputs = dataset[DATASET.feature_names]
    assert_answers_are_the_pipelines(client, pipeline, raw_frame, inputs)
    response = client.get("/predict", params=query_params(EXAMPLE))
    assert response.status_code == 200
    check_prediction(response.json()["predictions"][0])


def test_model_without_imputation_is_refused_at_load(
    serve_folder, raw_frame: pd.DataFrame, dataset: pd.DataFrame, caplog
) -> None:
    """A model that cannot score a missing number is refused at load, with the reason.

    The declared examples miss values where the declaration allows it: loading
    scores them, so such a model never reaches a client.
    """
    if not any(
        isinstance(feature, Numeric) and example.get(feature.name) is None
        for example in DATASET.examples
        for feature in DATASET.features
    ):
        pytest.skip("no declared example misses a number")
    complete = dataset.dropna(subset=DATASET.feature_names)
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore"),
                DATASET.categorical_inputs,
            )
        ],
        remainder=StandardScaler(),
    )
    pipeline = make_pipeline(encode, LogisticRegression()).fit(
        complete[DATASET.feature_names], complete[TARGET.name]
    )
    client = serve_folder(pipeline)
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert "NaN" in caplog.text
    refused = client.post("/predict", json=input_records(raw_frame))
    assert refused.status_code == 503


@pytest.mark.parametrize("how", ["renamed", "fewer", "retyped"])
def test_model_of_other_classes_is_never_served(
    serve_folder, dataset: pd.DataFrame, how: str, caplog
) -> None:
    """A model trained on other classes is refused at load: /ready says 503.

    Its answers would name classes the declaration, the log, the metrics and
    the clients do not know; nothing is predicted with it.
    """
    relabelled = dataset[TARGET.name].map(other_classes(how))
    pipeline = fitted_pipeline(dataset, LogisticRegression(), relabelled)
    client = serve_folder(pipeline)
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["ready"] is False
    assert f"predicts classes {pipeline.classes_.tolist()}" in caplog.text
    assert f"dataset.py declares {CLASSES}" in caplog.text
    assert client.post("/predict", json=EXAMPLE).status_code == 503
    assert client.get("/predict", params=query_params(EXAMPLE)).status_code == 503


def test_reload_refuses_a_model_of_other_classes(
    serve_folder, tmp_path: Path, dataset: pd.DataFrame
) -> None:
    """A reload that finds another model's classes keeps serving the good one."""
    good = fitted_pipeline(dataset, LogisticRegression())
    client = serve_folder(good, api_reload_token=TOKEN)
    before = client.post("/predict", json=EXAMPLE).json()["predictions"]
    folder = Path(served_app(client).state.serving.settings.served_model_uri)
    relabelled = dataset[TARGET.name].map(other_classes("renamed"))
    shutil.rmtree(folder)
    save(fitted_pipeline(dataset, LogisticRegression(), relabelled), folder)
    response = client.post(
        "/model/reload", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 503
    assert client.get("/ready").status_code == 200
    assert client.post("/predict", json=EXAMPLE).json()["predictions"] == before
