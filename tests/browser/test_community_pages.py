"""The community pages in Chromium on a 360-pixel phone, reached from the menu: outcomes (with
a status history opened), the councils of the territory (she chooses to show her name), the
directory (a search). French, axe-core finds no violation, no page scrolls sideways."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, expect

from conseils_web.mailbox import _free_port
from conseils_web.security import SESSION_COOKIE
from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.web.helpers import build_site, session_for
from tests.web.test_community_pages import FakeServices


@pytest.fixture
async def site_url(tmp_path: Path) -> AsyncIterator[str]:
    app = build_site(tmp_path, FakeServices())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def check_page(page: Page, name: str, heading: str) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert await page.get_attribute("html", "lang") == "fr"
    await screenshot(page, f"communaute-{name}")
    assert await serious_accessibility_violations(page) == [], name
    await assert_fits_phone_width(page)


async def test_outcomes_councils_and_directory_from_the_menu_on_a_phone(
    browser: Browser, site_url: str
) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    try:
        await context.add_cookies(
            [{"name": SESSION_COOKIE, "value": session_for("councillor"), "url": site_url}]
        )
        phone = await context.new_page()
        await phone.goto(f"{site_url}/agenda")
        menu = phone.get_by_role("navigation", name="Menu principal")

        await menu.get_by_role("link", name="Propositions et engagements").click()
        await check_page(phone, "propositions", "Propositions et engagements")
        card = phone.locator(".carte", has_text="Ouvrir la maison de quartier le samedi")
        await card.locator("summary").click()
        await expect(card).to_contain_text("lundi 2 novembre 2026 : en cours — Budget voté")
        await expect(card.get_by_role("link", name="Forum des conseils citoyens")).to_be_visible()
        await check_page(phone, "propositions-historique", "Propositions et engagements")
        download = phone.get_by_role("link", name="Télécharger le tableau de synthèse (CSV, pour un tableur)")
        await expect(download).to_have_attribute(
            "href", "/propositions-et-engagements/tableau-de-synthese.csv"
        )

        await menu.get_by_role("link", name="Les conseils").click()
        await check_page(phone, "conseils", "Les conseils du territoire")
        await expect(phone.get_by_role("main")).to_contain_text(
            "Habitat et cadre de vie — nom non communiqué"
        )
        await phone.get_by_role("button", name="Montrer mon nom aux autres conseils").click()
        await expect(phone.get_by_role("status")).to_contain_text("Votre nom est désormais montré")
        await expect(phone.get_by_role("button", name="Ne plus montrer mon nom")).to_be_visible()
        await check_page(phone, "conseils-nom-montre", "Les conseils du territoire")

        await menu.get_by_role("link", name="Annuaire").click()
        await check_page(phone, "annuaire", "Annuaire du territoire")
        await phone.get_by_label("Rechercher").fill("préfecture")
        await phone.get_by_label("Rubrique").select_option("partners")
        await phone.get_by_role("button", name="Rechercher").click()
        await expect(phone.get_by_role("status")).to_contain_text("1 fiche trouvée.")
        await expect(
            phone.get_by_role("heading", name="Préfecture de la Seine-Saint-Denis – délégués du préfet")
        ).to_be_visible()
        await check_page(phone, "annuaire-recherche", "Annuaire du territoire")
    finally:
        await context.close()
