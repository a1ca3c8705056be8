"""Lifting the barriers to attending, through the pages, on the real platform (Kafka, the three
services, the site, a real SMTP server), on a 360-pixel phone, every page checked with axe-core:
a councillor registers and says she needs childcare for two children and help with transport;
the organiser sees both on the checklist and books the childcare; the transport still open at
its lead time raises a staff alert. After the instance (attendance recorded) she claims her
childcare cost with a photo of the receipt from her phone (a claim above the cap is refused
with the reason), staff approve it, she sees it approved; she downloads her attestation of
presence, whose code an employer checks on the public page."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from conseils_meetings.service import InstanceDraft
from tests.browser.platform_helpers import RunningPlatform, running_platform
from tests.browser.test_day_in_the_product import REFERENT, STAFF, check_page, sign_in

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def read_bytes(path: Path | str) -> bytes:
    return Path(path).read_bytes()


async def wait_for_text(page: Page, url: str, text: str, timeout: float = 60) -> None:
    """Reload until the page shows `text` (a fact still travelling through Kafka)."""
    deadline = time.monotonic() + timeout
    while True:
        await page.goto(url)
        if text in await page.locator("main").inner_text():
            return
        assert time.monotonic() < deadline, f"{url} never showed {text!r}"
        await page.wait_for_timeout(500)


async def schedule(platform: RunningPlatform) -> tuple[str, datetime]:
    day = date.today() + timedelta(days=10)
    starts = datetime(day.year, day.month, day.day, 18, 30, tzinfo=ZoneInfo("Europe/Paris"))
    service = platform.apps["meetings"].state.service
    detail = await service.create_instance(
        InstanceDraft(
            instance_type="comite-technique",
            title="Comité technique Emploi — freins levés",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location="Maison de quartier Franc-Moisin, Saint-Denis",
            theme="emploi",
        )
    )
    return str(detail.instance.id), starts


async def test_needs_claims_and_attestation_on_a_phone(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        staff_context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        phone_context = await browser.new_context(
            viewport={"width": 360, "height": 740}, locale="fr-FR", accept_downloads=True
        )
        staff, phone = await staff_context.new_page(), await phone_context.new_page()
        instance_id, starts = await schedule(platform)
        instance_url = f"{platform.url}/instances/{instance_id}"
        service = platform.apps["meetings"].state.service

        # 1. She registers, then says what she needs to come.
        await sign_in(phone, platform, REFERENT, "freins-conseillere", start=instance_url)
        await phone.get_by_role("button", name="Participer").click()
        await expect(phone.get_by_role("status")).to_contain_text("Inscription confirmée")
        await phone.get_by_role("link", name="dites ce qu'il vous faut pour venir").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Ce qu'il me faut pour venir")
        await check_page(phone, "freins-besoins")
        await phone.get_by_label("Une garde d'enfants").check()
        await phone.get_by_label("Nombre d'enfants").fill("2")
        await phone.get_by_label("Âge de chaque enfant").fill("3, 7")
        await phone.get_by_label("Une aide pour le transport").check()
        await phone.get_by_role("button", name="Enregistrer mes besoins").click()
        await expect(phone.get_by_role("status")).to_contain_text("Vos besoins sont enregistrés")
        await expect(phone.locator("#besoins + ul")).to_contain_text("2 enfants (3, 7 ans)")
        await check_page(phone, "freins-instance-besoins")

        # 2. The organiser sees the checklist and books the childcare.
        await sign_in(staff, platform, STAFF, "freins-equipe")
        await staff.goto(f"{platform.url}/equipe/instances/{instance_id}/besoins")
        childcare = staff.locator(".carte", has_text="Garde d'enfants")
        await expect(childcare).to_contain_text("Aïcha Diallo")
        await expect(childcare).to_contain_text("2 enfants : 3, 7 ans")
        await expect(childcare).to_contain_text("Pas encore réservé")
        await check_page(staff, "freins-equipe-besoins")
        await childcare.get_by_role("button", name="Marquer réservé").click()
        await expect(staff.get_by_role("status")).to_contain_text("Besoin marqué réservé.")
        await expect(staff.locator(".carte", has_text="Garde d'enfants")).to_contain_text("Réservé")

        # 3. Four days before, the transport (5 days ahead) is still open: a staff alert.
        service.clock = lambda: starts - timedelta(days=4)
        assert await service.alert_unbooked_needs() == 1
        await wait_for_text(staff, f"{platform.url}/equipe/alertes", "aide au transport")

        # 4. After the instance: attendance recorded, she claims her childcare from her phone.
        service.clock = lambda: starts + timedelta(hours=3)
        await staff.goto(f"{platform.url}/equipe/instances/{instance_id}")
        await staff.get_by_label("Aïcha Diallo (inscrit·e)").check()
        await staff.get_by_role("button", name="Enregistrer la présence").click()
        await expect(staff.get_by_role("status")).to_contain_text("Présence enregistrée")
        await phone.goto(instance_url)
        began = time.monotonic()
        await phone.get_by_role("link", name="Demander le remboursement de frais").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Demander un remboursement")
        await check_page(phone, "freins-remboursement")
        await phone.get_by_role("radio", name=re.compile("^Garde d'enfants")).check()
        await phone.get_by_label("Montant payé, en euros").fill("80")
        await phone.get_by_label("Heures de garde").fill("3")
        receipt = FilePayload(name="ticket.png", mimeType="image/png", buffer=PNG)
        await phone.get_by_label("Justificatif").set_input_files(receipt)
        await phone.get_by_role("button", name="Envoyer ma demande").click()
        await expect(phone.get_by_role("alert")).to_contain_text("plafond : 54,00 €")
        await check_page(phone, "freins-remboursement-refuse")
        await phone.get_by_label("Montant payé, en euros").fill("45,00")
        await phone.get_by_label("Justificatif").set_input_files(receipt)
        await phone.get_by_role("button", name="Envoyer ma demande").click()
        await expect(phone.get_by_role("status")).to_contain_text("Demande envoyée")
        assert time.monotonic() - began < 120  # one short form, well under two minutes
        await expect(phone.locator(".carte").first).to_contain_text("en attente de décision")
        await check_page(phone, "freins-mes-remboursements")

        # 5. Staff approve; she sees it approved on Mes inscriptions.
        await staff.goto(f"{platform.url}/equipe/remboursements?statut=submitted")
        card = staff.locator(".carte", has_text="Aïcha Diallo")
        await expect(card).to_contain_text("45,00 €")
        await check_page(staff, "freins-equipe-remboursements")
        await card.get_by_role("button", name="Approuver").click()
        await expect(staff.get_by_role("status")).to_contain_text("Demande approuvée.")
        await phone.goto(f"{platform.url}/mes-inscriptions")
        await expect(phone.locator("main")).to_contain_text("approuvée")

        # 6. Her attestation of presence, and its code checked by an employer (signed out).
        await phone.goto(instance_url)
        async with phone.expect_download() as download_info:
            await phone.get_by_role("link", name="Télécharger mon attestation de présence").click()
        pdf = read_bytes(await (await download_info.value).path())
        assert pdf.startswith(b"%PDF-")
        match = re.search(rb"/Keywords \(([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})\)", pdf)
        assert match, "the verification code is in the PDF"
        employer = await (
            await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        ).new_page()
        await employer.goto(f"{platform.url}/attestation/verifier")
        await employer.get_by_label("Code de vérification").fill(match.group(1).decode())
        await employer.get_by_label("Nom imprimé").fill("Aïcha Diallo")
        await employer.get_by_role("button", name="Vérifier").click()
        await expect(employer.get_by_role("status")).to_contain_text("Attestation authentique")
        await expect(employer.get_by_role("status")).to_contain_text("Le nom correspond")
        await check_page(employer, "freins-attestation-verifiee")
        await staff_context.close()
        await phone_context.close()
