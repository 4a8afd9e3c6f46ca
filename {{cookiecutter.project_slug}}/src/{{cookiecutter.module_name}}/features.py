"""How the declared columns are prepared for the model, and split for training."""

from typing import NamedTuple

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)


def add_derived_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Compute the declared derived features, inside the pipeline wherever it runs."""
    return frame.assign(
        **{derived.name: derived.compute for derived in DATASET.derived}
    )


def build_preprocessing() -> Pipeline:
    """Derive, impute, scale and encode: the steps every estimator receives."""
    columns = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                DATASET.model_numeric,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                DATASET.model_categorical,
            ),
        ]
    )
    return Pipeline(
        [("derive", FunctionTransformer(add_derived_features)), ("preprocess", columns)]
    )


def split_features_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Keep only the fields a serving API receives, so training matches serving."""
    return frame[DATASET.feature_names], frame[DATASET.target.name]


class DataSplit(NamedTuple):
    """Train and test rows, in the order train_test_split returns them."""

    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
