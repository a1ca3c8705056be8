"""The day in the product (../shared/PRODUCT.md), through the pages, on the
real platform: Kafka, the three services, the site and a real SMTP server.

Staff sign in by emailed link and schedule a comité technique « Emploi » on a
Tuesday at 18:30 in Saint-Denis; the Emploi referent gets the invitation with
its calendar file; she signs in from her phone, registers as observer in one
tap from her agenda; staff publish the dossier (she gets it), record
attendance and publish the minutes. Every page is checked with axe-core."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.platform_helpers import RunningPlatform, running_platform

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

STAFF = "agent.territoire@plainecommune.example"
REFERENT = "aicha.diallo@demo.example"


def tuesday_at_least_21_days_ahead(today: date) -> date:
    day = today + timedelta(days=22)
    return day + timedelta(days=(1 - day.weekday()) % 7)


async def check_page(page: Page, name: str) -> None:
    await screenshot(page, f"journee-{name}")
    assert await page.get_attribute("html", "lang") == "fr"
    assert await serious_accessibility_violations(page) == [], name
    await assert_fits_phone_width(page)


async def sign_in(page: Page, platform: RunningPlatform, address: str, name: str) -> None:
    asked_at = time.time() - 1
    await page.goto(f"{platform.url}/connexion")
    await page.get_by_label("Adresse électronique").fill(address)
    await page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos courriels")
    link = await platform.signin_link(address, after=asked_at)
    await page.goto(link)
    await check_page(page, f"{name}-confirmer-connexion")
    await page.get_by_role("button", name="Me connecter").click()
    await expect(page.get_by_role("status")).to_contain_text("Vous êtes connecté·e")


async def test_a_day_in_the_product(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        staff_context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        phone_context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        staff, phone = await staff_context.new_page(), await phone_context.new_page()

        # 1. Staff schedule a comité technique « Emploi », a Tuesday at 18:30 in Saint-Denis.
        await sign_in(staff, platform, STAFF, "equipe")
        await expect(staff.get_by_role("heading", level=1)).to_have_text("Instances")
        await check_page(staff, "equipe-instances")
        day = tuesday_at_least_21_days_ahead(date.today())
        await staff.get_by_label("Type d'instance").select_option("comite-technique")
        await staff.get_by_label("Thématique (pour un comité thématique)").select_option("emploi")
        await staff.get_by_label("Ville (pour une instance de ville)").select_option("93066")
        await staff.get_by_label("Date").fill(day.isoformat())
        await staff.get_by_label("Début").fill("18:30")
        await staff.get_by_label("Fin").fill("20:30")
        await staff.get_by_label("Lieu").fill("Maison de quartier Franc-Moisin, Saint-Denis")
        await staff.get_by_role("button", name="Vérifier les règles").click()
        await expect(staff.locator("#apercu")).to_contain_text("Vérifiez avant de programmer")
        await check_page(staff, "equipe-apercu")
        await staff.get_by_role("button", name="Confirmer et programmer").click()
        await expect(staff.get_by_role("status")).to_contain_text("Instance programmée")
        instance_url = staff.url
        instance_id = instance_url.rsplit("/", 1)[1]
        await check_page(staff, "equipe-instance")

        # 2. The Emploi referent gets the invitation with its calendar file.
        invitation = await platform.wait_for_mail(
            REFERENT, lambda m: any(kind == "text/calendar" for _n, kind, _d in m.attachments())
        )
        assert instance_id in (invitation.part("text/plain") or "") + (invitation.part("text/html") or "")

        # 3. She signs in on her phone and registers as observer from her agenda.
        await sign_in(phone, platform, REFERENT, "conseillere")
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Mon agenda")
        card = phone.locator(
            ".carte", has=phone.get_by_role("link", name="Comité technique thématique — Emploi")
        )
        starts = datetime(day.year, day.month, day.day, 18, 30, tzinfo=ZoneInfo("Europe/Paris"))
        await expect(card).to_contain_text(f"mardi {day.day}")
        await expect(card).to_contain_text("à 18 h 30")
        await check_page(phone, "conseillere-agenda")
        await card.get_by_role("button", name="Observer").click()
        await expect(phone.get_by_role("status")).to_contain_text(
            "Inscription confirmée comme observateur·rice"
        )
        await check_page(phone, "conseillere-inscrite")
        await phone.goto(f"{platform.url}/instances/{instance_id}")
        await expect(phone.locator("main")).to_contain_text("Aïcha Diallo — observateur·rice")
        await check_page(phone, "conseillere-instance")

        # 4. Staff upload and publish the dossier: she receives it.
        await staff.goto(instance_url)
        await staff.get_by_label("Document à déposer").set_input_files(
            files=[
                {"name": "ordre-du-jour.txt", "mimeType": "text/plain", "buffer": "Ordre du jour\n".encode()}
            ]
        )
        await staff.get_by_role("button", name="Déposer le document").click()
        await expect(staff.get_by_role("status")).to_contain_text("ordre-du-jour.txt")
        await staff.get_by_role("button", name="Publier le dossier").click()
        await expect(staff.get_by_role("status")).to_contain_text("Dossier publié")
        await check_page(staff, "equipe-dossier-publie")
        await platform.wait_for_mail(REFERENT, lambda m: "dossier" in m.subject.lower())
        await phone.goto(f"{platform.url}/instances/{instance_id}")
        await expect(phone.get_by_role("link", name="ordre-du-jour.txt")).to_be_visible()

        # 6. After the instance (the meetings service's clock moves past it), attendance and minutes.
        platform.apps["meetings"].state.service.clock = lambda: starts + timedelta(hours=3)
        await staff.goto(instance_url)
        await staff.get_by_label("Aïcha Diallo (inscrit·e)").check()
        await staff.get_by_role("button", name="Enregistrer la présence").click()
        await expect(staff.get_by_role("status")).to_contain_text("Présence enregistrée (1 présent·es)")
        await staff.get_by_label("Résumé du compte rendu").fill("Le comité a examiné trois projets emploi.")
        await staff.get_by_role("button", name="Publier le compte rendu").click()
        await expect(staff.get_by_role("status")).to_contain_text("Compte rendu publié")
        await check_page(staff, "equipe-compte-rendu")

        await phone.goto(f"{platform.url}/instances/{instance_id}")
        await expect(phone.locator("main")).to_contain_text("Le comité a examiné trois projets emploi.")
        await check_page(phone, "conseillere-compte-rendu")
        await phone.goto(f"{platform.url}/mes-notifications")
        await expect(phone.locator(".carte").first).to_be_visible()
        await check_page(phone, "conseillere-notifications")
        await staff_context.close()
        await phone_context.close()
