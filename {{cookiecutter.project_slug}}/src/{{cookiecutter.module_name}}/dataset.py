"""THE DATA: each column of the Kaggle Titanic file, the target and its classes.

This is the one file to edit for other data: the command line's `dataset infer
DATA --target COLUMN --force` writes it from your own file, for you to review.
Training, the API and its demo page, batch and Spark scoring, monitoring and the
tests take their columns, rules and examples from DATASET below.
"""

import pandas as pd

from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Dataset,
    Derived,
    Identifier,
    Ignored,
    Numeric,
    Target,
)


def family_size(rows: pd.DataFrame) -> pd.Series:
    """Count the passenger and their relatives: a stronger signal than either count."""
    return rows["sib_sp"] + rows["parch"] + 1


DATASET = Dataset(
    title="Titanic survival",
    row="passenger",
    question="Would Jake have survived?",
    description=(
        "Describe a passenger of the Titanic and ask the model this API serves. "
        "The form starts with Jake: twenty, travelling alone in third class from "
        "Southampton."
    ),
    target=Target(
        "Survived",
        "survived",
        classes=(0, 1),
        labels={0: "Did not survive", 1: "Survived"},
        description="Whether the passenger survived the sinking.",
    ),
    columns=(
        Identifier(
            "PassengerId",
            "passenger_id",
            description="Your identifier, echoed back and logged.",
        ),
        Categorical(
            "Pclass",
            "pclass",
            values=(1, 2, 3),
            labels={1: "1st class", 2: "2nd class", 3: "3rd class"},
            description="Class",
        ),
        Ignored("Name", "name", description="Free text, read by no one."),
        Categorical(
            "Sex",
            "sex",
            values=("female", "male"),
            labels={"female": "Female", "male": "Male"},
            description="Sex",
        ),
        Numeric(
            "Age",
            "age",
            minimum=0,
            maximum=120,
            missing=True,
            description="Age in years",
        ),
        Numeric(
            "SibSp",
            "sib_sp",
            minimum=0,
            maximum=20,
            integer=True,
            description="Siblings and spouses aboard",
        ),
        Numeric(
            "Parch",
            "parch",
            minimum=0,
            maximum=20,
            integer=True,
            description="Parents and children aboard",
        ),
        Ignored("Ticket", "ticket", description="Ticket number, read by no one."),
        Numeric(
            "Fare",
            "fare",
            minimum=0,
            maximum=10_000,
            missing=True,
            description="Fare in pounds",
        ),
        Ignored("Cabin", "cabin", description="Cabin number, mostly missing."),
        Categorical(
            "Embarked",
            "embarked",
            values=("C", "Q", "S"),
            labels={"C": "Cherbourg", "Q": "Queenstown", "S": "Southampton"},
            missing=True,
            description="Port of embarkation",
        ),
    ),
    derived=(
        Derived(
            "family_size",
            family_size,
            description="sib_sp + parch + 1: the size of the group aboard.",
        ),
    ),
    # The first example starts the demo form; all of them document the API and
    # check every model as it loads: varied classes, ports, missing values.
    examples=(
        {
            "pclass": 3,
            "sex": "male",
            "age": 20.0,
            "sib_sp": 0,
            "parch": 0,
            "fare": 8.05,
            "embarked": "S",
        },
        {"pclass": 1, "sex": "male", "age": None, "sib_sp": 1, "parch": 0},
        {
            "pclass": 2,
            "sex": "female",
            "age": 4.0,
            "sib_sp": 1,
            "parch": 1,
            "fare": 23.0,
            "embarked": "C",
        },
    ),
)
