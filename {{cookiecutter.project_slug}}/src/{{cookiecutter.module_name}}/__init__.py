"""The project's model: validate data, train, evaluate, save, track and score."""

__version__ = "0.1.0"
