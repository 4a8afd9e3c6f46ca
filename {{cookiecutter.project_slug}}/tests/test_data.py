"""Loading through DuckDB: formats, renaming, and the validation messages."""

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }}.data.load import load_titanic
from {{ cookiecutter.module_name }}.errors import DataNotFoundError, DataValidationError
from {{ cookiecutter.module_name }}.data.schema import COLUMN_NAMES


def test_csv_loads_with_snake_case_names(titanic_csv: Path, raw_frame) -> None:
    """A Kaggle CSV comes back whole, renamed, with the right dtypes."""
    frame = load_titanic(str(titanic_csv))
    assert list(frame.columns) == list(COLUMN_NAMES.values())
    assert len(frame) == len(raw_frame)
    assert frame["survived"].tolist() == raw_frame["Survived"].tolist()
    assert frame["age"].isna().sum() == raw_frame["Age"].isna().sum()
    assert frame["embarked"].isna().sum() == 2


def test_parquet_loads(titanic_parquet: Path, raw_frame) -> None:
    """A Parquet file gives the same content as the CSV."""
    frame = load_titanic(str(titanic_parquet))
    assert len(frame) == len(raw_frame)
    assert frame["fare"].tolist() == raw_frame["Fare"].tolist()


def test_folder_of_parquet_files_loads(tmp_path: Path, raw_frame) -> None:
    """A folder of Parquet parts is read as one table."""
    folder = tmp_path / "parts"
    folder.mkdir()
    raw_frame.iloc[:120].to_parquet(folder / "part-0.parquet", index=False)
    raw_frame.iloc[120:].to_parquet(folder / "part-1.pq", index=False)
    (folder / "_SUCCESS").write_text("")
    frame = load_titanic(str(folder))
    assert sorted(frame["passenger_id"]) == raw_frame["PassengerId"].tolist()


def test_hive_partitioned_folder_loads_typed(tmp_path: Path, raw_frame) -> None:
    """key=value folders come back as columns, typed as the schema expects."""
    folder = tmp_path / "hive"
    table = pa.Table.from_pandas(raw_frame, preserve_index=False)
    pq.write_to_dataset(table, folder, partition_cols=["Pclass", "Survived"])
    assert (folder / "Pclass=1" / "Survived=0").is_dir()
    frame = load_titanic(str(folder)).sort_values("passenger_id", ignore_index=True)
    assert frame["pclass"].tolist() == raw_frame["Pclass"].tolist()
    assert frame["survived"].tolist() == raw_frame["Survived"].tolist()
    assert frame["pclass"].dtype == "int64"


def test_parts_may_differ_in_columns(tmp_path: Path, raw_frame) -> None:
    """As with union_by_name, a part without Cabin gives missing cabins."""
    folder = tmp_path / "parts"
    folder.mkdir()
    raw_frame.iloc[:120].to_parquet(folder / "part-0.parquet", index=False)
    rest = raw_frame.iloc[120:].drop(columns=["Cabin"])
    rest.to_parquet(folder / "part-1.parquet", index=False)
    frame = load_titanic(str(folder))
    assert len(frame) == len(raw_frame)
    assert frame.loc[frame["passenger_id"] > 120, "cabin"].isna().all()


def test_non_numeric_partition_value(tmp_path: Path, raw_frame) -> None:
    """A folder Pclass=first cannot be an integer class: the value is named."""
    for value, rows in (("1", raw_frame.iloc[:100]), ("first", raw_frame.iloc[100:])):
        part = tmp_path / "hive" / f"Pclass={value}"
        part.mkdir(parents=True)
        rows.drop(columns=["Pclass"]).to_parquet(part / "part-0.parquet", index=False)
    with pytest.raises(DataValidationError, match=r"cannot read .*hive.*'first'"):
        load_titanic(str(tmp_path / "hive"))


def test_optional_columns_may_be_absent(raw_frame, write_csv) -> None:
    """Name, Ticket, Cabin and PassengerId are not needed for training."""
    path = write_csv(raw_frame.drop(columns=["Name", "Ticket", "Cabin", "PassengerId"]))
    frame = load_titanic(str(path))
    assert "name" not in frame.columns
    assert "survived" in frame.columns


def test_missing_columns_are_all_named(raw_frame, write_csv) -> None:
    """One message lists every missing required column and the URI."""
    path = write_csv(raw_frame.drop(columns=["Age", "Fare", "Embarked"]))
    with pytest.raises(DataValidationError) as caught:
        load_titanic(str(path))
    message = str(caught.value)
    assert all(column in message for column in ("Age", "Fare", "Embarked"))
    assert str(path) in message


def test_text_in_age_is_a_type_error(raw_frame, write_csv) -> None:
    """Text in Age makes DuckDB read VARCHAR, which is reported with the kind."""
    frame = raw_frame.astype({"Age": object})
    frame.loc[3, "Age"] = "unknown"
    with pytest.raises(DataValidationError, match=r"Age has type VARCHAR, expected"):
        load_titanic(str(write_csv(frame)))


def test_decimal_commas_are_named_as_the_likely_cause(raw_frame, tmp_path) -> None:
    """A French spreadsheet's export (; and decimal commas) says what to fix."""
    path = tmp_path / "titanic.csv"
    raw_frame.to_csv(path, sep=";", decimal=",", index=False)
    with pytest.raises(DataValidationError) as caught:
        load_titanic(str(path))
    assert "Age has type VARCHAR, expected numeric" in str(caught.value)
    assert "(text where numbers belong: decimal commas" in str(caught.value)


def test_text_far_down_a_column_is_a_type_error(raw_frame, write_csv) -> None:
    """Types are sniffed on every row, not only DuckDB's default sample."""
    frame = pd.concat([raw_frame] * 110, ignore_index=True).astype({"Fare": object})
    frame.loc[len(frame) - 1, "Fare"] = "free"
    with pytest.raises(DataValidationError, match=r"Fare has type VARCHAR"):
        load_titanic(str(write_csv(frame)))


def test_non_integer_survived_is_a_type_error(raw_frame, write_csv) -> None:
    """DuckDB sniffs yes/no as BOOLEAN, which is not an integer target.

    Not text where a number belongs: the decimal-comma hint stays out.
    """
    frame = raw_frame.assign(Survived=raw_frame["Survived"].map({0: "no", 1: "yes"}))
    expected = r"Survived has type BOOLEAN, expected integer"
    with pytest.raises(DataValidationError, match=expected) as caught:
        load_titanic(str(write_csv(frame)))
    assert "decimal comma" not in str(caught.value)


def test_unexpected_sex_value_is_named(raw_frame, write_csv) -> None:
    """Values outside male/female are shown in the message."""
    frame = raw_frame.copy()
    frame.loc[5, "Sex"] = "unknown"
    with pytest.raises(DataValidationError, match=r"Sex has values 'unknown'"):
        load_titanic(str(write_csv(frame)))


def test_unexpected_survived_and_pclass_values(raw_frame, write_csv) -> None:
    """Several bad columns are reported together."""
    frame = raw_frame.copy()
    frame.loc[0, "Survived"] = 2
    frame.loc[1, "Pclass"] = 4
    with pytest.raises(DataValidationError) as caught:
        load_titanic(str(write_csv(frame)))
    assert "Survived has values 2" in str(caught.value)
    assert "Pclass has values 4" in str(caught.value)


def test_missing_file_names_path_and_setting(tmp_path: Path) -> None:
    """The message tells where it looked and how to point elsewhere."""
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DataNotFoundError) as caught:
        load_titanic(str(path))
    assert str(path) in str(caught.value)
    assert "set DATA_URI or pass --data-uri" in str(caught.value)


def test_path_with_single_quote(raw_frame, write_csv) -> None:
    """The path is bound as a parameter, so quotes cannot break the SQL."""
    path = write_csv(raw_frame, name="o'brien's data/titanic.csv")
    assert len(load_titanic(str(path))) == len(raw_frame)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        (",".join(COLUMN_NAMES) + "\n", "contains no rows"),
    ],
)
def test_empty_files(tmp_path: Path, content: str, expected: str) -> None:
    """Empty and header-only files get their own message, not a type error."""
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(DataValidationError, match=expected):
        load_titanic(str(path))


@pytest.mark.parametrize(
    ("last_row", "expected"),
    [
        ("999,1,3\n", "has 3 fields, the header 12"),
        ('999,1,3,"Cut, Mr', r"is not valid CSV \(unexpected end of data\)"),
    ],
)
def test_malformed_last_row_is_named(
    raw_frame, write_csv, last_row: str, expected: str
) -> None:
    """A short row or an unclosed quote is named by its line, not as lost columns."""
    path = write_csv(raw_frame)
    with path.open("a") as file:
        file.write(last_row)
    line = len(raw_frame) + 2
    with pytest.raises(DataValidationError, match=f"line {line} {expected}"):
        load_titanic(str(path))


def test_binary_file_named_csv(tmp_path: Path) -> None:
    """A binary file with a .csv name gets one short line, not the sniffer's page."""
    path = tmp_path / "titanic.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DataValidationError, match="is not UTF-8 text") as caught:
        load_titanic(str(path))
    assert len(str(caught.value)) < 200


def test_unreadable_parquet(tmp_path: Path) -> None:
    """A file that is not really Parquet is reported as unreadable."""
    path = tmp_path / "broken.parquet"
    path.write_text("not parquet at all")
    with pytest.raises(DataValidationError, match=r"cannot read .*broken\.parquet"):
        load_titanic(str(path))


def test_unsupported_extension(tmp_path: Path) -> None:
    """Unknown extensions are refused with the list of supported ones."""
    path = tmp_path / "titanic.xlsx"
    path.write_text("x")
    with pytest.raises(DataValidationError, match=r"\.csv, \.parquet, \.pq"):
        load_titanic(str(path))


def test_folder_without_parquet(tmp_path: Path) -> None:
    """An empty folder is refused rather than giving an empty table."""
    with pytest.raises(DataValidationError, match="no .parquet or .pq file"):
        load_titanic(str(tmp_path))


def test_loaded_frame_is_a_dataframe(titanic_csv: Path) -> None:
    """The public contract returns pandas, which scikit-learn expects."""
    assert isinstance(load_titanic(str(titanic_csv)), pd.DataFrame)


def test_scoring_data_needs_no_target(raw_frame, write_csv) -> None:
    """Passengers to score have no Survived column, and that is fine."""
    path = write_csv(raw_frame.drop(columns=["Survived"]))
    frame = load_titanic(str(path), require_target=False)
    assert "survived" not in frame.columns
    assert len(frame) == len(raw_frame)


def test_training_data_still_needs_the_target(raw_frame, write_csv) -> None:
    """By default the target is required, as training needs it."""
    path = write_csv(raw_frame.drop(columns=["Survived"]))
    with pytest.raises(DataValidationError, match="missing required columns: Survived"):
        load_titanic(str(path))


def test_scoring_data_keeps_the_other_rules(raw_frame, write_csv) -> None:
    """Without the target, missing features and bad values are still refused."""
    unscored = raw_frame.drop(columns=["Survived"])
    missing_fare = write_csv(unscored.drop(columns=["Fare"]), name="no-fare.csv")
    with pytest.raises(DataValidationError, match="missing required columns: Fare$"):
        load_titanic(str(missing_fare), require_target=False)
    bad_sex = write_csv(unscored.assign(Sex="unknown"), name="bad-sex.csv")
    with pytest.raises(DataValidationError, match="Sex has values 'unknown'"):
        load_titanic(str(bad_sex), require_target=False)
