"""The scenarios compared on the bilan page, on the real platform (the demo's past year played
into the meetings service), in Chromium at 360 px: the section is there with its tables (a
caption, a column per scenario period, the difference), the page fits the phone and axe-core
finds no violation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from conseils_meetings.demo import demo_period
from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser.conftest import accessibility_violations, assert_fits_phone_width, screenshot
from tests.browser.platform_helpers import running_platform

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

STAFF = "agent.territoire@plainecommune.example"


async def test_the_scenarios_are_compared_on_a_phone(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory, demo_year=True) as platform:
        account = await platform.apps["registry"].state.registry.staff_account(STAFF)
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        cookie = new_session(platform.auth_secret, subject=str(account.id), role="staff")
        await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
        page = await context.new_page()
        start, end = demo_period(date.today())
        await page.goto(f"{platform.url}/equipe/bilan?from={start.isoformat()}&to={end.isoformat()}")
        await expect(
            page.get_by_role("heading", name="Les scénarios de participation comparés")
        ).to_be_visible()
        section = page.locator("main section.comparaisons").first
        await expect(section.get_by_role("heading", level=3)).to_contain_text("Comité technique")
        table = section.get_by_role("table").first
        await expect(table.locator("caption")).to_contain_text("les scénarios comparés")
        await expect(table.get_by_role("columnheader", name="Écart")).to_be_visible()
        await expect(
            table.get_by_role("rowheader", name="Conseils représentés aux instances")
        ).to_be_visible()
        headers = await table.get_by_role("columnheader").all_inner_texts()
        assert any(text.startswith("Référent·e par thématique") for text in headers), headers
        await screenshot(page, "bilan-scenarios")
        assert [v["id"] for v in await accessibility_violations(page)] == []
        await assert_fits_phone_width(page)
        await context.close()
