"""The demo mailbox tells the true number of messages, shows them 50 a page with « Plus
anciens » / « Plus récents » links, and filters them by recipient; the sign-in page links to
the mailbox filtered on the address just typed, so that the sign-in mail is not buried
under the hundreds of mails the demo year sends at start-up."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from conseils_web.mailbox import mailbox_page
from conseils_web.security import CSRF_COOKIE
from tests.web.helpers import CSRF_SEED, build_site, csrf_for

SOPHIE = "sophie.nguyen@demo.example"


def store(directory: Path, number: int, to: str, subject: str, tag: str = "") -> None:
    message = EmailMessage()
    message["From"] = "conseils@plainecommune.example"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Bonjour.\n" * 50)
    # names sort by arrival time, as the mail catcher writes them
    (directory / f"{1_700_000_000_000_000_000 + number}-{tag or f'{number:08x}'}.eml").write_bytes(
        bytes(message)
    )


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "mail"
    directory.mkdir()
    for number in range(235):  # the demo year's replay
        store(directory, number, f"membre{number % 40}@demo.example", f"Invitation n° {number}")
    store(directory, 10, SOPHIE, "Votre lien de connexion", tag="5091e")  # early, buried under 224 newer ones
    return directory


@pytest.fixture
async def client(tmp_path: Path, mail_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = build_site(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client


def subjects(html: str) -> list[str]:
    return re.findall(r'<a href="/courriels/[0-9a-f-]+">([^<]+)</a>', html)


async def test_the_true_count_and_pages_of_fifty(client: httpx.AsyncClient) -> None:
    first = await client.get("/courriels")
    assert first.status_code == 200
    assert "236 messages, du plus récent au plus ancien, n° 1 à 50 (page 1 sur 5)" in first.text
    listed = subjects(first.text)
    assert len(listed) == 50
    assert listed[0] == "Invitation n° 234"
    assert '<nav aria-label="Pages des courriels">' in first.text
    assert '<a href="/courriels?page=2" rel="next">Plus anciens →</a>' in first.text
    assert "Plus récents" not in first.text

    last = await client.get("/courriels?page=5")
    assert "n° 201 à 236 (page 5 sur 5)" in last.text
    assert len(subjects(last.text)) == 36
    assert subjects(last.text)[-1] == "Invitation n° 0"
    assert '<a href="/courriels?page=4" rel="prev">← Plus récents</a>' in last.text
    assert "Plus anciens" not in last.text
    beyond = await client.get("/courriels?page=99")  # a page past the end shows the last one
    assert "(page 5 sur 5)" in beyond.text
    assert (await client.get("/courriels?page=abc")).status_code == 200


async def test_filter_by_recipient_keeps_the_filter_across_pages(client: httpx.AsyncClient) -> None:
    page = await client.get("/courriels", params={"destinataire": " Sophie.Nguyen@demo.example "})
    assert page.status_code == 200
    assert subjects(page.text) == ["Votre lien de connexion"]
    assert "1 message pour « Sophie.Nguyen@demo.example », du plus récent au plus ancien" in page.text
    assert '<label for="destinataire">Adresse du destinataire</label>' in page.text
    assert 'value="Sophie.Nguyen@demo.example"' in page.text
    assert '<a href="/courriels">Voir tous les courriels</a>' in page.text

    member = await client.get("/courriels", params={"destinataire": "membre1@demo.example"})
    # membre1, membre10 … membre19: 11 addresses of 40, 6 mails each at most
    assert "pour « membre1@demo.example »" in member.text
    many = await client.get("/courriels", params={"destinataire": "demo.example"})
    assert "236 messages pour « demo.example »" in many.text
    assert 'href="/courriels?destinataire=demo.example&amp;page=2" rel="next"' in many.text

    nobody = await client.get("/courriels", params={"destinataire": "personne@nulle-part.example"})
    assert "Aucun courriel pour « personne@nulle-part.example »" in nobody.text


async def test_sign_in_page_links_to_the_mailbox_filtered_on_the_address(client: httpx.AsyncClient) -> None:
    sent = await client.post("/connexion", data={"email": SOPHIE, "csrf": csrf_for(), "suite": ""})
    assert sent.status_code == 200
    link = re.search(r'<a href="(/courriels\?[^"]+)">les courriels reçus par cette adresse</a>', sent.text)
    assert link, sent.text
    assert link.group(1) == "/courriels?destinataire=sophie.nguyen%40demo.example"
    mailbox = await client.get(link.group(1))
    assert subjects(mailbox.text) == ["Votre lien de connexion"]


def test_mailbox_page_counts_every_file(mail_dir: Path) -> None:
    found = mailbox_page(mail_dir, page=2, size=100)
    assert (found.total, found.offset, found.page, found.pages, len(found.mails)) == (236, 100, 2, 3, 100)
