"""The data command on local files: convert, partition, and its error lines."""

import logging
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }} import (
    cli,
)
from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

from tests import declared
from tests.cli_helpers import only_error, only_error_line, run_command

TARGET = DATASET.target

# The data command, run with python -m.
# The data commands, run as `python -m {{ cookiecutter.module_name }} data ...`.
DATA_COMMAND = ("{{ cookiecutter.module_name }}", "data")

pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_convert_writes_zstd_parquet(data_csv: Path, tmp_path: Path, caplog) -> None:
    """CSV becomes one zstd Parquet file with the same content and types."""
    caplog.set_level(logging.INFO)
    target = tmp_path / "out" / "data.parquet"
    assert cli.main(["data", "convert", str(data_csv), str(target)]) == 0
    metadata = pq.ParquetFile(target).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    size = target.stat().st_size
    assert f"Wrote 200 rows ({size:,} bytes) to {target}" in caplog.text
    csv_frame = load_dataset(str(data_csv))
    pd.testing.assert_frame_equal(load_dataset(str(target)), csv_frame)


def test_partition_writes_typed_hive_folders(
    data_csv: Path, tmp_path: Path, caplog
) -> None:
    """`--by` ignores case; folders are named after the columns; types survive."""
    caplog.set_level(logging.INFO)
    key = declared.listed()
    target = tmp_path / "parts"
    argv = ["partition", str(data_csv), str(target), "--by", key.source.lower()]
    argv += ["--by", TARGET.source.upper()]
    assert cli.main(["data", *argv]) == 0
    expected = load_dataset(str(data_csv))
    value = expected[key.name].dropna().iloc[0]
    first_class = expected[TARGET.name].iloc[0]
    assert any(
        (target / f"{key.source}={value}").glob(f"*={first_class}/part-0.parquet")
    )
    groups = expected.groupby([key.name, TARGET.name], dropna=False).ngroups
    assert f"Wrote 200 rows in {groups} files" in caplog.text
    by_all_columns = list(expected.columns)
    loaded = load_dataset(str(target)).sort_values(by_all_columns, ignore_index=True)
    expected = expected.sort_values(by_all_columns, ignore_index=True)
    pd.testing.assert_frame_equal(loaded, expected)


def test_missing_partition_values_round_trip(
    raw_frame, data_csv: Path, tmp_path: Path
) -> None:
    """A missing value gets Hive's default folder and comes back missing."""
    key = declared.optional()
    target = tmp_path / "by-key"
    argv = ["partition", str(data_csv), str(target), "--by", key.source]
    assert cli.main(["data", *argv]) == 0
    assert (target / f"{key.source}=__HIVE_DEFAULT_PARTITION__").is_dir()
    missing = raw_frame[key.source].isna().sum()
    assert load_dataset(str(target))[key.name].isna().sum() == missing


def test_contradicting_row_fails_and_leaves_nothing(
    raw_frame, write_csv, tmp_path: Path, caplog
) -> None:
    """Types are sniffed on a sample: a later row that breaks them is named."""
    column = declared.numeric()
    frame = pd.concat([raw_frame] * 110, ignore_index=True)
    frame = frame.astype({column.source: object})
    frame.loc[len(frame) - 1, column.source] = "free"
    source = write_csv(frame)
    target = tmp_path / "data.parquet"
    assert cli.main(["data", "convert", str(source), str(target)]) == 2
    message = only_error(caplog)
    assert f"cannot read {str(source)!r}" in message
    assert 'Could not convert string "free"' in message
    assert not target.exists()


def test_partition_refuses_a_folder_with_files(
    data_csv: Path, tmp_path: Path, caplog
) -> None:
    """Writing over an earlier dataset would mix the two: it is refused."""
    target = tmp_path / "parts"
    target.mkdir()
    (target / "old.parquet").write_bytes(b"")
    argv = ["partition", str(data_csv), str(target), "--by", TARGET.source]
    assert cli.main(["data", *argv]) == 2
    assert "already holds files" in only_error(caplog)


def test_partition_names_the_columns_it_knows(data_csv: Path, caplog) -> None:
    """An unknown --by column is named, with the columns that exist."""
    argv = ["partition", str(data_csv), "out", "--by", "nowhere_column"]
    assert cli.main(["data", *argv]) == 2
    message = only_error(caplog)
    assert f"no column 'nowhere_column' in {str(data_csv)!r}" in message
    assert TARGET.source in message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["upload", "data.csv", "copy.csv"], "destination must be an s3://"),
        (["download", "data.csv", "copy.csv"], "source must be an s3://"),
        (["convert", "data.csv", "data.txt"], "ends in .parquet or .pq"),
    ],
)
def test_wrong_arguments_are_refused(
    argv: list[str], message: str, data_csv: Path, caplog
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
