"""The API image's requirements stay a true subset of the project's."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The serving image takes the MLflow client alone; the project, the full MLflow.
SAME_PROJECT = {"mlflow-skinny": "mlflow"}
REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9_.-]+)(?:\[[^]]*\])?(?P<range>.*)")


def requirements(name: str) -> dict[str, str]:
    """Map each package of a requirements file to its version range."""
    lines = (ROOT / name).read_text().splitlines()
    matches = (REQUIREMENT.fullmatch(line.strip()) for line in lines)
    return {
        match["name"].lower(): match["range"].strip()
        for match in matches
        if match and not match.string.startswith(("#", "-"))
    }


def test_every_api_requirement_has_the_project_range() -> None:
    """A version bump in one file only would let the image drift from the tests."""
    project = requirements("requirements.txt")
    api = requirements("requirements-api.txt")
    assert api
    for name, version_range in api.items():
        assert project.get(SAME_PROJECT.get(name, name)) == version_range, name


def test_the_api_image_leaves_training_libraries_out() -> None:
    """The serving image stays small only without the training stack."""
    assert {"duckdb", "pyarrow", "matplotlib", "mlflow"}.isdisjoint(
        requirements("requirements-api.txt")
    )
