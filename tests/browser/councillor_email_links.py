"""Part of the day in the product (test_day_in_the_product): registering from the email in
two clicks, signed out, on a 360-pixel phone, then the waiting list moving by email alone.

Staff schedule a second comité technique « Emploi » (one participant seat per council).
Fatou Sow opens « Je participe » from her invitation: the page says what will happen, one
button, « Inscription confirmée ». Aïcha Diallo (same council) does the same: the page warns
of the waiting list, she is on it (rang 1). Fatou's confirmation mail carries « Je ne viens
plus »: two clicks and her seat is free; Aïcha is promoted and finds the mail, with the
calendar invitation and her own « Je ne viens plus ». A tampered link changes nothing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date

from playwright.async_api import Browser, Page, expect

from conseils_web.mailbox import StoredMail
from tests.browser.platform_helpers import RunningPlatform

FATOU = "fatou.sow@demo.example"
AICHA = "aicha.diallo@demo.example"
Check = Callable[[Page, str], Awaitable[None]]
TITLE = "Comité technique thématique de Saint-Denis — Emploi, insertion et développement économique"


def action_link(mail: StoredMail, label: str) -> str:
    """The address after « - <label> : » in the mail's text part."""
    text = mail.part("text/plain") or ""
    match = re.search(rf"^- {re.escape(label)} : (\S+)", text, re.M)
    assert match, f"no « {label} » link in: {text}"
    html = mail.part("text/html") or ""
    assert match.group(1) in html  # the same link is a button in the HTML part
    return match.group(1)


async def schedule(platform: RunningPlatform, staff: Page, day: date) -> str:
    await staff.goto(f"{platform.url}/equipe/instances")
    await staff.get_by_label("Type d'instance").select_option("comite-technique")
    await staff.get_by_label("Thématique (pour un comité thématique)").select_option("emploi")
    await staff.get_by_label("Ville (pour une instance de ville)").select_option("93066")
    await staff.get_by_label("Date").fill(day.isoformat())
    await staff.get_by_label("Début").fill("18:30")
    await staff.get_by_label("Fin").fill("20:30")
    await staff.get_by_label("Lieu").fill("Maison de l'emploi, Saint-Denis")
    await staff.get_by_role("button", name="Vérifier les règles").click()
    await staff.get_by_role("button", name="Confirmer et programmer").click()
    await expect(staff.get_by_role("status")).to_contain_text("Instance programmée")
    return staff.url.rsplit("/", 1)[1]


async def two_clicks(page: Page, url: str, button: str, check: Check, name: str) -> None:
    """Click 1: the email's link. Click 2: the one confirm button."""
    await page.goto(url)
    await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(page.get_by_role("button")).to_have_count(1)
    await check(page, f"lien-{name}")
    await page.get_by_role("button", name=button).click()


async def registers_from_the_email(
    platform: RunningPlatform, browser: Browser, staff: Page, day: date, check: Check
) -> None:
    instance_id = await schedule(platform, staff, day)

    def about(mail: StoredMail) -> bool:
        return instance_id in (mail.part("text/plain") or "")

    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    phone = await context.new_page()  # signed out: the link is the credential for that one action

    invitation = await platform.wait_for_mail(
        FATOU, lambda m: about(m) and m.subject.startswith("Nouvelle instance")
    )
    await two_clicks(
        phone, action_link(invitation, "Je participe"), "Confirmer : je participe", check, "participer"
    )
    await expect(phone.get_by_role("status")).to_contain_text("Inscription confirmée comme participant·e")
    await expect(phone.get_by_role("main")).to_contain_text("Vous êtes inscrit·e comme participant·e.")
    # No second confirm button: the one left asks what she needs to come (issue 19).
    await expect(phone.get_by_role("button", name="Confirmer : je participe")).to_have_count(0)
    await expect(phone.get_by_role("button")).to_have_text(["Enregistrer mes besoins"])
    assert not [c for c in await context.cookies() if c["name"] == "conseils_session"]  # no session opened

    invitation = await platform.wait_for_mail(
        AICHA, lambda m: about(m) and m.subject.startswith("Nouvelle instance")
    )
    await phone.goto(action_link(invitation, "Je participe"))
    await expect(phone.get_by_role("main")).to_contain_text("liste d'attente")  # said before confirming
    await phone.get_by_role("button", name="Confirmer : je participe").click()
    await expect(phone.get_by_role("status")).to_contain_text("liste d'attente (rang 1)")

    confirmed = await platform.wait_for_mail(
        FATOU, lambda m: about(m) and m.subject.startswith("Inscription confirmée")
    )
    await two_clicks(
        phone,
        action_link(confirmed, "Je ne viens plus"),
        "Confirmer : je ne viens plus",
        check,
        "ne-viens-plus",
    )
    await expect(phone.get_by_role("status")).to_contain_text("Inscription annulée")

    promoted = await platform.wait_for_mail(AICHA, lambda m: about(m) and "place s'est libérée" in m.subject)
    assert any(kind == "text/calendar" for _n, kind, _d in promoted.attachments())
    withdraw = action_link(promoted, "Je ne viens plus")

    await phone.goto(withdraw[:-4] + ("AAAA" if not withdraw.endswith("AAAA") else "BBBB"))
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Ce lien n'est pas valide")
    await expect(phone.get_by_role("main")).to_contain_text("Rien n'a été changé")
    await check(phone, "lien-invalide")
    await phone.goto(withdraw)
    await expect(phone.get_by_role("main")).to_contain_text("Vous êtes inscrit·e comme participant·e.")
    await context.close()
