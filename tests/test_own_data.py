"""Another dataset than the Titanic: `dataset infer`, then the whole chain, unedited.

What a group of students does with its own public data: bake, point the
project at the file, let infer write the declaration, and expect training,
the registry, the API, batch scoring, monitoring and the project's own tests
to work as they do on the Titanic, with two classes or three.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bake_runtime import post_json, run_in_bake, running_server, uvicorn_command
from conftest import DEFAULT_ANSWERS, MATRIX, Bake, require_python, venv_python
from own_data import (
    MODULE,
    QUICK_TRAINING,
    OwnData,
    bake_with_own_data,
    penguins,
    sensors,
    store_env,
    train,
)


def get_json(url: str) -> dict:
    """GET a URL and decode its JSON answer."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def check_batch_scores(
    bake: Bake, data: OwnData, path: Path, folder: Path, env: dict[str, str]
) -> None:
    """Every row scored: the declared class and one probability per class."""
    output = folder / "scores.parquet"
    arguments = ["-m", MODULE, "score", "--input", path, "--output", output]
    scored = run_in_bake(bake, *arguments, env=env, cwd=folder)
    assert scored.returncode == 0, scored.stderr
    scores = read_parquet(venv_python(bake), output)
    prediction = f"{data.target_name}_pred"
    probabilities = [f"probability_{value}" for value in data.classes]
    assert list(scores)[-1 - len(data.classes) :] == [prediction, *probabilities]
    assert len(scores[prediction]) == len(data.rows)
    assert set(scores[prediction]) <= set(data.classes)
    for row in zip(*(scores[column] for column in probabilities), strict=True):
        assert abs(sum(row) - 1) < 1e-9


def read_parquet(python: Path, path: Path) -> dict[str, list]:
    """Read Parquet (a file or a folder) with a bake's pyarrow: columns, in order."""
    script = (
        "import json, sys, pyarrow.parquet as pq; "
        "print(json.dumps(pq.read_table(sys.argv[1]).to_pydict()))"
    )
    read = subprocess.run(
        [str(python), "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert read.returncode == 0, read.stderr
    return json.loads(read.stdout)


def request_rows(data: OwnData, count: int) -> list[dict]:
    """Rows as a client sends them, under the file's names, which the API accepts."""
    sent = [*data.features, *([data.identifier] if data.identifier else [])]
    positions = [data.header.index(name) for name in sent]
    return [
        {name: row[position] for name, position in zip(sent, positions, strict=True)}
        for row in data.rows[:count]
    ]


def check_answer(answer: dict, data: OwnData, rows: int) -> None:
    """A declared class per row, and every class's probability, summing to one."""
    assert len(answer["predictions"]) == rows
    keys = {str(value) for value in data.classes}
    for prediction in answer["predictions"]:
        assert prediction[data.target_name] in data.classes
        assert set(prediction["probabilities"]) == keys
        assert abs(sum(prediction["probabilities"].values()) - 1) < 1e-9


def check_api(api: str, data: OwnData) -> None:
    """One row from the schema's example, many from the file, one from a query."""
    schema = get_json(f"{api}/openapi.json")
    reference = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    row_name = reference["application/json"]["schema"]["oneOf"][0]["$ref"]
    row = schema["components"]["schemas"][row_name.rsplit("/", 1)[1]]
    names = {data.expected_names.get(source) for source in data.features}
    assert names - {None} <= set(row["properties"])
    assert len(row["properties"]) == len(data.features) + bool(data.identifier)
    example = row["examples"][0]
    check_answer(post_json(f"{api}/predict", example), data, 1)
    check_answer(post_json(f"{api}/predict", request_rows(data, 50)), data, 50)
    query = urllib.parse.urlencode({k: v for k, v in example.items() if v is not None})
    check_answer(get_json(f"{api}/predict?{query}"), data, 1)
    metrics = urllib.request.urlopen(f"{api}/metrics", timeout=30).read().decode()
    for value in data.classes:
        assert f'predictions_total{{{data.target_name}="{value}"}}' in metrics


def check_drift_report(
    bake: Bake, data: OwnData, folder: Path, env: dict[str, str]
) -> None:
    """The report reads the API's log and compares each class's share."""
    arguments = ["-m", MODULE, "monitor", "report", "--monitoring-report-dir"]
    reported = run_in_bake(bake, *arguments, folder / "reports", env=env, cwd=folder)
    assert reported.returncode in (0, 4), reported.stderr
    summary = json.loads((folder / "reports" / "drift_summary.json").read_text())
    assert summary["predictions"] == 52
    assert len(summary["prediction"]["classes"]) == len(data.classes)
    assert {item["feature"] for item in summary["features"]} >= {
        data.expected_names[source]
        for source in data.features
        if source in data.expected_names
    }


def check_baked_suite(bake: Bake, env: dict[str, str]) -> None:
    """The project's own tests pass on the new declaration, as `uv run pytest`."""
    tested = subprocess.run(
        ["uv", "run", "--frozen", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=bake.path,
        capture_output=True,
        text=True,
        env={key: value for key, value in env.items() if key != "VIRTUAL_ENV"},
        check=False,
    )
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr
    assert " passed" in tested.stdout


@pytest.mark.slow
@pytest.mark.parametrize("make_data", [penguins, sensors], ids=["penguins", "sensors"])
def test_own_data_goes_through_the_whole_chain(make_data, tmp_path: Path) -> None:
    """Infer alone declares the data; training, serving, scoring, monitoring follow."""
    require_python(str(DEFAULT_ANSWERS["python_version"]))
    data = make_data()
    bake, path = bake_with_own_data(tmp_path, data)
    env = store_env(tmp_path)
    metrics = train(bake, path, tmp_path, env)["metrics"]
    assert len(metrics["confusion_matrix"]) == len(data.classes)
    assert metrics["accuracy"] > 1 / len(data.classes)
    check_batch_scores(bake, data, path, tmp_path, env)
    with running_server(
        uvicorn_command(bake), tmp_path / "api.log", "/ready", cwd=bake.path, env=env
    ) as api:
        check_api(api, data)
    check_drift_report(bake, data, tmp_path, env)
    check_baked_suite(bake, env)


def spark_bake_answers() -> dict[str, object]:
    """The bake whose suite runs the Spark tests: Spark, and no API."""
    return next(row for row in MATRIX if row["spark"] and not row["include_api"])


def run_with(python: Path, *args: object, env: dict[str, str], cwd: Path):
    """Run a command with a bake's venv Python, returning its result."""
    return subprocess.run(
        [str(python), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_spark_jobs_follow_an_inferred_declaration(bakery, tmp_path: Path) -> None:
    """In a Spark bake, prepare and score run on penguins once infer declared them.

    The shared bake stays as it is: a copy of its package, first on PYTHONPATH,
    takes the new declaration, for the commands and for Spark's workers alike.
    """
    bake = bakery.bake(spark_bake_answers())
    python = bakery.python(bake)
    module = str(bake.context["module_name"])
    shutil.copytree(bake.path / "src", tmp_path / "src")
    env = {**store_env(tmp_path), "PYTHONPATH": str(tmp_path / "src")}
    data = penguins()
    path = data.write(tmp_path / "penguins.csv")
    declare = ["-m", module, "dataset", "infer", path, *data.infer_arguments]
    inferred = run_with(python, *declare, env=env, cwd=tmp_path)
    assert inferred.returncode == 0, inferred.stderr
    assert (
        "Culmen Length (mm)" in (tmp_path / "src" / module / "dataset.py").read_text()
    )
    assert "Culmen" not in (bake.path / "src" / module / "dataset.py").read_text()
    arguments = [
        "--data-uri",
        path,
        "--model-dir",
        tmp_path / "models",
        *QUICK_TRAINING,
    ]
    trained = run_with(python, bake.path / "main.py", *arguments, env=env, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    spark = ["-m", module, "spark"]
    prepared = run_with(
        python,
        *spark,
        "prepare",
        path,
        tmp_path / "parts",
        "--by",
        data.target,
        env=env,
        cwd=tmp_path,
    )
    assert prepared.returncode == 0, prepared.stderr
    assert {p.name for p in (tmp_path / "parts").iterdir() if p.is_dir()} == {
        f"{data.target}={value}" for value in data.classes
    }
    scored = run_with(
        python,
        *spark,
        "score",
        "--input",
        path,
        "--output",
        tmp_path / "scores",
        env=env,
        cwd=tmp_path,
    )
    assert scored.returncode == 0, scored.stderr
    scores = read_parquet(python, tmp_path / "scores")
    assert len(scores[f"{data.target_name}_pred"]) == len(data.rows)
    assert set(scores[f"{data.target_name}_pred"]) <= set(data.classes)
