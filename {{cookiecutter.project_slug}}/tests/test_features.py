"""Feature selection and derived features."""

import pandas as pd

from {{ cookiecutter.module_name }}.features import (
    CATEGORICAL_FEATURES,
    INPUT_FEATURES,
    NUMERIC_FEATURES,
    TARGET,
    add_derived_features,
    split_features_target,
)


def test_split_keeps_only_serving_fields(titanic_frame: pd.DataFrame) -> None:
    """X holds exactly the API fields; identifiers and free text are dropped."""
    features, target = split_features_target(titanic_frame)
    assert list(features.columns) == INPUT_FEATURES
    assert not {"name", "ticket", "cabin", "passenger_id"} & set(features.columns)
    assert target.name == TARGET
    assert target.tolist() == titanic_frame["survived"].tolist()


def test_family_size_counts_the_passenger() -> None:
    """family_size is siblings/spouses plus parents/children plus oneself."""
    frame = pd.DataFrame({"sib_sp": [0, 1, 3], "parch": [0, 2, 1]})
    derived = add_derived_features(frame)
    assert derived["family_size"].tolist() == [1, 4, 5]
    assert "family_size" not in frame.columns


def test_model_columns_come_from_inputs_or_derivation() -> None:
    """Every model column is either received or derived, nothing else."""
    model_columns = set(NUMERIC_FEATURES) | set(CATEGORICAL_FEATURES)
    assert model_columns == set(INPUT_FEATURES) | {"family_size"}
