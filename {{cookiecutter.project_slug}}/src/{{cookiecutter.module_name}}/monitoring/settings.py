"""Settings of the drift report: its inputs, its output and its thresholds."""

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import CliSuppress

from {{ cookiecutter.module_name }}.config import (
    PREDICTION_LOG_PATH,
    REFERENCE_FILE,
    ServedModelSettings,
    blank_is_none,
)


class MonitoringSettings(ServedModelSettings):
    """Compare logged predictions with training, write the report, alert.

    Each option also reads its environment variable (--since: SINCE)
    or .env; the flag wins. Exit
    code 4: a threshold was crossed.
    """

    since: str | None = Field(
        default=None,
        description="First moment compared: 2026-01-31, 2026-01-31T12:00 (UTC "
        "unless an offset is given) or a duration back from now, 7d or 24h; "
        "unset: the whole log.",
    )
    prediction_log_path: str = Field(
        default=PREDICTION_LOG_PATH,
        description="Prediction log: a JSON-lines file or a folder of them, a "
        "local path, an https:// URL (one file) or an s3:// URI.",
    )
    reference_profile_uri: str | None = Field(
        default=None,
        description="Training reference profile: a Parquet file anywhere "
        f"(models/{REFERENCE_FILE}: the last local run's, served or not), or "
        "models:/NAME@ALIAS for the one logged with that model version; unset: "
        "the one logged with the model the API serves (MODEL_URI, or "
        "models:/MODEL_NAME@MODEL_ALIAS).",
    )
    feedback_uri: str | None = Field(
        default=None,
        description="CSV or Parquet of true outcomes (request_id, the target "
        "column under its name in the code, optional row), for accuracy and "
        "macro F1 over time.",
    )
    monitoring_report_dir: str = Field(
        default="reports",
        description="Folder receiving drift_report.html and drift_summary.json, "
        "local or s3://.",
    )
    # No flag: the URL often holds a token, which a command line would show.
    alert_webhook_url: CliSuppress[SecretStr | None] = Field(
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
        description="Largest accepted change of a predicted class's share.",
    )
    min_feedback_accuracy: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Lowest accepted accuracy on the predictions with feedback.",
    )

    _blank_is_unset = field_validator(
        "since",
        "reference_profile_uri",
        "feedback_uri",
        "alert_webhook_url",
        mode="before",
    )(blank_is_none)

    @property
    def reference_uri(self) -> str:
        """The reference to compare with: the configured one, or the served model's.

        Not the local models/ folder by default: any run rewrites it, a
        challenger or an untracked one too, while the API keeps its model.
        """
        return self.reference_profile_uri or self.served_model_uri
