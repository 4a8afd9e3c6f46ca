"""Training: settings, the grid search, evaluation, and tracking in MLflow."""
