"""Loading through DuckDB: formats, renaming, and the validation messages."""

import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }}.data.load import (
    load_dataset,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataNotFoundError,
    DataValidationError,
)

from tests import declared

TARGET = DATASET.target


def test_csv_loads_under_the_code_names(data_csv: Path, raw_frame) -> None:
    """A CSV comes back with the declared columns, renamed, and nothing else."""
    frame = load_dataset(str(data_csv))
    assert list(frame.columns) == list(DATASET.source_names.values())
    assert len(frame) == len(raw_frame)
    assert frame[TARGET.name].tolist() == raw_frame[TARGET.source].tolist()
    optional = declared.optional()
    assert frame[optional.name].isna().sum() == raw_frame[optional.source].isna().sum()


def test_parquet_loads(data_parquet: Path, raw_frame) -> None:
    """A Parquet file gives the same content as the CSV."""
    column = declared.numeric()
    frame = load_dataset(str(data_parquet))
    assert len(frame) == len(raw_frame)
    pd.testing.assert_series_equal(
        frame[column.name],
        raw_frame[column.source],
        check_dtype=False,
        check_names=False,
    )


def test_folder_of_parquet_files_loads(tmp_path: Path, raw_frame) -> None:
    """A folder of Parquet parts is read as one table."""
    folder = tmp_path / "parts"
    folder.mkdir()
    raw_frame.iloc[:120].to_parquet(folder / "part-0.parquet", index=False)
    raw_frame.iloc[120:].to_parquet(folder / "part-1.pq", index=False)
    (folder / "_SUCCESS").write_text("")
    frame = load_dataset(str(folder))
    assert sorted(frame[TARGET.name]) == sorted(raw_frame[TARGET.source])


def test_hive_partitioned_folder_loads_typed(tmp_path: Path, raw_frame) -> None:
    """key=value folders come back as columns, typed as the declaration says."""
    key = declared.listed()
    folder = tmp_path / "hive"
    table = pa.Table.from_pandas(raw_frame, preserve_index=False)
    pq.write_to_dataset(table, folder, partition_cols=[key.source, TARGET.source])
    first_value = raw_frame[key.source].dropna().iloc[0]
    assert (folder / f"{key.source}={first_value}").is_dir()
    frame = load_dataset(str(folder))
    assert sorted(frame[TARGET.name]) == sorted(raw_frame[TARGET.source])
    assert frame[key.name].value_counts().to_dict() == (
        raw_frame[key.source].value_counts().to_dict()
    )
    assert declared.holds_kind(frame[key.name], key.kind)


def test_parts_may_differ_in_columns(tmp_path: Path, raw_frame) -> None:
    """As with union_by_name, a part without a column gives missing values there."""
    column = declared.optional()
    folder = tmp_path / "parts"
    folder.mkdir()
    raw_frame.iloc[:120].to_parquet(folder / "part-0.parquet", index=False)
    rest = raw_frame.iloc[120:].drop(columns=[column.source])
    rest.to_parquet(folder / "part-1.parquet", index=False)
    frame = load_dataset(str(folder))
    assert len(frame) == len(raw_frame)
    missing = raw_frame[column.source].iloc[:120].isna().sum() + len(rest)
    assert frame[column.name].isna().sum() == missing


def test_non_numeric_partition_value(tmp_path: Path, raw_frame) -> None:
    """A folder key=first cannot be an integer: the value is named."""
    key = declared.integer_column()
    halves = (("1", raw_frame.iloc[:100]), ("first", raw_frame.iloc[100:]))
    for value, rows in halves:
        part = tmp_path / "hive" / f"{key.source}={value}"
        part.mkdir(parents=True)
        rows.drop(columns=[key.source]).to_parquet(part / "part-0.parquet", index=False)
    with pytest.raises(DataValidationError, match=r"cannot read .*hive.*'first'"):
        load_dataset(str(tmp_path / "hive"))


def test_unread_columns_may_be_absent(raw_frame, write_csv) -> None:
    """Ignored columns and the identifier are not needed for training."""
    unread = declared.not_read()
    if not unread:
        pytest.skip("dataset.py declares no ignored column and no identifier")
    frame = load_dataset(str(write_csv(raw_frame.drop(columns=unread))))
    assert TARGET.name in frame.columns
    assert len(frame) == len(raw_frame)


def test_missing_columns_are_all_named(raw_frame, write_csv) -> None:
    """One message lists every missing required column and the URI."""
    dropped = [feature.source for feature in DATASET.features[:3]]
    path = write_csv(raw_frame.drop(columns=dropped))
    with pytest.raises(DataValidationError) as caught:
        load_dataset(str(path))
    message = str(caught.value)
    assert f"missing required columns: {', '.join(dropped)}" in message
    assert str(path) in message


def test_text_in_a_number_is_a_type_error(raw_frame, write_csv) -> None:
    """Text in a numeric column makes DuckDB read VARCHAR, reported with the kind."""
    column = declared.numeric()
    frame = raw_frame.astype({column.source: object})
    frame.loc[3, column.source] = "unknown"
    expected = rf"{re.escape(column.source)} has type VARCHAR, expected {column.kind}"
    with pytest.raises(DataValidationError, match=expected):
        load_dataset(str(write_csv(frame)))


def test_decimal_commas_are_named_as_the_likely_cause(raw_frame, tmp_path) -> None:
    """A French spreadsheet's export (; and decimal commas) says what to fix."""
    column = declared.decimal()
    path = tmp_path / "data.csv"
    frame = raw_frame.assign(**{column.source: raw_frame[column.source] + 0.5})
    frame.to_csv(path, sep=";", decimal=",", index=False)
    with pytest.raises(DataValidationError) as caught:
        load_dataset(str(path))
    assert f"{column.source} has type VARCHAR, expected numeric" in str(caught.value)
    assert "(text where numbers belong: decimal commas" in str(caught.value)


def test_text_far_down_a_column_is_a_type_error(raw_frame, write_csv) -> None:
    """Types are sniffed on every row, not only DuckDB's default sample."""
    column = declared.numeric()
    frame = pd.concat([raw_frame] * 110, ignore_index=True)
    frame = frame.astype({column.source: object})
    frame.loc[len(frame) - 1, column.source] = "free"
    with pytest.raises(
        DataValidationError, match=rf"{re.escape(column.source)} has type VARCHAR"
    ):
        load_dataset(str(write_csv(frame)))


def test_target_of_another_kind_is_a_type_error(raw_frame, write_csv) -> None:
    """Classes written as words where integers are declared, or the other way round."""
    swap: dict[Any, Any] = {
        value: f"class {index}" for index, value in enumerate(TARGET.classes)
    }
    if TARGET.kind != "integer":
        swap = {value: 10 + index for index, value in enumerate(TARGET.classes)}
    frame = raw_frame.assign(**{TARGET.source: raw_frame[TARGET.source].map(swap)})
    expected = rf"{re.escape(TARGET.source)} has type \w+, expected {TARGET.kind}"
    with pytest.raises(DataValidationError, match=expected):
        load_dataset(str(write_csv(frame)))


def test_yes_no_in_a_number_gets_no_decimal_comma_hint(raw_frame, write_csv) -> None:
    """DuckDB reads yes/no as BOOLEAN: not text where a number belongs, no hint."""
    column = declared.numeric()
    words = ["yes" if index % 2 else "no" for index in range(len(raw_frame))]
    frame = raw_frame.assign(**{column.source: words})
    expected = rf"{re.escape(column.source)} has type BOOLEAN, expected {column.kind}"
    with pytest.raises(DataValidationError, match=expected) as caught:
        load_dataset(str(write_csv(frame)))
    assert "decimal comma" not in str(caught.value)


def test_unlisted_category_is_named(raw_frame, write_csv) -> None:
    """A value outside the declared categories is shown in the message."""
    column = declared.listed()
    bad = declared.refused_value(column)
    frame = raw_frame.astype({column.source: object})
    frame.loc[5, column.source] = bad
    with pytest.raises(
        DataValidationError, match=re.escape(f"{column.source} has values {bad!r}")
    ):
        load_dataset(str(write_csv(frame)))


def test_unknown_class_and_category_are_named_together(raw_frame, write_csv) -> None:
    """Several bad columns are reported together, each with what is allowed."""
    column = declared.listed()
    bad = declared.refused_value(column)
    unknown_class = "unknown" if TARGET.kind == "text" else 99
    frame = raw_frame.astype({TARGET.source: object, column.source: object})
    frame.loc[0, TARGET.source] = unknown_class
    frame.loc[1, column.source] = bad
    with pytest.raises(DataValidationError) as caught:
        load_dataset(str(write_csv(frame)))
    allowed = ", ".join(repr(value) for value in TARGET.classes)
    expected = f"{TARGET.source} has values {unknown_class!r} (allowed: {allowed})"
    assert expected in str(caught.value)
    assert f"{column.source} has values {bad!r}" in str(caught.value)


def test_number_past_its_bound_is_named(raw_frame, write_csv) -> None:
    """A number beyond the declared bounds is refused with the bounds."""
    column = declared.bounded()
    assert column.maximum is not None
    frame = raw_frame.astype({column.source: "float64"})
    frame.loc[2, column.source] = column.maximum + 1
    with pytest.raises(DataValidationError) as caught:
        load_dataset(str(write_csv(frame)))
    assert f"{column.source} has values {column.maximum + 1}" in str(caught.value)
    assert f"to {column.maximum:g})" in str(caught.value)


def test_missing_value_where_none_is_allowed(raw_frame, write_csv) -> None:
    """A required feature's gap is named as NULL: the declaration says none."""
    column = declared.required()
    frame = raw_frame.astype({column.source: object})
    frame.loc[4, column.source] = None
    with pytest.raises(
        DataValidationError, match=re.escape(f"{column.source} has values NULL")
    ):
        load_dataset(str(write_csv(frame)))


def test_missing_value_where_allowed_loads_as_missing(raw_frame, write_csv) -> None:
    """A feature that may be missing loads its gaps as missing, not as text."""
    column = declared.optional()
    frame = raw_frame.astype({column.source: object})
    frame.loc[:9, column.source] = None
    loaded = load_dataset(str(write_csv(frame)))
    assert loaded[column.name].iloc[:10].isna().all()
    assert not loaded[column.name].astype(object).isin(["nan", "None", ""]).any()


def test_columns_load_as_duckdbs_pandas_conversion_types_them(
    raw_frame, tmp_path: Path
) -> None:
    """Each file type loads as DuckDB's own df() gives it, nullable types as numpy.

    Integers (and booleans) with a gap become floats with NaN, gapless ones
    keep their width, decimals become floats: what the loader always handed
    training, now that it reads through Arrow.
    """
    identifier, decimal = declared.identifier(), declared.decimal()
    integer = declared.integer_column()
    ids = raw_frame[identifier.source].astype("Int64").mask(raw_frame.index == 5)
    table = pa.Table.from_pandas(
        raw_frame.assign(**{identifier.source: ids}), preserve_index=False
    )
    types = {
        identifier.source: pa.int32(),
        integer.source: pa.int32(),
        decimal.source: pa.decimal128(12, 2),
    }
    table = table.cast(
        pa.schema([(f.name, types.get(f.name, f.type)) for f in table.schema])
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    with duckdb.connect() as con:
        expected = con.read_parquet(str(path)).df()
    expected = expected[list(DATASET.source_names)].rename(columns=DATASET.source_names)
    numpy_types = {
        name: "float64" if values.hasnans else values.to_numpy().dtype
        for name, values in expected.items()
        if isinstance(values.dtype, pd.api.extensions.ExtensionDtype)
        and values.dtype.kind in "biu"
    }
    loaded = load_dataset(str(path))
    pd.testing.assert_frame_equal(loaded, expected.astype(numpy_types))
    assert loaded[identifier.name].dtype == "float64"
    assert loaded[integer.name].dtype == "int32"


def test_missing_file_names_path_and_setting(tmp_path: Path) -> None:
    """The message tells where it looked and how to point elsewhere."""
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset(str(path))
    assert str(path) in str(caught.value)
    assert "set DATA_URI or pass --data-uri" in str(caught.value)


def test_path_with_single_quote(raw_frame, write_csv) -> None:
    """The path is bound as a parameter, so quotes cannot break the SQL."""
    path = write_csv(raw_frame, name="o'brien's data/data.csv")
    assert len(load_dataset(str(path))) == len(raw_frame)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (False, "is empty"),
        (True, "contains no rows"),
    ],
)
def test_empty_files(tmp_path: Path, raw_frame, header: bool, expected: str) -> None:
    """Empty and header-only files get their own message, not a type error."""
    path = tmp_path / "empty.csv"
    path.write_text(",".join(raw_frame.columns) + "\n" if header else "")
    with pytest.raises(DataValidationError, match=expected):
        load_dataset(str(path))


@pytest.mark.parametrize(
    ("last_row", "expected"),
    [
        ("999,1,3\n", "has 3 fields, the header {columns}"),
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
    message = expected.format(columns=len(raw_frame.columns))
    with pytest.raises(DataValidationError, match=f"line {line} {message}"):
        load_dataset(str(path))


def test_binary_file_named_csv(tmp_path: Path) -> None:
    """A binary file with a .csv name gets one short line, not the sniffer's page."""
    path = tmp_path / "data.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DataValidationError, match="is not UTF-8 text") as caught:
        load_dataset(str(path))
    assert len(str(caught.value)) < 200


def test_unreadable_parquet(tmp_path: Path) -> None:
    """A file that is not really Parquet is reported as unreadable."""
    path = tmp_path / "broken.parquet"
    path.write_text("not parquet at all")
    with pytest.raises(DataValidationError, match=r"cannot read .*broken\.parquet"):
        load_dataset(str(path))


def test_unsupported_extension(tmp_path: Path) -> None:
    """Unknown extensions are refused with the list of supported ones."""
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(DataValidationError, match=r"\.csv, \.parquet, \.pq"):
        load_dataset(str(path))


def test_folder_without_parquet(tmp_path: Path) -> None:
    """An empty folder is refused rather than giving an empty table."""
    with pytest.raises(DataValidationError, match="no .parquet or .pq file"):
        load_dataset(str(tmp_path))


def test_loaded_frame_is_a_dataframe(data_csv: Path) -> None:
    """The public contract returns pandas, which scikit-learn expects."""
    assert isinstance(load_dataset(str(data_csv)), pd.DataFrame)


def test_scoring_data_needs_no_target(raw_frame, write_csv) -> None:
    """Rows to score have no target column, and that is fine."""
    path = write_csv(raw_frame.drop(columns=[TARGET.source]))
    frame = load_dataset(str(path), require_target=False)
    assert TARGET.name not in frame.columns
    assert len(frame) == len(raw_frame)


def test_training_data_still_needs_the_target(raw_frame, write_csv) -> None:
    """By default the target is required, as training needs it."""
    path = write_csv(raw_frame.drop(columns=[TARGET.source]))
    expected = re.escape(f"missing required columns: {TARGET.source}")
    with pytest.raises(DataValidationError, match=expected):
        load_dataset(str(path))


def test_scoring_data_keeps_the_other_rules(raw_frame, write_csv) -> None:
    """Without the target, missing features and bad values are still refused."""
    unscored = raw_frame.drop(columns=[TARGET.source])
    feature = DATASET.features[-1]
    missing = write_csv(unscored.drop(columns=[feature.source]), name="missing.csv")
    expected = re.escape(f"missing required columns: {feature.source}") + "$"
    with pytest.raises(DataValidationError, match=expected):
        load_dataset(str(missing), require_target=False)
    column = declared.listed()
    bad = declared.refused_value(column)
    refused = write_csv(unscored.assign(**{column.source: bad}), name="bad.csv")
    with pytest.raises(
        DataValidationError, match=re.escape(f"{column.source} has values")
    ):
        load_dataset(str(refused), require_target=False)
