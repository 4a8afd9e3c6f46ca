"""The data command on local files: convert, partition, and its error lines."""

import logging
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.data.load import load_titanic

from tests.cli_helpers import only_error, only_error_line, run_command

# The data command, run with python -m.
# The data commands, run as `python -m {{ cookiecutter.module_name }} data ...`.
DATA_COMMAND = ("{{ cookiecutter.module_name }}", "data")

pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_convert_writes_zstd_parquet(titanic_csv: Path, tmp_path: Path, caplog) -> None:
    """CSV becomes one zstd Parquet file with the same content and types."""
    caplog.set_level(logging.INFO)
    target = tmp_path / "out" / "titanic.parquet"
    assert cli.main(["data", "convert", str(titanic_csv), str(target)]) == 0
    metadata = pq.ParquetFile(target).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    size = target.stat().st_size
    assert f"Wrote 200 rows ({size:,} bytes) to {target}" in caplog.text
    csv_frame = load_titanic(str(titanic_csv))
    pd.testing.assert_frame_equal(load_titanic(str(target)), csv_frame)


def test_partition_writes_typed_hive_folders(
    titanic_csv: Path, tmp_path: Path, caplog
) -> None:
    """`--by` ignores case; folders are named after the columns; types survive."""
    caplog.set_level(logging.INFO)
    target = tmp_path / "titanic"
    argv = ["partition", str(titanic_csv), str(target), "--by", "pclass", "--by", "SEX"]
    assert cli.main(["data", *argv]) == 0
    assert (target / "Pclass=1" / "Sex=female" / "part-0.parquet").exists()
    assert "Wrote 200 rows in 6 files" in caplog.text
    loaded = load_titanic(str(target)).sort_values("passenger_id", ignore_index=True)
    pd.testing.assert_frame_equal(loaded, load_titanic(str(titanic_csv)))


def test_missing_partition_values_round_trip(titanic_csv: Path, tmp_path: Path) -> None:
    """A missing Embarked gets Hive's default folder and comes back missing."""
    target = tmp_path / "by-port"
    argv = ["partition", str(titanic_csv), str(target), "--by", "embarked"]
    assert cli.main(["data", *argv]) == 0
    assert (target / "Embarked=__HIVE_DEFAULT_PARTITION__").is_dir()
    assert load_titanic(str(target))["embarked"].isna().sum() == 2


def test_contradicting_row_fails_and_leaves_nothing(
    raw_frame, write_csv, tmp_path: Path, caplog
) -> None:
    """Types are sniffed on a sample: a later row that breaks them is named."""
    frame = pd.concat([raw_frame] * 110, ignore_index=True).astype({"Fare": object})
    frame.loc[len(frame) - 1, "Fare"] = "free"
    source = write_csv(frame)
    target = tmp_path / "titanic.parquet"
    assert cli.main(["data", "convert", str(source), str(target)]) == 2
    message = only_error(caplog)
    assert f"cannot read {str(source)!r}" in message
    assert 'Could not convert string "free"' in message
    assert not target.exists()


def test_partition_refuses_a_folder_with_files(
    titanic_csv: Path, tmp_path: Path, caplog
) -> None:
    """Writing over an earlier dataset would mix the two: it is refused."""
    target = tmp_path / "titanic"
    target.mkdir()
    (target / "old.parquet").write_bytes(b"")
    argv = ["partition", str(titanic_csv), str(target), "--by", "pclass"]
    assert cli.main(["data", *argv]) == 2
    assert "already holds files" in only_error(caplog)


def test_partition_names_the_columns_it_knows(titanic_csv: Path, caplog) -> None:
    """An unknown --by column is named, with the columns that exist."""
    argv = ["partition", str(titanic_csv), "out", "--by", "deck"]
    assert cli.main(["data", *argv]) == 2
    message = only_error(caplog)
    assert f"no column 'deck' in {str(titanic_csv)!r}" in message
    assert "Pclass" in message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["upload", "titanic.csv", "copy.csv"], "destination must be an s3://"),
        (["download", "titanic.csv", "copy.csv"], "source must be an s3://"),
        (["convert", "titanic.csv", "titanic.txt"], "ends in .parquet or .pq"),
    ],
)
def test_wrong_arguments_are_refused(
    argv: list[str], message: str, titanic_csv: Path, caplog
) -> None:
    """Wrong directions and file names fail before anything is read."""
    assert cli.main(["data", *argv]) == 2
    assert message in only_error(caplog)


def test_command_line_failure_has_no_traceback(tmp_path: Path) -> None:
    """The data command on a missing file: exit 2, one line."""
    argv = ["-m", *DATA_COMMAND, "convert", "nowhere.csv", "out.parquet"]
    error = only_error_line(run_command(*argv, cwd=tmp_path), exit_code=2)
    assert "Convert failed: cannot read 'nowhere.csv'" in error
    assert not (tmp_path / "out.parquet").exists()
