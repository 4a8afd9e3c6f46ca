"""Settings the jobs share (logging, MLflow, the served model, S3) and scoring's.

Each job's own settings subclass these, beside the code that reads them; every
field is an environment variable (or a `.env` line) of the same name in
capitals, and a flag of the command line in kebab case.
"""

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, CliSuppress, SettingsConfigDict

# Written by the API and read by the monitoring: one name for both.
PREDICTION_LOG_PATH = "logs/predictions.jsonl"
# Written by training beside the model, read by the monitoring.
REFERENCE_FILE = "reference.parquet"


def blank_is_none(value: Any) -> Any:
    """Read an empty `NAME=` line in .env as unset, not as an empty value."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class ProjectSettings(BaseSettings):
    """What every command reads: the `.env` file, and how verbose to be."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        protected_namespaces=("settings_",),
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def upper_case(cls, value: Any) -> str:
        """Normalise the level name so that `info` works as well as `INFO`."""
        return str(value).upper()


class MlflowSettings(ProjectSettings):
    """Where MLflow is, and which registered model the jobs work with."""

    # MLflow reads the MLFLOW_* variables itself too; registry.connect passes
    # these values on explicitly, so a .env file and the shell always agree.
    mlflow_tracking_uri: str = Field(
        default="sqlite:///mlflow.db",
        description="MLflow store: a local SQLite file or an https:// server.",
    )
    mlflow_tracking_username: str | None = Field(
        default=None, description="User name on a remote tracking server."
    )
    # Secrets have no flag: a command line shows in `ps` and in shell history.
    mlflow_tracking_password: CliSuppress[SecretStr | None] = Field(
        default=None, description="Password on a remote tracking server."
    )
    model_name: str = Field(
        default="{{ cookiecutter.module_name }}",
        min_length=1,
        description="Registered model name in the MLflow model registry.",
    )
    model_alias: str = Field(
        default="champion",
        min_length=1,
        description="Alias of the registered version that scoring and the API load.",
    )


class ServedModelSettings(MlflowSettings):
    """Which model scores: MODEL_URI, or the registry alias by default."""

    model_uri: str | None = Field(
        default=None,
        description="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model "
        "or a local model folder; unset: models:/MODEL_NAME@MODEL_ALIAS.",
    )

    # A distinct name: a subclass validator of the same name would replace it.
    _blank_model_uri_is_unset = field_validator("model_uri", mode="before")(
        blank_is_none
    )

    @property
    def served_model_uri(self) -> str:
        """The model to load: MODEL_URI, or the registry alias by default."""
        return self.model_uri or f"models:/{self.model_name}@{self.model_alias}"


class ScoreSettings(ServedModelSettings):
    """Score a file of rows with the registered model, into Parquet.

    Each option also reads its environment variable (--model-uri: MODEL_URI)
    or .env; the flag wins.
    """

    input: str = Field(
        description="CSV or Parquet rows to score: a local path, https:// or "
        "s3:// URI; no target column needed."
    )
    output: str = Field(description="Parquet file to write, local or s3://.")
    batch_rows: int = Field(
        default=100_000,
        gt=0,
        description="Rows read, scored and written at a time: memory follows it, "
        "not the file's size; larger batches call the model less often.",
    )


class S3Settings(BaseSettings):
    """Credentials and endpoint of S3 storage, under the names SSP Cloud sets."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    aws_default_region: str = "us-east-1"
    aws_s3_endpoint: str | None = Field(
        default=None,
        description="host[:port] or an http(s):// URL, e.g. minio.lab.sspcloud.fr; "
        "AWS itself when unset.",
    )

    _blank_is_unset = field_validator(
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_s3_endpoint",
        mode="before",
    )(blank_is_none)
