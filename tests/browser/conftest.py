"""A real browser for page tests: Debian's Chromium, headless, driven by Playwright.

Screenshots go to test-artifacts/screenshots/. axe-core checks accessibility
(RGAA / WCAG 2.1 AA): no serious or critical violation is accepted.

The platform under the browser runs on the secured broker of tests/e2e (SASL/SCRAM and ACLs, one
principal per service, the site as `ops`), as `conseils up` runs it: `kafka_bootstrap` and
`territory` are overridden here.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import IN_CI
from tests.e2e.secured_kafka import SecuredKafka, granted_territory, secured_kafka_fixture

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    if os.environ.get("CONSEILS_UNIT") and not IN_CI:
        pytest.skip("`make unit` runs without a browser (make test runs this test)")
    executable = os.environ.get("CONSEILS_CHROMIUM") or "/usr/bin/chromium"
    if not Path(executable).is_file():
        message = f"Chromium not found at {executable} (scripts/chromium.sh installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return executable


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A 360-pixel-wide phone screen, in French."""
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(
        path=str(SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True
    )


async def serious_accessibility_violations(page: Page) -> list[dict[str, Any]]:
    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in {"serious", "critical"}]


async def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe-core violation, whatever its impact (landmarks and regions included)."""
    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


async def assert_fits_phone_width(page: Page) -> None:
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than a 360px screen"


@pytest.fixture(scope="session")
def secured_kafka() -> Iterator[SecuredKafka]:
    yield from secured_kafka_fixture()


@pytest.fixture(scope="session")
def kafka_bootstrap(secured_kafka: SecuredKafka) -> str:
    return secured_kafka.bootstrap


@pytest.fixture
async def territory(secured_kafka: SecuredKafka) -> AsyncIterator[str]:
    async with granted_territory(secured_kafka) as slug:
        yield slug
