"""The community pages in Chromium on a 360-pixel phone, on the real platform (Kafka, the
three services, the site), reached from the menu: outcomes (a proposal of the forum with its
status history opened, a commitment), the councils of the territory (she chooses to show her
name), the directory seeded from the territory file (a search). French, axe-core finds no
violation, no page scrolls sideways."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

JULIE = "julie.moreau@demo.example"  # Aubervilliers; Saint-Denis's habitat referent shows no name


async def check_page(page: Page, name: str, heading: str) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert await page.get_attribute("html", "lang") == "fr"
    await screenshot(page, f"communaute-{name}")
    assert await serious_accessibility_violations(page) == [], name
    await assert_fits_phone_width(page)


async def test_outcomes_councils_and_directory_from_the_menu_on_a_phone(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        forum = await services.schedule(
            instance_type="forum",
            title="Forum des conseils citoyens",
            location="Bourse du travail, Saint-Denis",
            starts_at=tuesday_evening(35),
        )
        proposal = await services.outcome(
            kind="proposal",
            text="Ouvrir la maison de quartier le samedi",
            made_by="Conseil citoyen Franc-Moisin – Bel-Air",
            made_on=date.today().isoformat(),
            instance_id=forum,
            theme="animation",
        )
        await services.outcome_status(proposal, "in_progress", "Budget voté")
        await services.outcome(
            kind="commitment",
            text="Tenir les comités thématiques en soirée",
            made_by="Vice-président·e à la politique de la ville",
            made_on=date.today().isoformat(),
        )
        julie = await services.member(JULIE)
        cookie = new_session(
            platform.auth_secret, subject=julie["id"], role="councillor", council_id=julie["council_id"]
        )
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        try:
            await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
            phone = await context.new_page()
            await phone.goto(f"{platform.url}/agenda")
            menu = phone.get_by_role("navigation", name="Menu principal")

            await menu.get_by_role("link", name="Propositions et engagements").click()
            await check_page(phone, "propositions", "Propositions et engagements")
            card = phone.locator(".carte", has_text="Ouvrir la maison de quartier le samedi")
            await card.locator("summary").click()
            await expect(card).to_contain_text("en cours — Budget voté")
            await expect(card.get_by_role("link", name="Forum des conseils citoyens")).to_be_visible()
            await expect(phone.get_by_role("main")).to_contain_text("Tenir les comités thématiques en soirée")
            await check_page(phone, "propositions-historique", "Propositions et engagements")
            download = phone.get_by_role(
                "link", name="Télécharger le tableau de synthèse (CSV, pour un tableur)"
            )
            href = await download.get_attribute("href")
            assert href == "/propositions-et-engagements/tableau-de-synthese.csv"
            table = await phone.request.get(platform.url + href)
            assert "Ouvrir la maison de quartier le samedi" in await table.text()
            ods = phone.get_by_role("link", name="Télécharger le tableau de synthèse (ODS, pour LibreOffice)")
            ods_file = await phone.request.get(platform.url + (await ods.get_attribute("href") or ""))
            assert ods_file.ok
            assert (await ods_file.body()).startswith(b"PK")

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
            await expect(phone.get_by_role("status")).to_contain_text("fiche")
            await expect(
                phone.get_by_role("heading", name="Préfecture de la Seine-Saint-Denis – délégués du préfet")
            ).to_be_visible()
            await check_page(phone, "annuaire-recherche", "Annuaire du territoire")
        finally:
            await context.close()
