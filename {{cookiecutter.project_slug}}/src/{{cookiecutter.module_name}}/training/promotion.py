"""Champion or challenger: the alias a new registered version earns, and why."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mlflow import MlflowClient

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class Promotion:
    """The alias a new registered version received, and the scores behind it."""

    model_name: str
    version: str
    run_id: str
    metric: str
    score: float
    champion_version: str | None
    champion_score: float | None
    alias: str

    def summary(self) -> str:
        """Say in one line what happened and why, for the person at the shell."""
        head = f"{self.model_name} version {self.version} is {self.alias}"
        if self.champion_version is None:
            return f"{head}: test {self.metric} {self.score:.4f}, no champion before"
        previous = (
            "unknown" if self.champion_score is None else f"{self.champion_score:.4f}"
        )
        verb = "beats" if self.alias == CHAMPION else "does not beat"
        return (
            f"{head}: test {self.metric} {self.score:.4f} {verb} champion "
            f"version {self.champion_version} at {previous}"
        )

    def tags(self) -> dict[str, str]:
        """Record the decision on the run and the model version, for later audits."""
        decision = ("alias", "metric", "score", "champion_version", "champion_score")
        return {
            f"promotion.{name}": str(getattr(self, name))
            for name in decision
            if getattr(self, name) is not None
        }


def promote_if_better(
    client: MlflowClient,
    model_name: str,
    version: str,
    run_id: str,
    metric: str,
    score: float,
) -> Promotion:
    """Give the new version the champion alias only if it beats the champion."""
    champion_version, champion_score = champion_metric(client, model_name, metric)
    promotion = Promotion(
        model_name=model_name,
        version=version,
        run_id=run_id,
        metric=metric,
        score=score,
        champion_version=champion_version,
        champion_score=champion_score,
        alias=choose_alias(score, champion_version, champion_score),
    )
    client.set_registered_model_alias(model_name, promotion.alias, version)
    for key, value in promotion.tags().items():
        client.set_model_version_tag(model_name, version, key, value)
    logger.info(
        "Alias %r now points to %s version %s", promotion.alias, model_name, version
    )
    return promotion


def choose_alias(
    score: float, champion_version: str | None, champion_score: float | None
) -> str:
    """Promote only on a strictly better score: a tie or an unknown score keeps it."""
    if champion_version is None:
        return CHAMPION
    if champion_score is None or score <= champion_score:
        return CHALLENGER
    return CHAMPION


def champion_metric(
    client: MlflowClient, model_name: str, metric: str
) -> tuple[str | None, float | None]:
    """Read the champion's version and its test score from the run that logged it."""
    # The model exists (log_model just registered a version): read its aliases
    # rather than match the error MLflow raises for a missing alias.
    version = client.get_registered_model(model_name).aliases.get(CHAMPION)
    if version is None:
        return None, None
    champion = client.get_model_version(model_name, str(version))
    # A version registered from a path, not from a run, has no run to read.
    run_id = champion.run_id
    metrics = client.get_run(run_id).data.metrics if run_id else {}
    score = metrics.get(f"test_{metric}")
    if score is None:
        logger.warning(
            "Champion version %s has no test_%s: it keeps the alias", version, metric
        )
    return str(version), score
