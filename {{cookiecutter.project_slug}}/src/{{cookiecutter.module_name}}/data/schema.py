"""The Titanic data's schema: its columns, their kinds and values, and its errors."""

from {{ cookiecutter.module_name }}.errors import CommandError

COLUMN_NAMES = {
    "PassengerId": "passenger_id",
    "Survived": "survived",
    "Pclass": "pclass",
    "Name": "name",
    "Sex": "sex",
    "Age": "age",
    "SibSp": "sib_sp",
    "Parch": "parch",
    "Ticket": "ticket",
    "Fare": "fare",
    "Cabin": "cabin",
    "Embarked": "embarked",
}

EXPECTED_KINDS = {
    "Survived": "integer",
    "Pclass": "integer",
    "Sex": "text",
    "Age": "numeric",
    "SibSp": "numeric",
    "Parch": "numeric",
    "Fare": "numeric",
    "Embarked": "text",
}
# Only training needs the target: scoring data is checked without it.
TARGET_COLUMN = "Survived"

ALLOWED_VALUES = {
    "Survived": (0, 1),
    "Pclass": (1, 2, 3),
    "Sex": ("female", "male"),
}


class DataValidationError(CommandError, ValueError):
    """The input data cannot be used for training or scoring; the message says why."""


class DataAccessError(DataValidationError):
    """A location cannot be reached, read or written: credentials, network, URI."""


class DataNotFoundError(DataAccessError):
    """Nothing exists at the location, or its bucket does not exist."""
