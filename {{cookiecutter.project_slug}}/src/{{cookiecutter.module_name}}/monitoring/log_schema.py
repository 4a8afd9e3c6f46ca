"""The prediction log's fields: what the API writes, and as what the report reads it."""

from {{ cookiecutter.module_name }}.features import (
    INPUT_FEATURES,
    NUMERIC_INPUTS,
    PREDICTION,
    PROBABILITY,
)

# Inputs as DuckDB types, in the model's order. pclass is an integer but a
# category: the readers compare it as text, so that 1 from a log and 1 from a
# Parquet file are the same value.
FEATURE_TYPES = {
    feature: "DOUBLE" if feature in NUMERIC_INPUTS else "VARCHAR"
    for feature in INPUT_FEATURES
} | {"pclass": "INTEGER"}
# Every field of a line, in the order the API writes them, with its DuckDB type.
# The feature, prediction and probability names are those of batch scoring, so
# monitoring reads both the same way.
LOG_COLUMNS = {
    "timestamp": "TIMESTAMPTZ",
    "request_id": "VARCHAR",
    "row": "INTEGER",
    "passenger_id": "BIGINT",
    **FEATURE_TYPES,
    PREDICTION: "INTEGER",
    PROBABILITY: "DOUBLE",
    "model_name": "VARCHAR",
    "model_version": "VARCHAR",
    "latency_ms": "DOUBLE",
}
