"""The model: the estimator and the hyperparameters its search tries.

This is the one file to edit to change the model. Replace the estimator by any
scikit-learn classifier and SEARCH_SPACE by its own grid: training, the
registry, the API, batch scoring, monitoring and the tests follow unchanged.
PARAM_GRID (a JSON object, in the environment or as --param-grid) overrides
SEARCH_SPACE for one run without editing anything.
"""

from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier

# Each list is tried by cross-validated grid search, every combination once.
SEARCH_SPACE: dict[str, list] = {
    "n_estimators": [100, 200],
    "max_depth": [4, 6, 8],
}


def build_estimator(random_state: int) -> ClassifierMixin:
    """The classifier ending the pipeline, seeded so a training can be repeated."""
    return RandomForestClassifier(random_state=random_state)
