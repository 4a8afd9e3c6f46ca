"""Read rows into Spark and check them with the loader's own rules."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.functions import col, lit
from pyspark.sql.types import BooleanType, IntegralType, NumericType, StringType

from {{ cookiecutter.module_name }}.data.declaration import (
    ValueKind,
)
from {{ cookiecutter.module_name }}.data.schema import (
    MAX_SHOWN_VALUES,
    ValueRule,
    check_table,
)
from {{ cookiecutter.module_name }}.data.sources import CSV_SUFFIXES
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataNotFoundError,
)
from {{ cookiecutter.module_name }}.spark.session import (
    NOT_FOUND,
    spark_errors,
    spark_path,
)

# The Spark types each kind of value accepts.
KIND_TYPES: dict[ValueKind, type] = {
    "boolean": BooleanType,
    "integer": IntegralType,
    "numeric": NumericType,
    "text": StringType,
}


class SparkTable:
    """A Spark DataFrame, answering the schema checks' questions (TableFacts)."""

    def __init__(self, frame: DataFrame) -> None:
        """Name the types as Spark's SQL does (int, double, string)."""
        self.frame = frame
        self.column_types = {
            field.name: field.dataType.simpleString() for field in frame.schema
        }

    def is_empty(self) -> bool:
        """Tell whether the data has no row, reading one at most."""
        return self.frame.isEmpty()

    def has_kind(self, column: str, kind: ValueKind) -> bool:
        """Match the column's Spark type against the types the kind accepts."""
        return isinstance(self.frame.schema[column].dataType, KIND_TYPES[kind])

    def bad_values(self, column: str, rule: ValueRule) -> list[object]:
        """Return a few distinct offending values of a column, for the message."""
        values = col(f"`{column}`")
        refused = lit(False)
        if not rule.missing:
            refused = refused | values.isNull()
        if rule.allowed is not None:
            refused = refused | ~values.isin(list(rule.allowed))
        if rule.minimum is not None:
            refused = refused | (values < rule.minimum)
        if rule.maximum is not None:
            refused = refused | (values > rule.maximum)
        rows = (
            self.frame.select(values)
            .where(refused)
            .distinct()
            .orderBy(values.asc_nulls_first())
            .limit(MAX_SHOWN_VALUES)
            .collect()
        )
        return [row[0] for row in rows]


def require_input(uri: str, missing_hint: str) -> None:
    """Refuse a missing local input before Spark starts, and logs a Java trace."""
    if "://" not in uri and not Path(uri).exists():
        raise DataNotFoundError(f"cannot read {uri!r}: {NOT_FOUND}: {missing_hint}")


def read_rows(
    spark: SparkSession, uri: str, *, require_target: bool | None, missing_hint: str
) -> DataFrame:
    """Read a CSV file, or Parquet files, and refuse what the loader refuses.

    A folder is read as Parquet, its key=value folders as columns. CSV types are
    inferred from every row, as the loader does. `require_target=None` checks
    the target only where the data has one: data prepared to train or to score.
    """
    path = spark_path(uri)
    with spark_errors(f"read {uri!r}", f": {missing_hint}"):
        if path.lower().endswith(tuple(CSV_SUFFIXES)):
            # CSV files double the quotes inside a quoted text, as RFC 4180 says.
            frame = spark.read.csv(path, header=True, inferSchema=True, escape='"')
        else:
            frame = spark.read.parquet(path)
        if require_target is None:
            require_target = DATASET.target.source in frame.columns
        check_table(SparkTable(frame), uri, require_target=require_target)
    return frame
