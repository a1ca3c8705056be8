"""The site in front of the services: French pages, the demo mailbox fed by
a real SMTP exchange, and French errors instead of stack traces."""

from __future__ import annotations

import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.mailbox import MailCatcher
from conseils_web.site import ServiceEndpoint, create_site


@pytest.fixture
def mailbox(tmp_path: Path) -> AsyncIterator[Path]:
    directory = tmp_path / "mail"
    catcher = MailCatcher(directory)
    catcher.start()
    try:
        message = EmailMessage()
        message["From"] = "conseils@plainecommune.example"
        message["To"] = "aicha.diallo@demo.example"
        message["Subject"] = "Comité technique « Emploi » le 8 décembre"
        message.set_content("Bonjour, vous êtes invitée.")
        message.add_alternative("<p>Bonjour, vous êtes <strong>invitée</strong>.</p>", subtype="html")
        message.add_attachment(
            b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            maintype="text",
            subtype="calendar",
            filename="invitation.ics",
        )
        with smtplib.SMTP("127.0.0.1", catcher.port) as client:
            client.send_message(message)
        yield directory
    finally:
        catcher.stop()


@pytest.fixture
async def site(mailbox: Path) -> AsyncIterator[httpx.AsyncClient]:
    territory = load_territory(default_territory_path())
    unreachable = [ServiceEndpoint("registry", "Registre", "http://127.0.0.1:9")]
    app = create_site(territory, unreachable, mailbox)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_home_page_is_french_and_lists_demo_accounts(site: httpx.AsyncClient) -> None:
    response = await site.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Aller au contenu" in response.text
    assert "aicha.diallo@demo.example" in response.text
    assert "Emploi, insertion et développement économique" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_mailbox_shows_received_mail_with_both_parts_and_attachment(site: httpx.AsyncClient) -> None:
    listing = await site.get("/courriels")
    assert "Comité technique « Emploi » le 8 décembre" in listing.text
    mail_id = listing.text.split('href="/courriels/')[1].split('"')[0]
    detail = await site.get(f"/courriels/{mail_id}")
    assert detail.status_code == 200
    assert "Bonjour, vous êtes invitée." in detail.text
    assert "sandbox" in detail.text  # the HTML part cannot run scripts
    attachment = await site.get(f"/courriels/{mail_id}/pieces/0")
    assert attachment.headers["content-type"].startswith("text/calendar")
    assert attachment.content.startswith(b"BEGIN:VCALENDAR")


async def test_unknown_pages_and_mails_get_a_french_404(site: httpx.AsyncClient) -> None:
    for path in ("/nulle-part", "/courriels/../../etc/passwd", "/courriels/999", "/api/inconnu/x"):
        response = await site.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.text


async def test_unreachable_service_gives_a_french_503(site: httpx.AsyncClient) -> None:
    response = await site.get("/api/registry/councils")
    assert response.status_code == 503
    assert response.json()["detail"] == "Service momentanément indisponible."
    status = await site.get("/etat")
    assert "Indisponible" in status.text
