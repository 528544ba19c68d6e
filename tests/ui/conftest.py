"""Fixtures for the console's browser tests (`make test-ui`): one stack for the session, a fresh
signed-in browser page per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.sandbox.fleet import SandboxFleet
from tests.ui.stack import (
    SCALE,
    SEED,
    USERS,
    Airflow,
    build_store,
    start_airflow,
    stop_airflow,
    write_hub_yaml,
)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


@dataclass
class Stack:
    airflow: Airflow
    hub_yaml: Path
    store_url: str
    story: dict[str, Any]
    workdir: Path
    fleet: SandboxFleet


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("console")
    hub_yaml = workdir / "hub.yaml"
    store_url = f"sqlite:///{workdir / 'hub.db'}"
    with SandboxFleet(workdir / "sandbox", seed=SEED, scale=SCALE) as fleet:
        write_hub_yaml(fleet, hub_yaml, store_url)
        story = build_store(fleet, hub_yaml)
        airflow = start_airflow(workdir, hub_yaml)
        try:
            yield Stack(airflow, hub_yaml, store_url, story, workdir, fleet)
        finally:
            stop_airflow(airflow)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def sign_in(browser: Any, stack: Stack, user: str) -> Any:
    """A page signed in through Airflow's own login form."""
    name, password = USERS[user]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(90_000)  # a busy 2-core machine: the server may be slow, never wrong
    page = context.new_page()
    page.goto(f"{stack.airflow.url}/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    return page


@pytest.fixture
def admin_page(browser: Any, stack: Stack) -> Iterator[Any]:
    page = sign_in(browser, stack, "admin")
    yield page
    page.context.close()


@pytest.fixture
def viewer_page(browser: Any, stack: Stack) -> Iterator[Any]:
    page = sign_in(browser, stack, "viewer")
    yield page
    page.context.close()


def screenshot(page: Any, name: str) -> None:
    """Keep the README's pictures current with what the tests saw."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    page.screenshot(path=str(target), full_page=False)
