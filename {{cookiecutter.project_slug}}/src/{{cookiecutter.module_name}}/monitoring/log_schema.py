"""The prediction log's fields: what the API writes, and as what the report reads it."""

from {{ cookiecutter.module_name }}.data.declaration import (
    Numeric,
    ValueKind,
)
from {{ cookiecutter.module_name }}.dataset import (
    DATASET,
)

# The DuckDB type of each kind of value.
DUCKDB_TYPES: dict[ValueKind, str] = {
    "boolean": "BOOLEAN",
    "integer": "BIGINT",
    "numeric": "DOUBLE",
    "text": "VARCHAR",
}
# Inputs as DuckDB types, in the model's order; numbers as doubles, so that a
# whole number sent as 3.0 reads as well as 3.
FEATURE_TYPES = {
    feature.name: (
        "DOUBLE" if isinstance(feature, Numeric) else DUCKDB_TYPES[feature.kind]
    )
    for feature in DATASET.features
}
IDENTIFIER_TYPES = (
    {DATASET.identifier.name: DUCKDB_TYPES[DATASET.identifier.kind]}
    if DATASET.identifier
    else {}
)
# Every field of a line, in the order the API writes them, with its DuckDB type.
# The identifier, feature, prediction and probability names are those of batch
# scoring's output, so monitoring reads both the same way.
LOG_COLUMNS = {
    "timestamp": "TIMESTAMPTZ",
    "request_id": "VARCHAR",
    "row": "INTEGER",
    **IDENTIFIER_TYPES,
    **FEATURE_TYPES,
    DATASET.prediction: DUCKDB_TYPES[DATASET.target.kind],
    **dict.fromkeys(DATASET.probabilities.values(), "DOUBLE"),
    "model_name": "VARCHAR",
    "model_version": "VARCHAR",
    "latency_ms": "DOUBLE",
}
