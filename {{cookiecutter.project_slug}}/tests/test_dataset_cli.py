"""`dataset infer` writes a declaration from a file; `dataset synthetic` writes rows."""

import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import (
    cli,
    dataset,
)
from {{ cookiecutter.module_name }}.data.declaration import (
    Categorical,
    Dataset,
    Identifier,
    Ignored,
    Numeric,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from tests.cli_helpers import PROJECT_ROOT, only_error, only_error_line, run_command

pytestmark = pytest.mark.usefixtures("isolated_settings")

TARGET = DATASET.target
ROWS = 60


def infer(*argv: str) -> int:
    """Run `dataset infer` as the console script would."""
    return cli.main(["dataset", "infer", *argv])


def declaration_at(path: Path) -> Dataset:
    """Import a written dataset.py on its own and return its DATASET."""
    spec = importlib.util.spec_from_file_location("written_dataset", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DATASET


@pytest.fixture
def shop_csv(tmp_path: Path) -> Path:
    """A file of another dataset: every kind of column infer tells apart."""
    rng = np.random.default_rng(0)
    amount = rng.uniform(5, 250, ROWS).round(2)
    amount[3] = np.nan
    channel = np.array(["web", "shop", "phone"] * (ROWS // 3), dtype=object)
    channel[4] = None
    frame = pd.DataFrame(
        {
            "Order Id": np.arange(1, ROWS + 1),
            "Amount (EUR)": amount,
            "Level": np.tile([1, 2, 3], ROWS // 3),
            "Items": rng.integers(0, 40, ROWS),
            "Channel": channel,
            "Note": [f"note {i}" for i in range(ROWS)],
            "Constant": 7,
            "When": pd.date_range("2026-01-01", periods=ROWS, freq="D"),
            "Gift": np.tile([True, False], ROWS // 2),
            "Outcome": np.tile(["kept", "returned", "swapped"], ROWS // 3),
        }
    )
    path = tmp_path / "shop.csv"
    frame.to_csv(path, index=False)
    return path


def test_infer_tells_each_kind_of_column_apart(
    shop_csv: Path, tmp_path: Path, caplog
) -> None:
    """Numbers, codes, categories, free text, constants, dates and the target."""
    caplog.set_level(logging.INFO)
    output = tmp_path / "dataset.py"
    argv = [str(shop_csv), "--target", "Outcome", "--id", "Order Id"]
    assert infer(*argv, "--output", str(output)) == 0
    shop = declaration_at(output)
    kinds = {column.source: column for column in shop.columns}
    assert shop.target.classes == ("kept", "returned", "swapped")
    assert isinstance(kinds["Order Id"], Identifier) and kinds["Order Id"].integer
    amount = kinds["Amount (EUR)"]
    assert isinstance(amount, Numeric) and amount.missing and not amount.integer
    assert amount.name == "amount_eur"
    assert amount.minimum == 0 and amount.maximum is not None and amount.maximum > 250
    assert isinstance(kinds["Level"], Categorical) and kinds["Level"].values == (
        1,
        2,
        3,
    )
    items = kinds["Items"]
    assert isinstance(items, Numeric) and items.integer and not items.missing
    channel = kinds["Channel"]
    assert isinstance(channel, Categorical) and channel.missing
    assert channel.values == ("phone", "shop", "web")
    assert isinstance(kinds["Gift"], Categorical)
    assert kinds["Gift"].values == (False, True)
    for ignored in ("Note", "Constant", "When"):
        assert isinstance(kinds[ignored], Ignored), ignored
    assert len(shop.examples) == 3
    assert "Review it before training" in caplog.text


def test_the_written_declaration_trains(shop_csv: Path, tmp_path: Path) -> None:
    """The guesses are a declaration the loader accepts on the very file."""
    output = tmp_path / "dataset.py"
    assert infer(str(shop_csv), "--target", "Outcome", "--output", str(output)) == 0
    shop = declaration_at(output)
    assert isinstance(
        next(c for c in shop.columns if c.source == "Order Id"), Ignored
    ), "a unique integer column not named by --id is left out, with a hint"
    assert "Pass it as --id" in output.read_text()


def test_written_file_is_lint_clean(shop_csv: Path, tmp_path: Path) -> None:
    """Ruff and black, with the project's settings, accept the file as written."""
    output = tmp_path / "dataset.py"
    assert infer(str(shop_csv), "--target", "Outcome", "--output", str(output)) == 0
    config = str(PROJECT_ROOT / "pyproject.toml")
    for tool in (
        ["ruff", "check", "--no-cache", "--config", config],
        ["black", "--check", "--config", config],
    ):
        completed = subprocess.run(
            [sys.executable, "-m", *tool, str(output)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_infer_on_the_projects_own_rows_finds_its_target(
    data_csv: Path, tmp_path: Path
) -> None:
    """Rows drawn from dataset.py give back its target, classes and columns."""
    output = tmp_path / "dataset.py"
    argv = [str(data_csv), "--target", TARGET.source, "--output", str(output)]
    if DATASET.identifier:
        argv += ["--id", DATASET.identifier.source]
    assert infer(*argv) == 0
    written = declaration_at(output)
    assert written.target.name == TARGET.name
    assert set(written.target.classes) == set(TARGET.classes)
    assert [c.source for c in written.columns] == [c.source for c in DATASET.columns]
    assert written.source_names.get(TARGET.source) == TARGET.name


def test_existing_declaration_needs_force(
    shop_csv: Path, tmp_path: Path, caplog
) -> None:
    """Nothing is overwritten without --force; with it, the file is replaced."""
    output = tmp_path / "dataset.py"
    output.write_text("# mine\n")
    argv = [str(shop_csv), "--target", "Outcome", "--output", str(output)]
    assert infer(*argv) == 2
    assert "pass --force to replace it" in only_error(caplog)
    assert output.read_text() == "# mine\n"
    assert infer(*argv, "--force") == 0
    assert "DATASET = Dataset(" in output.read_text()


def test_the_default_output_is_the_packages_declaration() -> None:
    """Without --output, infer writes the file the package imports."""
    assert cli.declaration_path() == Path(dataset.__file__)


def spoil_target(frame: pd.DataFrame, how: str) -> pd.DataFrame:
    """Make the target unusable in one of the ways infer must refuse."""
    target = frame["Outcome"].astype(object)
    if how == "constant":
        target[:] = "kept"
    elif how == "rare":
        target[:2] = "lost"
    elif how == "missing":
        target[5] = None
    else:
        target = pd.Series(np.linspace(0, 1, len(frame)))
    return frame.assign(Outcome=target)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("constant", "is constant"),
        ("rare", "too few rows of class(es) {'lost': 2}"),
        ("missing", "is missing in 1 rows"),
        ("decimal", "holds DOUBLE values: classes must be"),
    ],
)
def test_unusable_target_is_refused(
    shop_csv: Path, tmp_path: Path, how: str, message: str, caplog
) -> None:
    """Each target a classifier cannot learn: one line, and no file written."""
    spoilt = tmp_path / "spoilt.csv"
    spoil_target(pd.read_csv(shop_csv), how).to_csv(spoilt, index=False)
    output = tmp_path / "dataset.py"
    assert infer(str(spoilt), "--target", "Outcome", "--output", str(output)) == 2
    assert message in only_error(caplog)
    assert not output.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "Nope"], "no column 'Nope' (target)"),
        (["--target", "Outcome", "--id", "Nope"], "no column 'Nope' (--id)"),
        (["--target", "Outcome", "--id", "When"], "an identifier holds integers"),
    ],
)
def test_unknown_columns_are_refused(
    shop_csv: Path, tmp_path: Path, argv: list[str], message: str, caplog
) -> None:
    """A misspelt column is named, with the columns the file has."""
    output = tmp_path / "dataset.py"
    assert infer(str(shop_csv), *argv, "--output", str(output)) == 2
    assert message in only_error(caplog)
    assert not output.exists()


def test_infer_failure_has_no_traceback(tmp_path: Path) -> None:
    """Run as `python -m`: a missing file is one line and exit code 2."""
    argv = ["-m", "{{ cookiecutter.module_name }}", "dataset", "infer", "nowhere.csv"]
    completed = run_command(*argv, "--target", "x", cwd=tmp_path)
    assert "cannot read 'nowhere.csv'" in only_error_line(completed, exit_code=2)


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet"])
def test_synthetic_rows_pass_the_loader(tmp_path: Path, name: str) -> None:
    """Made-up rows follow every rule of dataset.py, in CSV or Parquet."""
    output = tmp_path / name
    argv = ["dataset", "synthetic", str(output), "--rows", "150", "--seed", "4"]
    assert cli.main(argv) == 0
    frame = load_dataset(str(output))
    assert len(frame) == 150
    assert set(frame[TARGET.name]) == set(TARGET.classes)


def test_synthetic_rows_repeat_with_their_seed(tmp_path: Path) -> None:
    """The same seed writes the same file: tests and benchmarks can rely on it."""
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path in paths:
        assert cli.main(["dataset", "synthetic", str(path), "--seed", "9"]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
