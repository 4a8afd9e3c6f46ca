"""Titanic survival model: load and validate data, train, evaluate and save."""

__version__ = "0.1.0"
