"""The demo mailbox works as a mail client: on the real platform, a councillor asks for her
sign-in link, opens it in « Courriels reçus », clicks « Me connecter » in the formatted mail
(the link leaves the sandboxed frame and opens the site's page at the top level), confirms,
and lands signed in on her agenda. The text version's address is a link too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.platform_helpers import running_platform

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

SOPHIE = "sophie.nguyen@demo.example"


async def test_one_click_on_the_mailed_link_signs_in(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        page = await context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))

        await page.goto(f"{platform.url}/connexion")
        await page.get_by_label("Adresse électronique").fill(SOPHIE)
        await page.get_by_role("button", name="Recevoir mon lien de connexion").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos courriels")
        await platform.wait_for_mail(SOPHIE, lambda m: "connexion" in m.subject, timeout=30)

        await page.goto(f"{platform.url}/courriels")
        await page.get_by_role("link", name=re.compile("Votre lien de connexion")).first.click()
        await page.wait_for_url("**/courriels/*")
        text_link = page.locator("pre").get_by_role("link")
        await expect(text_link).to_have_attribute("href", re.compile(r"/connexion/[A-Za-z0-9_-]+$"))
        await screenshot(page, "courriel-lien-de-connexion")
        assert await serious_accessibility_violations(page) == []
        await assert_fits_phone_width(page)

        await page.frame_locator("iframe.courriel").get_by_role("link", name="Me connecter").click()
        await page.wait_for_url("**/connexion/*")  # the whole page, not the frame
        await expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer la connexion")
        await page.get_by_role("button", name="Me connecter").click()
        await page.wait_for_url("**/agenda")
        await expect(page.get_by_role("status")).to_contain_text("Vous êtes connecté·e")
        assert not [text for text in console if "sandboxed" in text]
        await context.close()
