"""Read what monitoring compares: prediction logs, the reference, the feedback.

Every reader goes through DuckDB and the project's storage code, so logs,
profiles and feedback may sit on disk, behind a URL or on S3, and each one
returns frames with the same column types: categories as text, numbers as
floats, missing values as null.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from {{ cookiecutter.module_name }}.data.sources import (
    open_relation,
    quoted,
    read_errors,
    sql_literal,
)
from {{ cookiecutter.module_name }}.data.storage import (
    local_copy,
    parse_uri,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)
from {{ cookiecutter.module_name }}.errors import (
    DataValidationError,
)
from {{ cookiecutter.module_name }}.monitoring.log_schema import (
    LOG_COLUMNS,
)

PREDICTION = DATASET.prediction
TARGET = DATASET.target.name
# The fields the report compares, typed as the schema says.
LOG_TYPES = {
    name: LOG_COLUMNS[name]
    for name in ("timestamp", "request_id", "row", *DATASET.feature_names, PREDICTION)
}
# A prediction is valid when it names a declared class.
KNOWN_CLASS = (
    f"{quoted(PREDICTION)} IN "
    f"({', '.join(sql_literal(value) for value in DATASET.target.classes)})"
)
# A line is one record: tab-free JSON never holds this control character, so
# the CSV reader hands each line over whole, whatever it contains. A line that
# is not UTF-8 text (a stray byte, a binary file) is set aside in DuckDB's
# reject_errors table rather than failing the whole read.
LINE_READER = (
    "read_csv(?, columns={'line': 'VARCHAR'}, header=false, delim=E'\\x1e', "
    "quote='', escape='', auto_detect=false, strict_mode=false, null_padding=true, "
    "store_rejects=true)"
)
# Log files in a folder: rotated ones (predictions.jsonl.1, .gz) included,
# hidden and marker files (.DS_Store, _SUCCESS) left out.
SKIPPED_PREFIXES = (".", "_")
FEEDBACK_COLUMNS = ("request_id", TARGET)


class NoPredictionsError(DataValidationError):
    """The log holds no usable prediction in the requested window."""


@dataclass(frozen=True)
class PredictionLogs:
    """The valid predictions of the window, and what the reader had to skip."""

    frame: pd.DataFrame
    files: int
    malformed_lines: int


def read_prediction_logs(uri: str, since: datetime | None) -> PredictionLogs:
    """Read every log line since `since`, skipping and counting malformed ones.

    A line is malformed when it is not UTF-8 text or not a JSON object, lacks a
    valid timestamp or prediction, or has a value of the wrong type; one bad
    line never stops the report. Lines before `since` are dropped after
    parsing, so malformed lines are counted over the whole files read.
    """
    with (
        read_errors(uri),
        local_log_files(uri) as paths,
        duckdb.connect() as con,
    ):
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE TABLE parsed AS {_parse_lines_sql()}", [paths])
        [(malformed,)] = con.execute(
            "SELECT (SELECT count(*) FROM parsed WHERE NOT valid) "
            "+ (SELECT count(*) FROM reject_errors)"
        ).fetchall()
        frame = con.execute(
            "SELECT * EXCLUDE (valid) FROM parsed "
            'WHERE valid AND (CAST(? AS TIMESTAMPTZ) IS NULL OR "timestamp" >= ?) '
            'ORDER BY "timestamp"',
            [since, since],
        ).df()
    if frame.empty:
        window = f" since {since.isoformat()}" if since else ""
        raise NoPredictionsError(
            f"no valid prediction in {uri!r}{window} ({malformed} malformed "
            "line(s) skipped): nothing to compare with the reference"
        )
    return PredictionLogs(frame, len(paths), malformed)


def _parse_lines_sql() -> str:
    """Type each line's fields, flagging lines where a field does not fit.

    Every field is first read as text, then cast: a value present but not
    castable (age "unknown") makes the line malformed rather than null.
    """
    as_text = json.dumps(dict.fromkeys(LOG_TYPES, "VARCHAR"))
    typed = ", ".join(
        _typed(f"record.{quoted(field)}", kind, field)
        for field, kind in LOG_TYPES.items()
    )
    mistyped = " OR ".join(
        f"(record.{quoted(field)} IS NOT NULL AND {quoted(field)} IS NULL)"
        for field in LOG_TYPES
    )
    return f"""
        SELECT * EXCLUDE (record),
               record IS NOT NULL AND "timestamp" IS NOT NULL
               AND {KNOWN_CLASS} AND NOT ({mistyped}) AS valid
        FROM (
            SELECT record, {typed}
            FROM (
                SELECT CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT'
                            THEN json_transform(line, '{as_text}') END AS record
                FROM {LINE_READER}
                WHERE trim(coalesce(line, '')) <> ''
            )
        )
    """


def _typed(expression: str, kind: str, name: str) -> str:
    """Cast one field to its type, categories to text, as the readers agree."""
    cast = f"TRY_CAST({expression} AS {kind})"
    if name in DATASET.categorical_inputs:
        cast = f"CAST({cast} AS VARCHAR)"
    return f"{cast} AS {quoted(name)}"


@contextmanager
def local_log_files(uri: str) -> Iterator[list[str]]:
    """Give DuckDB local paths: the log itself, or copies of remote files.

    A folder stands for every log file below it, as log rotation and
    collectors leave them (one file per day or per pod).
    """
    with local_copy(parse_uri(uri)) as path:
        files = [path] if path.is_file() else _log_files(path)
        if not files:
            raise DataValidationError(f"folder {uri!r} holds no log file")
        yield [str(file) for file in files]


def _log_files(folder: Path) -> list[Path]:
    """List a folder's log files, sorted, leaving hidden and marker files out."""
    return sorted(
        file
        for file in folder.rglob("*")
        if file.is_file() and not file.name.startswith(SKIPPED_PREFIXES)
    )


def read_reference(uri: str) -> pd.DataFrame:
    """Read the training profile, typed as the logs are."""
    columns = [*DATASET.feature_names, PREDICTION]
    with read_errors(uri), duckdb.connect() as con, open_relation(con, uri) as relation:
        _require_columns(relation, columns, uri, "reference profile")
        typed = ", ".join(
            _typed(quoted(name), LOG_COLUMNS[name], name) for name in columns
        )
        frame = relation.project(typed).df()
    if frame.empty:
        raise DataValidationError(f"reference profile {uri!r} holds no rows")
    return frame


def read_feedback(uri: str) -> pd.DataFrame:
    """Read the true outcomes: request_id, the target's class, and row if known.

    Without a row column, the outcome is that of the request's first row, as
    most requests score one row.
    """
    with read_errors(uri), duckdb.connect() as con, open_relation(con, uri) as relation:
        _require_columns(relation, FEEDBACK_COLUMNS, uri, "feedback")
        row = '"row"' if "row" in relation.columns else "0"
        frame = relation.project(
            "CAST(request_id AS VARCHAR) AS request_id, "
            f"TRY_CAST({row} AS INTEGER) AS row, "
            f"TRY_CAST({quoted(TARGET)} AS {LOG_COLUMNS[PREDICTION]}) "
            f"AS {quoted(TARGET)}"
        ).df()
    classes = list(DATASET.target.classes)
    bad = frame[~frame[TARGET].isin(classes) | frame["request_id"].isna()]
    if not bad.empty:
        raise DataValidationError(
            f"feedback {uri!r} has {len(bad)} row(s) without a request_id or "
            f"with {TARGET} other than {', '.join(map(repr, classes))}"
        )
    return frame


def _require_columns(
    relation: duckdb.DuckDBPyRelation, columns: Sequence[str], uri: str, what: str
) -> None:
    """Name every missing column at once, and the columns that are there."""
    missing = [column for column in columns if column not in relation.columns]
    if missing:
        raise DataValidationError(
            f"{what} {uri!r} lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(relation.columns)}"
        )
