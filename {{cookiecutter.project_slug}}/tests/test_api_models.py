"""Any scikit-learn classifier is served, through its own predict_proba."""

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

from {{ cookiecutter.module_name }}.features import (
    CATEGORICAL_INPUTS,
    INPUT_FEATURES,
    TARGET,
    build_preprocessing,
)
from {{ cookiecutter.module_name }}.training.tracking import skops_trusted_types

from app.main import create_app
from tests.api_helpers import (
    api_settings,
    champion_client_fixture,
    passenger_records,
    served_app,
)

client = champion_client_fixture()


def model_inputs(titanic_frame: pd.DataFrame) -> pd.DataFrame:
    """The input columns, a missing value as NaN, as load_titanic hands them over."""
    features = titanic_frame[INPUT_FEATURES]
    return features.where(features.notna(), np.nan)


def fitted_pipeline(titanic_frame: pd.DataFrame, classifier, target=TARGET) -> Pipeline:
    """The project's own preprocessing in front of another classifier, fitted."""
    pipeline = Pipeline([*build_preprocessing().steps, ("classifier", classifier)])
    return pipeline.fit(model_inputs(titanic_frame), titanic_frame[target])


@pytest.fixture
def serve_folder(tmp_path: Path) -> Iterator[Callable[[Pipeline], TestClient]]:
    """Save pipelines as MLflow model folders and serve each with MODEL_URI."""
    with ExitStack() as running:

        def serve(pipeline: Pipeline) -> TestClient:
            """Start an app on the saved pipeline; no tracking store is needed."""
            folder = tmp_path / f"model_{id(pipeline)}"
            mlflow.sklearn.save_model(
                pipeline,
                str(folder),
                serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
                skops_trusted_types=skops_trusted_types(pipeline),
                # Inferring them would load the model in a subprocess: seconds.
                pip_requirements=["scikit-learn"],
            )
            settings = api_settings(
                f"sqlite:///{tmp_path / 'unused.db'}",
                "test_model",
                tmp_path,
                model_uri=str(folder),
            )
            return running.enter_context(TestClient(create_app(settings)))

        yield serve


def assert_answers_are_the_pipelines(
    client: TestClient, pipeline: Pipeline, titanic_frame: pd.DataFrame
) -> None:
    """POST every row: classes are predict's, probabilities predict_proba's."""
    response = client.post("/predict", json=passenger_records(titanic_frame))
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    inputs = model_inputs(titanic_frame)
    expected = pipeline.predict_proba(inputs)[:, list(pipeline.classes_).index(1)]
    classes = pipeline.predict(inputs).tolist()
    assert [row["survived"] for row in predictions] == classes
    np.testing.assert_allclose(
        [row["survival_probability"] for row in predictions],
        expected,
        rtol=0,
        atol=1e-12,
    )


def test_champion_answers_are_its_own(
    client: TestClient, titanic_frame: pd.DataFrame
) -> None:
    """The served champion's answers are its pipeline's, row for row."""
    served = served_app(client).state.serving.model.pipeline
    assert_answers_are_the_pipelines(client, served, titanic_frame)


@pytest.mark.parametrize(
    "classifier",
    [LogisticRegression(), HistGradientBoostingClassifier(max_iter=20)],
    ids=["logistic_regression", "hist_gradient_boosting"],
)
def test_other_classifiers_are_served(
    serve_folder, titanic_frame: pd.DataFrame, classifier: ClassifierMixin
) -> None:
    """Swap the forest for another estimator: the API serves it, same answers."""
    pipeline = fitted_pipeline(titanic_frame, classifier)
    client = serve_folder(pipeline)
    assert client.get("/ready").json()["ready"] is True
    assert_answers_are_the_pipelines(client, pipeline, titanic_frame)
    query = "pclass=1&sex=male&sib_sp=0&parch=0"
    assert client.get(f"/predict?{query}").status_code == 200


def test_model_without_imputation_is_refused_at_load(
    serve_folder, titanic_frame: pd.DataFrame, caplog
) -> None:
    """A model that cannot score a missing age is refused at load, with the reason."""
    complete = titanic_frame.dropna(subset=INPUT_FEATURES)
    encode = ColumnTransformer(
        [("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL_INPUTS)],
        remainder=StandardScaler(),
    )
    pipeline = make_pipeline(encode, LogisticRegression()).fit(
        complete[INPUT_FEATURES], complete[TARGET]
    )
    client = serve_folder(pipeline)
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert "NaN" in caplog.text
    refused = client.post("/predict", json=passenger_records(titanic_frame))
    assert refused.status_code == 503


def test_non_survival_classifier_is_refused(
    serve_folder, titanic_frame: pd.DataFrame, caplog
) -> None:
    """A classifier of ticket classes, not survival, is never served."""
    pipeline = fitted_pipeline(titanic_frame, LogisticRegression(), target="pclass")
    client = serve_folder(pipeline)
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert "not a 0/1 classifier" in caplog.text
