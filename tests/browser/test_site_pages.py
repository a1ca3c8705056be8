"""The site's pages in a real browser on a phone-sized screen: French,
accessible (axe-core: no serious or critical violation), no horizontal scroll."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Page

from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.mailbox import MailCatcher, _free_port
from conseils_web.site import ServiceEndpoint, create_site
from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations


@pytest.fixture
async def site_url(tmp_path: Path) -> AsyncIterator[str]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    message = EmailMessage()
    message["From"] = "conseils@plainecommune.example"
    message["To"] = "karim.haddad@demo.example"
    message["Subject"] = "Nouvelle instance : comité de pilotage"
    message.set_content("Bonjour,\nUn comité de pilotage est programmé.")
    message.add_alternative("<p>Bonjour,</p><p>Un comité de pilotage est programmé.</p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", catcher.port) as client:
        client.send_message(message)
    port = _free_port()
    app = create_site(
        load_territory(default_territory_path()),
        [ServiceEndpoint("registry", "Registre", "http://127.0.0.1:9")],
        tmp_path / "mail",
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        catcher.stop()


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Les conseils citoyens dans les instances du contrat de ville"),
        ("/courriels", "Courriels reçus"),
        ("/etat", "État des services"),
        ("/page-qui-n-existe-pas", "Page introuvable"),
        ("/connexion", "Connexion"),
        ("/agenda", "Connexion"),  # signed-out visitors are sent to sign in first
        ("/connexion/lien-inconnu", "Lien expiré ou déjà utilisé"),
        ("/deconnexion", "Les conseils citoyens dans les instances du contrat de ville"),
    ],
)
async def test_page_is_french_accessible_and_fits_a_phone(
    phone: Page, site_url: str, path: str, heading: str
) -> None:
    await phone.goto(site_url + path)
    assert await phone.get_attribute("html", "lang") == "fr"
    assert (await phone.locator("h1").inner_text()).strip() == heading
    await screenshot(phone, f"site{path}")
    assert await serious_accessibility_violations(phone) == []
    await assert_fits_phone_width(phone)


async def test_reading_a_received_mail_takes_one_tap_from_the_list(phone: Page, site_url: str) -> None:
    await phone.goto(site_url + "/courriels")
    await phone.get_by_role("link", name="Nouvelle instance : comité de pilotage").click()
    await phone.wait_for_url("**/courriels/*")
    assert "Un comité de pilotage est programmé." in await phone.locator("pre").inner_text()
    await screenshot(phone, "site-courriel")
    assert await serious_accessibility_violations(phone) == []
    await phone.keyboard.press("Tab")
    assert await phone.evaluate("document.activeElement.textContent") == "Aller au contenu"


async def test_signin_form_shows_an_error_summary_linked_to_the_field(phone: Page, site_url: str) -> None:
    await phone.goto(site_url + "/connexion")
    await phone.get_by_label("Adresse électronique").fill("pas-une-adresse")
    await phone.get_by_role("button", name="Recevoir mon lien de connexion").click()
    summary = phone.get_by_role("alert")
    assert "Saisissez une adresse électronique valide" in await summary.inner_text()
    assert await phone.get_by_label("Adresse électronique").get_attribute("aria-invalid") == "true"
    await screenshot(phone, "site-connexion-erreur")
    assert await serious_accessibility_violations(phone) == []
    await summary.get_by_role("link").click()
    assert await phone.evaluate("document.activeElement.id") == "email"
