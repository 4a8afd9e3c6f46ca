"""A user's own data in a fresh bake: the files, the infer step, the trained model.

Two datasets unlike the Titanic, written by the tests themselves: penguins
(three text classes, text and numeric columns, missing values, other names)
and sensors (two integer classes, numeric columns only). Each goes through
`dataset infer` alone: nothing else of the bake is edited.
"""

from __future__ import annotations

import csv
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

from bake_runtime import run_in_bake
from conftest import DEFAULT_ANSWERS, Bake, bake_from_command_line

MODULE = "titanic_survival"
# One point of the default forest's grid, on two folds: a real training in seconds.
QUICK_TRAINING = ("--param-grid", '{"n_estimators": 20, "max_depth": 4}')
QUICK_TRAINING += ("--cv-folds", "2")


@dataclass(frozen=True)
class OwnData:
    """A dataset of the user's: its file, what infer needs, what it should write."""

    name: str
    header: list[str]
    rows: list[list[object]]
    target: str
    identifier: str | None
    classes: list[object]
    # The columns infer should take as the model's inputs, by the file's names.
    features: list[str]
    # The code's names infer gives some of the file's columns.
    expected_names: dict[str, str]

    def write(self, path: Path) -> Path:
        """Write the rows as CSV, a missing value as an empty field."""
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.header)
            writer.writerows(
                ["" if value is None else value for value in row] for row in self.rows
            )
        return path

    @property
    def target_name(self) -> str:
        """The target's name in the code."""
        return self.expected_names[self.target]

    @property
    def infer_arguments(self) -> list[str]:
        """The command line that declares this dataset, replacing the Titanic's."""
        arguments = ["--target", self.target, "--force"]
        return arguments + (["--id", self.identifier] if self.identifier else [])


def penguins(rows: int = 240, seed: int = 11) -> OwnData:
    """Three species told apart by their measures and island; some gaps."""
    generator = random.Random(seed)
    species = {
        "Adelie": (38.8, 18.3, 190, 3700, ["Torgersen", "Biscoe", "Dream"]),
        "Chinstrap": (48.8, 18.4, 196, 3730, ["Dream"]),
        "Gentoo": (47.5, 15.0, 217, 5080, ["Biscoe"]),
    }
    table = []
    for number in range(1, rows + 1):
        name = list(species)[number % 3]
        bill, depth, flipper, mass, islands = species[name]
        table.append(
            [
                number,
                generator.choice(islands),
                None if number % 40 == 0 else round(generator.gauss(bill, 2.5), 1),
                round(generator.gauss(depth, 1.0), 1),
                round(generator.gauss(flipper, 6)),
                round(generator.gauss(mass, 400), -1),
                None if number % 25 == 0 else generator.choice(["MALE", "FEMALE"]),
                f"Nest {number}, {generator.choice(['ok', 'eggs', 'chick'])}",
                name,
            ]
        )
    header = [
        "Sample Number",
        "Island",
        "Culmen Length (mm)",
        "Culmen Depth (mm)",
        "Flipper Length (mm)",
        "Body Mass (g)",
        "Sex",
        "Comments",
        "Species",
    ]
    return OwnData(
        name="penguins",
        header=header,
        rows=table,
        target="Species",
        identifier="Sample Number",
        classes=["Adelie", "Chinstrap", "Gentoo"],
        features=header[1:7],
        expected_names={
            "Species": "species",
            "Sample Number": "sample_number",
            "Island": "island",
            "Culmen Length (mm)": "culmen_length_mm",
            "Sex": "sex",
        },
    )


def sensors(rows: int = 200, seed: int = 5) -> OwnData:
    """Two integer classes, a fault or not, from numeric readings only."""
    generator = random.Random(seed)
    table = []
    for _ in range(rows):
        fault = int(generator.random() < 0.4)
        table.append(
            [
                round(generator.gauss(60 + 25 * fault, 8), 2),
                round(generator.gauss(1.2 - 0.4 * fault, 0.2), 3),
                generator.randint(0, 400) + 300 * fault,
                fault,
            ]
        )
    return OwnData(
        name="sensors",
        header=["TempC", "Pressure", "VibrationCount", "Fault"],
        rows=table,
        target="Fault",
        identifier=None,
        classes=[0, 1],
        features=["TempC", "Pressure", "VibrationCount"],
        expected_names={"Fault": "fault", "TempC": "temp_c"},
    )


def store_env(folder: Path) -> dict[str, str]:
    """The environment of every command: one SQLite store, one prediction log."""
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}",
        "PREDICTION_LOG_PATH": str(folder / "predictions.jsonl"),
    }


def train(bake: Bake, data: Path, folder: Path, env: dict[str, str]) -> dict:
    """Train and register with the bake's own main.py; return its metrics report."""
    arguments = ["--data-uri", data, "--model-dir", folder / "models", *QUICK_TRAINING]
    trained = run_in_bake(bake, bake.path / "main.py", *arguments, env=env, cwd=folder)
    assert trained.returncode == 0, trained.stderr
    assert "version 1 is champion" in trained.stderr
    return json.loads((folder / "models" / "metrics.json").read_text())


def bake_with_own_data(folder: Path, data: OwnData) -> tuple[Bake, Path]:
    """Bake the defaults, write the data, and declare it with `dataset infer` alone."""
    baked = bake_from_command_line(folder / "bake", "init_git=false")
    assert baked.returncode == 0, baked.stderr
    (project,) = (folder / "bake").iterdir()
    bake = Bake(project, {**DEFAULT_ANSWERS, "module_name": MODULE})
    path = data.write(folder / f"{data.name}.csv")
    command = ["-m", MODULE, "dataset", "infer", path, *data.infer_arguments]
    inferred = run_in_bake(bake, *command, env=dict(os.environ))
    assert inferred.returncode == 0, inferred.stderr
    assert "Review it before training" in inferred.stderr
    return bake, path
