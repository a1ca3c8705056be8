"""« Mon historique » against a fake meetings service: the site asks for the
signed-in councillor's own history with her own token, and says in words how
each past instance went for her (present, absent though registered, not
registered), with the minutes; her registrations over time in a real table."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, expect

from conseils_runtime.auth import verify_token
from conseils_web.clients.meetings import HistoryInstance
from conseils_web.mailbox import _free_port
from conseils_web.my_pages import history_labels
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.browser.conftest import (
    assert_fits_phone_width,
    browser,  # noqa: F401 - the browser fixture, shared with tests/browser
    screenshot,
    serious_accessibility_violations,
)
from tests.web.helpers import CSRF_SEED, MEMBER_ID, SECRET, build_site, session_for

HELD = "00000000-0000-0000-0000-0000000000b1"
MISSED = "00000000-0000-0000-0000-0000000000b2"
NOT_MINE = "00000000-0000-0000-0000-0000000000b3"
CANCELLED = "00000000-0000-0000-0000-0000000000b4"
UPCOMING = "00000000-0000-0000-0000-0000000000b5"
DOCUMENT = "00000000-0000-0000-0000-0000000000d1"


def past(instance_id: str, title: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": instance_id,
        "instance_type": "comite-technique",
        "instance_type_name": "Comité technique thématique",
        "title": title,
        "theme": "emploi",
        "starts_at": "2027-03-16T17:30:00+00:00",
        "ends_at": "2027-03-16T19:30:00+00:00",
        "location": "Maison de quartier",
        "status": status,
        "held_at": None,
        "cancelled_at": None,
        "cancel_reason": None,
        "registration": None,
        "present": None,
        "participation": "not_registered",
        "minutes_summary": None,
        "minutes_published_at": None,
        "minutes_documents": [],
        **extra,
    }


def registration(instance_id: str, title: str, mode: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "instance_id": instance_id,
        "member_id": str(MEMBER_ID),
        "council_id": str(uuid.uuid4()),
        "mode": mode,
        "status": status,
        "position": None,
        "created_at": "2027-03-01T09:00:00+00:00",
        "updated_at": "2027-03-01T09:00:00+00:00",
        "title": title,
        "starts_at": "2027-03-16T17:30:00+00:00",
        "instance_status": "held",
        **extra,
    }


HISTORY: dict[str, Any] = {
    "instances": [
        past(
            HELD,
            "Comité technique — Emploi",
            "minutes_published",
            registration={"mode": "participant", "status": "confirmed"},
            present=True,
            participation="present",
            minutes_summary="Trois projets retenus <b>sans</b> balise.",
            minutes_published_at="2027-03-20T10:00:00+00:00",
            minutes_documents=[
                {
                    "id": DOCUMENT,
                    "kind": "minutes",
                    "filename": "compte-rendu.pdf",
                    "media_type": "application/pdf",
                    "size_bytes": 2048,
                    "sha256": "0" * 64,
                    "version": 1,
                    "uploaded_at": "2027-03-19T10:00:00+00:00",
                    "published_at": "2027-03-20T10:00:00+00:00",
                    "download_url": f"/documents/{DOCUMENT}/download",
                }
            ],
        ),
        past(
            MISSED,
            "Comité de pilotage",
            "held",
            registration={"mode": "observer", "status": "confirmed"},
            present=False,
            participation="absent",
        ),
        past(NOT_MINE, "CLIP Saint-Denis", "held", present=False),
        past(
            CANCELLED,
            "Atelier cadre de vie",
            "cancelled",
            registration={"mode": "participant", "status": "confirmed"},
            participation="registered",
            cancel_reason="salle indisponible",
        ),
    ],
    "registrations": [
        registration(UPCOMING, "Comité à venir", "participant", "waitlisted", position=2),
        registration(HELD, "Comité technique — Emploi", "participant", "confirmed"),
        registration(MISSED, "Comité de pilotage", "observer", "confirmed"),
        registration(
            CANCELLED, "Atelier cadre de vie", "participant", "confirmed", instance_status="cancelled"
        ),
    ],
}


class FakeMeetings:
    def __init__(self, history: dict[str, Any]) -> None:
        self.history = history
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        principal = verify_token(
            SECRET,
            request.headers["authorization"].removeprefix("Bearer "),
            audience=request.url.host.split(".")[0],  # a token minted for the service called
        )
        self.calls.append((f"{request.url.host}{request.url.path}", principal.subject))
        if request.url.path == "/me/history":
            return httpx.Response(200, json=self.history)
        if request.url.path in ("/instances", "/me/registrations"):
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"detail": "Introuvable."})


async def page_client(tmp_path: Path, fake: FakeMeetings) -> AsyncIterator[httpx.AsyncClient]:
    app = build_site(tmp_path, fake)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("councillor"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client


@pytest.fixture
async def signed_in(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeMeetings]]:
    fake = FakeMeetings(HISTORY)
    async for client in page_client(tmp_path, fake):
        yield client, fake


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="carte">(.*?)</li>\s*(?=<li class="carte">|</ul>)', main_of(html), re.S)


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


async def test_history_page_says_how_each_past_instance_went(
    signed_in: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, fake = signed_in
    page = await client.get("/mon-historique")
    assert page.status_code == 200
    assert fake.calls == [("meetings.test/me/history", str(MEMBER_ID))]  # her own token, her own history
    html = page.text
    assert "<title>Mon historique · conseils" in html
    assert re.search(r"<h1>Mon historique</h1>", html)
    assert '<h2 id="instances-passees">Instances passées</h2>' in html
    assert '<h2 id="inscriptions">Mes inscriptions au fil du temps</h2>' in html
    assert '<a href="/mon-historique" aria-current="page">Mon historique</a>' in html
    assert "Présent·e à 1 instance sur 3 tenues." in text(html)

    held, missed, not_mine, cancelled = (text(card) for card in cards(html))
    assert held.startswith("Comité technique — Emploi mardi 16 mars 2027 à 18 h 30")
    assert "Instance Tenue, compte rendu publié" in held
    assert "Mon inscription Inscrit·e comme participant·e" in held
    assert "Ma présence Présent·e" in held
    assert "Compte rendu : Comité technique — Emploi (publié le samedi 20 mars 2027 à 11 h)" in held
    assert "Compte rendu de Comité technique — Emploi : compte-rendu.pdf (2 Ko)" in held
    assert "Mon inscription Inscrit·e comme observateur·rice" in missed
    assert "Ma présence Absent·e (inscrit·e)" in missed
    assert "Compte rendu" not in missed
    assert "Mon inscription Non inscrit·e" in not_mine
    assert "Ma présence Absent·e" in not_mine
    assert "Instance Annulée : salle indisponible" in cancelled
    assert "Ma présence" not in cancelled
    # links: the instance page, and the minutes through the site's document route
    assert f'<a href="/instances/{HELD}">Comité technique — Emploi</a>' in html
    assert f'<a href="/documents/{DOCUMENT}">Compte rendu' in html
    # the summary is text, never markup
    assert "Trois projets retenus &lt;b&gt;sans&lt;/b&gt; balise." in html


async def test_registrations_over_time_are_a_real_table(
    signed_in: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, _fake = signed_in
    html = main_of((await client.get("/mon-historique")).text)
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    assert "<caption>Toutes mes inscriptions" in table
    assert re.findall(r'<th scope="col">([^<]+)</th>', table) == ["Date", "Instance", "Inscription"]
    rows = [text(row) for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)]
    assert rows == [
        "mardi 16 mars 2027 à 18 h 30 Comité à venir participant·e, liste d'attente (rang 2)",
        "mardi 16 mars 2027 à 18 h 30 Comité technique — Emploi participant·e, confirmée",
        "mardi 16 mars 2027 à 18 h 30 Comité de pilotage observateur·rice, confirmée",
        "mardi 16 mars 2027 à 18 h 30 Atelier cadre de vie (instance annulée) participant·e, confirmée",
    ]
    assert '<div class="tableau">' in html  # scrolls inside its box on a phone, never the page


async def test_an_empty_history_says_so_and_points_to_the_agenda(tmp_path: Path) -> None:
    fake = FakeMeetings({"instances": [], "registrations": []})
    async for client in page_client(tmp_path, fake):
        html = (await client.get("/mon-historique")).text
        assert "Aucune instance passée pour l'instant." in text(html)
        assert '<a href="/agenda">Voir les instances à venir dans mon agenda</a>' in html
        assert "Vous ne vous êtes encore inscrit·e à aucune instance." in html
        assert "<table>" not in html
        assert "Présent·e à" not in html
        agenda = await client.get("/agenda")
        assert '<a href="/mon-historique">Mon historique' in main_of(agenda.text)  # linked from the agenda


@pytest.mark.parametrize("role", ["staff", "operator"])
async def test_staff_have_no_history_page(tmp_path: Path, role: Any) -> None:
    fake = FakeMeetings(HISTORY)
    async for client in page_client(tmp_path, fake):
        client.cookies.set(SESSION_COOKIE, session_for(role))
        assert (await client.get("/mon-historique")).status_code == 403
        client.cookies.delete(SESSION_COOKIE)
        anonymous = await client.get("/mon-historique")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/connexion")
        assert fake.calls == []


def labels_of(row: dict[str, Any]) -> dict[str, str | None]:
    """The labels of one row of `/me/history` as the meetings client reads it."""
    return history_labels(HistoryInstance.model_validate(row))


def test_labels_for_every_case() -> None:
    base = {"status": "held", "cancel_reason": None}
    assert labels_of({**base, "present": True, "registration": None}) == {
        "instance": "Tenue",
        "registration": "Non inscrit·e",
        "presence": "Présent·e",
    }
    waiting = labels_of(
        {**base, "present": False, "registration": {"mode": "participant", "status": "waitlisted"}}
    )
    assert (waiting["registration"], waiting["presence"]) == (
        "Resté·e sur liste d'attente (participant·e)",
        "Absent·e",
    )
    withdrawn = labels_of(
        {**base, "present": False, "registration": {"mode": "observer", "status": "cancelled"}}
    )
    assert withdrawn["registration"] == "Non inscrit·e (inscription annulée)"
    pending = labels_of(
        {
            "status": "dossier_published",
            "present": None,
            "registration": {"mode": "observer", "status": "confirmed"},
        }
    )
    assert pending == {
        "instance": "Pas encore enregistrée comme tenue",
        "registration": "Inscrit·e comme observateur·rice",
        "presence": "Présence pas encore enregistrée",
    }


async def test_history_page_in_a_phone_browser_is_accessible(tmp_path: Path, browser: Browser) -> None:  # noqa: F811
    """The real page in Chromium, 360 px wide: no serious axe-core violation, no horizontal scroll."""
    app = build_site(tmp_path, FakeMeetings(HISTORY))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    try:
        await context.add_cookies(
            [{"name": SESSION_COOKIE, "value": session_for("councillor"), "url": f"http://127.0.0.1:{port}"}]
        )
        phone = await context.new_page()
        await phone.goto(f"http://127.0.0.1:{port}/mon-historique")
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Mon historique")
        await expect(phone.get_by_role("heading", level=3)).to_have_count(4)
        await expect(phone.get_by_role("table")).to_have_count(1)
        await expect(phone.get_by_role("columnheader")).to_have_text(["Date", "Instance", "Inscription"])
        await phone.locator("details > summary").first.click()  # opens the minutes summary
        await expect(phone.get_by_text("Trois projets retenus")).to_be_visible()
        await expect(
            phone.get_by_role("link", name="Compte rendu de Comité technique — Emploi : compte-rendu.pdf")
        ).to_be_visible()
        await screenshot(phone, "conseillere-mon-historique")
        assert await serious_accessibility_violations(phone) == []
        await assert_fits_phone_width(phone)
    finally:
        await context.close()
        server.should_exit = True
        await task
