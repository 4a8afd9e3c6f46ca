"""The baked demo page works in a real browser against the baked API and model.

A headless Chromium fills the form as a user would, by its labels, so this
checks what the baked suite cannot: the page's script, its call to POST
/predict and what it shows, including the API's field errors.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bake_runtime import (
    TINY_GRID,
    post_json,
    run_in_bake,
    running_server,
    uvicorn_command,
    write_synthetic_titanic,
)
from conftest import DEFAULT_ANSWERS, Bake
from own_data import bake_with_own_data, penguins, store_env, train

# Debian's Chromium by default; CHROMIUM_PATH names another Chromium-based
# browser, such as the Google Chrome of GitHub's runners.
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent: apt-get install chromium chromium-driver, or set "
        "CHROMIUM_PATH",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -r requirements-dev.txt",
)

# A fresh, quiet browser: no sandbox (CI runs as root), no call home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Rose, as the form's labels (dataset.py's descriptions) ask for her, and as
# the API's JSON names her.
ROSE = (
    ("Class", "pclass", 1),
    ("Sex", "sex", "female"),
    ("Age in years", "age", 17),
    ("Fare in pounds", "fare", 151.55),
    ("Port of embarkation", "embarked", "S"),
    ("Siblings and spouses aboard", "sib_sp", 0),
    ("Parents and children aboard", "parch", 1),
)
SHOWN_DECIMALS = 3  # the page prints the probability as 0.734


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    """A page in a headless Chromium with its own, throw-away profile."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def train_tiny_model(bake: Bake, folder: Path) -> dict[str, str]:
    """Train and register a champion in a SQLite store under folder.

    Run from folder, so MLflow's ./mlruns lands there and not in the shared
    bake. Returns the environment that points the bake's API at that store.
    """
    data = write_synthetic_titanic(folder / "titanic.csv")
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}",
        "PREDICTION_LOG_PATH": str(folder / "predictions.jsonl"),
    }
    arguments = ["--data-uri", data, "--model-dir", folder, *TINY_GRID]
    trained = run_in_bake(bake, bake.path / "main.py", *arguments, env=env, cwd=folder)
    assert trained.returncode == 0, trained.stderr
    return env


def fill_form(page, passenger: tuple[tuple[str, str, object], ...]) -> None:
    """Fill each control found by its label, choosing options in the selects."""
    for label, _field, value in passenger:
        control = page.get_by_label(label, exact=True)
        if control.evaluate("node => node.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(str(value))


def save_screenshot(page, path: Path) -> None:
    """Keep what the page showed beside the test's output, and say where."""
    page.screenshot(path=path, full_page=True)
    print(f"screenshot: {path}")


@pytest.mark.slow
def test_demo_page_shows_the_prediction_and_the_field_errors(
    bakery, browser_page, tmp_path
):
    bake = bakery.bake(DEFAULT_ANSWERS)
    env = train_tiny_model(bake, tmp_path)
    page = browser_page
    ask = page.get_by_role("button", name="Ask the model")
    command = uvicorn_command(bake)
    with running_server(
        command, tmp_path / "api.log", "/ready", cwd=bake.path, env=env
    ) as api:
        page.goto(api)
        heading = page.get_by_role("heading", level=1)
        sync_api.expect(heading).to_have_text("Would Jake have survived?")
        fill_form(page, ROSE)
        ask.click()
        shown = page.locator("#probability")
        sync_api.expect(shown).not_to_be_empty()
        save_screenshot(page, tmp_path / "demo-page-prediction.png")
        probability = float(shown.inner_text())
        model_shown = page.locator("#model").inner_text()
        passenger = {field: value for _label, field, value in ROSE}
        expected = post_json(f"{api}/predict", passenger)

        # Beyond the form's max: the page must let the API's 422 speak.
        age = page.get_by_label("Age in years", exact=True)
        age.fill("150")
        ask.click()
        age_error = page.locator("#age-error")
        sync_api.expect(age_error).to_contain_text("less than or equal to 120")
        save_screenshot(page, tmp_path / "demo-page-field-error.png")

    assert 0 <= probability <= 1
    expected_probability = max(expected["predictions"][0]["probabilities"].values())
    assert probability == pytest.approx(
        expected_probability, abs=10**-SHOWN_DECIMALS / 2
    )
    assert f"version {expected['model_version']}" in model_shown
    assert age.get_attribute("aria-invalid") == "true"
    assert "age-error" in age.get_attribute("aria-describedby").split()


@pytest.mark.slow
def test_demo_page_follows_an_inferred_declaration(browser_page, tmp_path):
    """Penguins, declared by infer alone: the form asks for their fields."""
    data = penguins()
    bake, path = bake_with_own_data(tmp_path, data)
    env = store_env(tmp_path)
    train(bake, path, tmp_path, env)
    page = browser_page
    with running_server(
        uvicorn_command(bake), tmp_path / "api.log", "/ready", cwd=bake.path, env=env
    ) as api:
        page.goto(api)
        for label in data.features:
            sync_api.expect(page.get_by_label(label, exact=True)).to_be_visible()
        island = page.get_by_label("Island", exact=True)
        assert island.evaluate("node => node.tagName") == "SELECT"
        page.get_by_role("button", name="Ask the model").click()
        shown = page.locator("#probability")
        sync_api.expect(shown).not_to_be_empty()
        save_screenshot(page, tmp_path / "demo-page-penguins.png")
        verdict = page.locator("#verdict").inner_text()
        gauges = page.get_by_role("meter").count()
        probability = float(shown.inner_text())
        schema = post_json_example(api)
    assert verdict == schema["predictions"][0][data.target_name]
    assert gauges == len(data.classes)
    expected = max(schema["predictions"][0]["probabilities"].values())
    assert probability == pytest.approx(expected, abs=10**-SHOWN_DECIMALS / 2)


def post_json_example(api: str) -> dict:
    """The API's answer to the first example of its own schema, as the form sent it."""
    with urllib.request.urlopen(f"{api}/openapi.json", timeout=30) as response:
        document = json.loads(response.read())
    content = document["paths"]["/predict"]["post"]["requestBody"]["content"]
    reference = content["application/json"]["schema"]["oneOf"][0]["$ref"]
    row = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    return post_json(f"{api}/predict", row["examples"][0])
