"""The exploration notebook runs from top to bottom on synthetic data."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import FIRST_POINT

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "exploration.ipynb"
CELL_TIMEOUT = 300  # seconds: the imports alone take 10 s on a busy machine


@pytest.mark.usefixtures("isolated_settings")
def test_exploration_notebook_runs_on_synthetic_data(
    data_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every cell runs, reading DATA_URI and the grid from the environment.

    The kernel starts in a notebooks/ folder, as Jupyter starts it, but in an
    empty project folder: a developer's .env stays out of the run.
    """
    monkeypatch.setenv("DATA_URI", str(data_csv))
    monkeypatch.setenv("PARAM_GRID", json.dumps(FIRST_POINT))
    monkeypatch.setenv("CV_FOLDS", "2")
    # One core: the search fits in the kernel, without starting worker
    # processes, which takes half a minute on a busy machine.
    monkeypatch.setenv("LOKY_MAX_CPU_COUNT", "1")
    folder = tmp_path / "project" / "notebooks"
    folder.mkdir(parents=True)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    shown = "".join(
        str(output.get("data", output.get("text", ""))) for output in outputs
    )
    assert "majority_class_accuracy" in shown
    assert sum("image/png" in output.get("data", {}) for output in outputs) == 2
