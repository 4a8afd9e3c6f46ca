"""The declaration's own checks: a dataset.py the code cannot use is refused."""

import re
from dataclasses import replace
from typing import Any

import pytest

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Dataset,
    Derived,
    Identifier,
    Numeric,
    Target,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DeclarationError,
)


def dataset(**changes: Any) -> Dataset:
    """A small valid declaration, with some of its parts replaced."""
    parts: dict[str, Any] = {
        "title": "Shop",
        "row": "order",
        "question": "Will it be returned?",
        "description": "Describe an order.",
        "target": Target("Returned", "returned", classes=("no", "yes")),
        "columns": (
            Identifier("Id", "order_id"),
            Numeric("Amount", "amount", minimum=0, maximum=1_000, missing=True),
            Categorical("Channel", "channel", values=("web", "shop")),
        ),
        "examples": ({"amount": 12.5, "channel": "web"},),
        **changes,
    }
    return Dataset(**parts)


def test_the_project_declaration_is_valid() -> None:
    """dataset.py passes its own checks, and the small example does too."""
    assert DATASET.features
    assert dataset().feature_names == ["amount", "channel"]


def test_derived_views_follow_the_columns() -> None:
    """Lists by kind, the loaded columns, the output columns: all from one place."""
    shop = dataset(derived=(Derived("big", lambda rows: rows["amount"] > 100),))
    assert shop.numeric_inputs == ["amount"]
    assert shop.categorical_inputs == ["channel"]
    assert shop.model_numeric == ["amount", "big"]
    assert shop.source_names == {
        "Id": "order_id",
        "Returned": "returned",
        "Amount": "amount",
        "Channel": "channel",
    }
    assert shop.prediction == "returned_pred"
    assert shop.probabilities == {"no": "probability_no", "yes": "probability_yes"}
    assert shop.kinds_by_source["Channel"] == "text"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"target": Target("Returned", "returned", classes=("yes",))},
            "needs two classes or more",
        ),
        (
            {"target": Target("Returned", "returned", classes=(0, "1"))},
            "distinct values of one type",
        ),
        (
            {"columns": (Numeric("Amount", "amount", minimum=5, maximum=1),)},
            "minimum 5 above maximum 1",
        ),
        (
            {"columns": (Categorical("Channel", "channel", values=("web", "web")),)},
            "distinct values of one type",
        ),
        (
            # A mistake mypy would catch too, but dataset.py is not always checked.
            {"columns": (Categorical("C", "c", values=(1.5, 2.5)),)},  # type: ignore[arg-type]
            "declare it Numeric",
        ),
        (
            {"columns": (Numeric("Amount", "Amount €"),)},
            "must be snake_case",
        ),
        (
            {"columns": (Numeric("Amount", "timestamp"),)},
            "taken by the prediction log",
        ),
        (
            {"columns": (Numeric("Amount", "model_year"),)},
            "taken by the prediction log",
        ),
        (
            {"columns": (Numeric("Amount", "json"),)},
            "a method of every API model",
        ),
        (
            {"columns": (Numeric("A", "amount"), Numeric("B", "amount"))},
            "declares the name 'amount' twice",
        ),
        (
            {"columns": (Numeric("Amount", "returned_pred"),)},
            "is where the predicted returned goes",
        ),
        (
            {"columns": (Identifier("Id", "order_id"),)},
            "declares no Numeric or Categorical feature",
        ),
        ({"examples": ()}, "declares no example"),
        ({"examples": ({"amount": 1, "colour": "red"},)}, "unknown inputs ['colour']"),
        ({"examples": ({"amount": 2_000, "channel": "web"},)}, "amount=2000"),
        ({"examples": ({"amount": 1},)}, "channel=None"),
        ({"examples": ({"amount": 1, "channel": "fax"},)}, "channel='fax'"),
    ],
)
def test_unusable_declarations_are_refused(changes: dict, message: str) -> None:
    """Each mistake is named in one line, with the column or example at fault.

    Columns are checked before examples: a broken column is named first.
    """
    with pytest.raises(DeclarationError, match=re.escape(message)) as caught:
        dataset(**changes)
    assert "\n" not in str(caught.value)


def test_a_missing_value_is_allowed_only_where_declared() -> None:
    """An example may leave out a feature that may be missing, not another one."""
    shop = dataset(examples=({"channel": "shop"},))
    assert shop.examples[0] == {"channel": "shop"}
    with pytest.raises(DeclarationError, match="channel=None"):
        replace(shop, examples=({"amount": 3.0},))


def test_booleans_are_not_integers() -> None:
    """Python counts True as 1: a boolean example is refused for integer categories."""
    column = Categorical("Level", "level", values=(1, 2))
    with pytest.raises(DeclarationError, match="level=True"):
        dataset(columns=(column,), examples=({"level": True},))
