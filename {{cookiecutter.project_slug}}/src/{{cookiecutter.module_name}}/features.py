"""Which columns the model sees and writes, and how they are prepared for it."""

from typing import NamedTuple

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

TARGET = "survived"
INPUT_FEATURES = ["pclass", "sex", "age", "sib_sp", "parch", "fare", "embarked"]
NUMERIC_FEATURES = ["age", "fare", "sib_sp", "parch", "family_size"]
CATEGORICAL_FEATURES = ["pclass", "sex", "embarked"]
# The inputs as received, by kind: what schemas and drift monitoring look at.
NUMERIC_INPUTS = [column for column in INPUT_FEATURES if column in NUMERIC_FEATURES]
CATEGORICAL_INPUTS = [
    column for column in INPUT_FEATURES if column in CATEGORICAL_FEATURES
]
# The columns of every scored row, in batch files and in the API's prediction log.
PREDICTION = "survived_pred"
PROBABILITY = "survival_probability"


def add_derived_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Add family_size, a stronger survival signal than sib_sp or parch alone."""
    return frame.assign(family_size=frame["sib_sp"] + frame["parch"] + 1)


def build_preprocessing() -> Pipeline:
    """Derive, impute, scale and encode: the steps every estimator receives."""
    columns = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                NUMERIC_FEATURES,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                CATEGORICAL_FEATURES,
            ),
        ]
    )
    return Pipeline(
        [("derive", FunctionTransformer(add_derived_features)), ("preprocess", columns)]
    )


def split_features_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Keep only the fields a serving API receives, so training matches serving."""
    return frame[INPUT_FEATURES], frame[TARGET]


class DataSplit(NamedTuple):
    """Train and test rows, in the order train_test_split returns them."""

    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
