"""The columns the model reads, and the derived features, from the declaration."""

import pandas as pd

from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.features import (
    add_derived_features,
    split_features_target,
)

from tests import declared


def test_split_keeps_only_serving_fields(loaded_frame: pd.DataFrame) -> None:
    """X holds exactly the API's fields: no identifier, no target, no ignored column."""
    features, target = split_features_target(loaded_frame)
    assert list(features.columns) == DATASET.feature_names
    assert target.name == DATASET.target.name
    assert target.tolist() == loaded_frame[DATASET.target.name].tolist()


def test_derived_features_are_added_without_touching_the_input(
    loaded_frame: pd.DataFrame,
) -> None:
    """Each declared derived feature is computed; the caller's frame is left alone."""
    features, _ = split_features_target(loaded_frame)
    derived = add_derived_features(features)
    for feature in DATASET.derived:
        assert derived[feature.name].equals(feature.compute(features))
        assert feature.name not in features.columns
    assert list(derived.columns[: len(features.columns)]) == list(features.columns)


def test_model_columns_come_from_inputs_or_derivation() -> None:
    """Every model column is either received or derived, nothing else."""
    model_columns = set(DATASET.model_numeric) | set(DATASET.model_categorical)
    derived = {feature.name for feature in DATASET.derived}
    assert model_columns == set(DATASET.feature_names) | derived


def test_every_column_of_the_file_is_described() -> None:
    """The declaration lists the whole file: code names unique and usable."""
    names = [column.name for column in (DATASET.target, *DATASET.columns)]
    assert len(names) == len(set(names))
    assert all(name.isidentifier() and name == name.lower() for name in names)
    assert declared.TARGET.classes, "a target without classes cannot be learnt"
