"""Settings read from environment variables, a `.env` file or overrides."""

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

IntList = Annotated[list[int], NoDecode]
# The scores evaluate() computes on the test set; any of them can pick the champion.
TestMetric = Literal["accuracy", "precision", "recall", "f1", "roc_auc"]
TEST_METRICS: tuple[str, ...] = get_args(TestMetric)
# Written by the API and by training, read by the monitoring: one name for both.
PREDICTION_LOG_PATH = "logs/predictions.jsonl"
REFERENCE_FILE = "reference.parquet"


def blank_is_none(value: Any) -> Any:
    """Read an empty `NAME=` line in .env as unset, not as an empty value."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class Settings(BaseSettings):
    """Every knob of training, tracking and scoring, so nothing is hard-coded."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        protected_namespaces=("settings_",),
    )

    data_uri: str = Field(
        default="data/raw/titanic.csv",
        description="CSV or Parquet file, or a folder of Parquet files: a local "
        "path, an https:// URL or an s3://bucket/key URI.",
    )
    model_dir: Path = Field(
        default=Path("models"),
        description="Folder receiving model.joblib and metrics.json.",
    )
    test_size: float = Field(default=0.2, gt=0, lt=1)
    random_state: int = 42
    cv_folds: int = Field(default=5, ge=2)
    n_trees: IntList = Field(default=[100, 200], min_length=1)
    max_depth: IntList = Field(default=[4, 6, 8], min_length=1)
    scoring: str = "f1"
    log_level: str = "INFO"
    tracking: bool = Field(
        default=True, description="Log runs and register models in MLflow."
    )
    # MLflow reads the MLFLOW_* variables itself too; the tracking module passes
    # these values on explicitly, so a .env file and the shell always agree.
    mlflow_tracking_uri: str = Field(
        default="sqlite:///mlflow.db",
        description="MLflow store: a local SQLite file or an https:// server.",
    )
    mlflow_tracking_username: str | None = None
    mlflow_tracking_password: SecretStr | None = None
    mlflow_experiment_name: str = Field(
        default="{{ cookiecutter.project_slug }}",
        min_length=1,
        description="MLflow experiment receiving the training runs.",
    )
    model_name: str = Field(
        default="{{ cookiecutter.module_name }}",
        min_length=1,
        description="Registered model name in the MLflow model registry.",
    )
    model_alias: str = Field(
        default="champion",
        min_length=1,
        description="Alias of the registered version that batch scoring loads.",
    )
    promotion_metric: TestMetric = Field(
        default="f1",
        description="Test metric a new version must beat to take the champion alias.",
    )

    @field_validator("n_trees", "max_depth", mode="before")
    @classmethod
    def split_comma_list(cls, value: Any) -> Any:
        """Accept `100,200` and `[100, 200]` so lists are easy to set from a shell."""
        if not isinstance(value, str):
            return value
        return [item for item in value.strip().strip("[]").split(",") if item.strip()]

    @field_validator("n_trees", "max_depth")
    @classmethod
    def check_positive(cls, values: list[int]) -> list[int]:
        """Reject zero or negative tree counts and depths before a long search."""
        if any(value < 1 for value in values):
            raise ValueError(f"every entry must be >= 1, got {values}")
        return values

    @field_validator("scoring")
    @classmethod
    def check_scoring(cls, value: str) -> str:
        """Fail at start-up on a typo rather than deep inside the grid search."""
        from sklearn.metrics import get_scorer_names  # slow import: only when used

        if value not in get_scorer_names():
            raise ValueError(f"unknown scikit-learn scorer {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def check_log_level(cls, value: Any) -> str:
        """Normalise the level name so that `info` works as well as `INFO`."""
        level = str(value).upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level


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

    @field_validator(
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_s3_endpoint",
        mode="before",
    )
    @classmethod
    def empty_is_unset(cls, value: Any) -> Any:
        """Read `AWS_SESSION_TOKEN=` as no token, as shells and .env files write it."""
        return None if value == "" else value


class MonitoringSettings(Settings):
    """Settings of the drift report: its inputs, its output and its thresholds."""

    prediction_log_path: str = Field(
        default=PREDICTION_LOG_PATH,
        description="Prediction log: a JSON-lines file or a folder of them, a "
        "local path, an https:// URL (one file) or an s3:// URI.",
    )
    reference_profile_uri: str | None = Field(
        default=None,
        description="Training reference profile: a Parquet file anywhere, or "
        "models:/NAME@ALIAS for the one logged with that model version; unset "
        f"reads MODEL_DIR/{REFERENCE_FILE}, written by training.",
    )
    feedback_uri: str | None = Field(
        default=None,
        description="CSV or Parquet of true outcomes (request_id, survived, "
        "optional row), for accuracy and F1 over time.",
    )
    monitoring_report_dir: str = Field(
        default="reports",
        description="Folder receiving drift_report.html and drift_summary.json, "
        "local or s3://.",
    )
    alert_webhook_url: SecretStr | None = Field(
        default=None,
        description="URL receiving a JSON alert when a threshold is crossed; it "
        "often holds a token, hence secret.",
    )
    drift_p_value: float = Field(
        default=0.01,
        gt=0,
        lt=1,
        description="A feature drifts when its test's p-value is below this "
        "and its PSI reaches DRIFT_PSI_THRESHOLD: significant and large.",
    )
    drift_psi_threshold: float = Field(
        default=0.2,
        gt=0,
        description="Population stability index of a drifting feature; 0.2 is "
        "the usual mark of a major shift.",
    )
    prediction_rate_shift: float = Field(
        default=0.1,
        gt=0,
        lt=1,
        description="Largest accepted change of the predicted survival rate.",
    )
    min_feedback_accuracy: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Lowest accepted accuracy on the predictions with feedback.",
    )

    _blank_is_unset = field_validator(
        "reference_profile_uri", "feedback_uri", "alert_webhook_url", mode="before"
    )(blank_is_none)

    @property
    def reference_uri(self) -> str:
        """The reference to compare with: the configured one, or training's."""
        return self.reference_profile_uri or str(self.model_dir / REFERENCE_FILE)
