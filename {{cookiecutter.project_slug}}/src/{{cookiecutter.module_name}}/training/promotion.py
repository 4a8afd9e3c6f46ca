"""Champion or challenger: the alias a new registered version earns, and why."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from mlflow import MlflowClient

from {{ cookiecutter.module_name }}.dataset import DATASET

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
# Tagged on each training run: scores are comparable only between models of the
# same problem, which a champion trained before `dataset infer` is not.
PROBLEM_TAG = "dataset.problem"


@dataclass(frozen=True)
class Champion:
    """The version holding the champion alias, and what it can be compared on."""

    version: str
    score: float | None
    same_problem: bool


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
    champion_same_problem: bool = True

    def summary(self) -> str:
        """Say in one line what happened and why, for the person at the shell."""
        head = f"{self.model_name} version {self.version} is {self.alias}"
        if self.champion_version is None:
            return f"{head}: test {self.metric} {self.score:.4f}, no champion before"
        if not self.champion_same_problem:
            return (
                f"{head}: test {self.metric} {self.score:.4f}; champion version "
                f"{self.champion_version} was trained for another dataset.py"
            )
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
        decision = (
            "alias",
            "metric",
            "score",
            "champion_version",
            "champion_score",
            "champion_same_problem",
        )
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
    champion = read_champion(client, model_name, metric)
    promotion = Promotion(
        model_name=model_name,
        version=version,
        run_id=run_id,
        metric=metric,
        score=score,
        champion_version=None if champion is None else champion.version,
        champion_score=None if champion is None else champion.score,
        alias=choose_alias(score, champion),
        champion_same_problem=champion is None or champion.same_problem,
    )
    client.set_registered_model_alias(model_name, promotion.alias, version)
    for key, value in promotion.tags().items():
        client.set_model_version_tag(model_name, version, key, value)
    logger.info(
        "Alias %r now points to %s version %s", promotion.alias, model_name, version
    )
    return promotion


def choose_alias(score: float, champion: Champion | None) -> str:
    """Promote only on a strictly better score: a tie or an unknown score keeps it.

    A champion of another problem cannot serve this declaration at all (the API
    would refuse it): the new version replaces it whatever the scores.
    """
    if champion is None or not champion.same_problem:
        return CHAMPION
    if champion.score is None or score <= champion.score:
        return CHALLENGER
    return CHAMPION


def problem_digest() -> str:
    """Name what makes two models' scores comparable: target, classes and inputs.

    A digest, since a wide dataset's column list would outgrow an MLflow tag.
    repr tells the class 1 from "1".
    """
    problem = {
        "target": DATASET.target.name,
        "classes": sorted(map(repr, DATASET.target.classes)),
        "inputs": sorted(DATASET.feature_names),
    }
    text = json.dumps(problem, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_champion(
    client: MlflowClient, model_name: str, metric: str
) -> Champion | None:
    """Read the champion's version, its test score and problem from its run."""
    # The model exists (log_model just registered a version): read its aliases
    # rather than match the error MLflow raises for a missing alias.
    version = client.get_registered_model(model_name).aliases.get(CHAMPION)
    if version is None:
        return None
    # A version registered from a path, not from a run, has no run to read.
    run_id = client.get_model_version(model_name, str(version)).run_id
    run = client.get_run(run_id).data if run_id else None
    tags, metrics = (run.tags, run.metrics) if run else ({}, {})
    # A run from before the tag existed is taken to be of the same problem.
    if tags.get(PROBLEM_TAG, problem_digest()) != problem_digest():
        logger.warning(
            "Champion version %s was trained for another dataset.py "
            "(target, classes or inputs): the new version replaces it",
            version,
        )
        return Champion(str(version), None, same_problem=False)
    score = metrics.get(f"test_{metric}")
    if score is None:
        logger.warning(
            "Champion version %s has no test_%s: it keeps the alias", version, metric
        )
    return Champion(str(version), score, same_problem=True)
