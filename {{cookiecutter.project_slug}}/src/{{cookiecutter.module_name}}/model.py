"""The scikit-learn pipeline and the search for its best hyperparameters."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from {{ cookiecutter.module_name }}.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    add_derived_features,
)


def build_pipeline(random_state: int) -> Pipeline:
    """Bundle preprocessing with the classifier so serving reuses the same steps."""
    preprocess = ColumnTransformer(
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
        [
            ("derive", FunctionTransformer(add_derived_features)),
            ("preprocess", preprocess),
            ("classifier", RandomForestClassifier(random_state=random_state)),
        ]
    )


def search_best_model(
    features: pd.DataFrame,
    target: pd.Series,
    n_trees: list[int],
    max_depth: list[int],
    cv_folds: int,
    scoring: str,
    random_state: int,
) -> GridSearchCV:
    """Pick the forest size and depth by stratified cross-validation, then refit."""
    search = GridSearchCV(
        build_pipeline(random_state),
        param_grid={
            "classifier__n_estimators": n_trees,
            "classifier__max_depth": max_depth,
        },
        scoring=scoring,
        cv=StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=random_state),
        n_jobs=-1,
    )
    return search.fit(features, target)
