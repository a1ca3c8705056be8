"""The public page of a council on the real platform, signed out, in Chromium at 360 px: the
council and its neighbourhood, its referents not named (the page says why), its opinions and the
commitments made to it; it fits the phone and axe-core finds no violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import accessibility_violations, assert_fits_phone_width, screenshot
from tests.browser.platform_helpers import running_platform

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]


async def test_a_council_s_public_page_signed_out_on_a_phone(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        page = await context.new_page()
        answer = await page.goto(f"{platform.url}/conseils/saint-denis-franc-moisin")
        assert answer is not None
        assert answer.status == 200
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Conseil citoyen Franc-Moisin – Bel-Air"
        )
        await expect(page.locator("main")).to_contain_text("Franc-Moisin – Bel-Air (démo)")
        await expect(page.get_by_role("heading", name="Ses référent·es")).to_be_visible()
        await expect(page.locator("main")).to_contain_text(
            "aucun·e n'a donné son accord pour une page publique"
        )
        await expect(page.get_by_role("heading", name="Ses avis")).to_be_visible()
        await expect(page.get_by_role("heading", name="Les engagements pris envers lui")).to_be_visible()
        await expect(page.get_by_role("link", name="Se connecter")).to_be_visible()  # signed out
        await screenshot(page, "conseil-public")
        assert await page.get_attribute("html", "lang") == "fr"
        assert [v["id"] for v in await accessibility_violations(page)] == []
        await assert_fits_phone_width(page)
        missing = await page.goto(f"{platform.url}/conseils/nulle-part")
        assert missing is not None
        assert missing.status == 404
        await context.close()
