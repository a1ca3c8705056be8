"""Calendar links on the site: the agenda links the territory's, her council's and the
themes' feeds (https and webcal); the personal feed page shows her secret address with a
webcal link, an https link and a copy button; each instance offers its own one-event
iCalendar file, its times in UTC."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest

from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, build_site, csrf_for, session_for

BASE = "https://conseils.example.org"
INSTANCE_ID = uuid.UUID("00000000-0000-0000-0000-00000000000a")
TOKEN = "jeton-secret-de-test"  # noqa: S105 - a test token
FEED_URL = f"{BASE}/notifications/feeds/members/{TOKEN}.ics"
INSTANCE: dict[str, Any] = {
    "id": str(INSTANCE_ID),
    "instance_type": "comite-technique",
    "instance_type_name": "Comité technique thématique",
    "title": "Comité technique — Emploi",
    "theme": "emploi",
    "city_code": "93066",
    "council_id": None,
    "scope": "theme",
    "starts_at": "2026-12-22T18:30:00+01:00",
    "ends_at": "2026-12-22T20:30:00+01:00",
    "location": "Maison de quartier",
    "status": "scheduled",
    "is_political": False,
    "is_evening": True,
    "observers_allowed": True,
    "sequence": 3,
    "policy_warnings": [],
    "concerned_council_ids": [str(COUNCIL_ID)],
    "counts": {"participants": 1, "observers": 0, "waitlisted": 0},
    "registration_closes_at": "2026-12-21T17:30:00+00:00",
    "dossier_documents": [],
    "dossier_published_at": None,
    "minutes_published_at": None,
    "minutes_documents": [],
    "minutes_summary": None,
    "cancel_reason": None,
}


def fake(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/instances":
        return httpx.Response(200, json=[INSTANCE])
    if path == f"/instances/{INSTANCE_ID}":
        return httpx.Response(200, json=INSTANCE)
    if path in ("/me/registrations", f"/instances/{INSTANCE_ID}/registrations/my-council"):
        return httpx.Response(200, json=[])
    if path == "/councils":
        return httpx.Response(200, json=[{"id": str(COUNCIL_ID), "name": "Conseil A"}])
    if path == f"/councils/{COUNCIL_ID}":
        return httpx.Response(
            200,
            json={
                "id": str(COUNCIL_ID),
                "name": "Conseil A",
                "city": "Saint-Denis",
                "neighbourhood": "Centre",
            },
        )
    if path.startswith(f"/councils/{COUNCIL_ID}/"):
        return httpx.Response(200, json=[])
    if path == f"/notifications/members/{MEMBER_ID}/feed-token" and request.method == "POST":
        return httpx.Response(200, json={"url": FEED_URL})
    return httpx.Response(404, json={"detail": "Introuvable."})


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = build_site(tmp_path, fake, public_base_url=BASE)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as http,
    ):
        http.cookies.set(SESSION_COOKIE, session_for("councillor"))
        http.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield http


def links(html: str) -> set[str]:
    return {unescape(link) for link in re.findall(r'href="([^"]+)"', html)}


async def test_agenda_links_the_territory_council_and_theme_feeds(client: httpx.AsyncClient) -> None:
    page = await client.get("/agenda")
    assert page.status_code == 200
    found = links(page.text)
    for path in (
        "/notifications/feeds/agenda.ics",
        f"/notifications/feeds/councils/{COUNCIL_ID}.ics",
        "/notifications/feeds/themes/emploi.ics",
    ):
        assert f"{BASE}{path}" in found
        assert f"webcal://conseils.example.org{path}" in found
    assert "/preferences/agenda" in found


async def test_council_and_instance_pages_link_their_feeds(client: httpx.AsyncClient) -> None:
    council = await client.get("/mon-conseil")
    assert council.status_code == 200
    assert f"webcal://conseils.example.org/notifications/feeds/councils/{COUNCIL_ID}.ics" in links(
        council.text
    )
    instance = await client.get(f"/instances/{INSTANCE_ID}")
    assert instance.status_code == 200
    found = links(instance.text)
    assert "webcal://conseils.example.org/notifications/feeds/themes/emploi.ics" in found
    assert f"/instances/{INSTANCE_ID}.ics" in found
    assert "Ajouter à mon agenda" in instance.text


async def test_personal_feed_page_has_webcal_https_and_a_copy_button(client: httpx.AsyncClient) -> None:
    created = await client.post("/preferences/agenda", data={"csrf": csrf_for()})
    assert created.status_code == 303
    assert created.headers["location"] == "/preferences/agenda"
    page = await client.get("/preferences/agenda")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    found = links(page.text)
    assert FEED_URL in found
    assert f"webcal://conseils.example.org/notifications/feeds/members/{TOKEN}.ics" in found
    # The address stays visible and selectable without JavaScript ...
    assert re.search(
        rf'<input type="text" id="adresse-agenda" value="{re.escape(FEED_URL)}" readonly', page.text
    )
    assert '<label for="adresse-agenda">' in page.text
    # ... and the copy button (shown by the script) announces itself in a live region.
    button = re.search(
        r'<button type="button"[^>]*data-copier="adresse-agenda"[^>]*>([^<]+)</button>', page.text
    )
    assert button is not None
    assert button.group(1) == "Copier l'adresse de mon agenda"
    assert 'id="copie-annonce" class="annonce" aria-live="polite"' in page.text
    assert '<script src="/static/copier.js" defer></script>' in page.text
    # The flash says it too (what the browser test reads).
    assert f"d'agenda) : {FEED_URL}" in unescape(page.text)
    script = await client.get("/static/copier.js")
    assert script.status_code == 200
    assert "navigator.clipboard" in script.text
    assert "Adresse copiée" in script.text


async def test_personal_feed_page_without_an_address_offers_to_create_one(tmp_path: Path) -> None:
    app = build_site(tmp_path, fake, public_base_url=BASE)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as http,
    ):
        http.cookies.set(SESSION_COOKIE, session_for("councillor"))
        http.cookies.set(CSRF_COOKIE, CSRF_SEED)
        page = await http.get("/preferences/agenda")
    assert page.status_code == 200
    assert "Créer mon adresse d'agenda" in page.text
    assert "/notifications/feeds/members/" not in page.text
    assert f"{BASE}/notifications/feeds/agenda.ics" in links(page.text)


async def test_instance_calendar_file_is_one_event_in_utc(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/instances/{INSTANCE_ID}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    parsed = icalendar.Calendar.from_ical(response.content)
    (event,) = parsed.walk("VEVENT")
    assert event["UID"] == f"{INSTANCE_ID}@conseils.plaine-commune"
    assert event["DTSTART"].dt == datetime(2026, 12, 22, 17, 30, tzinfo=UTC)
    assert event["DTEND"].dt == datetime(2026, 12, 22, 19, 30, tzinfo=UTC)
    assert event["DTSTART"].dt.utcoffset().total_seconds() == 0
    assert "DTSTART:20261222T173000Z" in response.text.split("\r\n")
    assert event["SUMMARY"] == "Comité technique — Emploi"
    assert event["LOCATION"] == "Maison de quartier"
    assert event["SEQUENCE"] == 3
    assert "DTSTAMP" in event
    assert event["URL"] == f"{BASE}/instances/{INSTANCE_ID}"


async def test_instance_calendar_file_needs_sign_in(tmp_path: Path) -> None:
    app = build_site(tmp_path, fake, public_base_url=BASE)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as http,
    ):
        response = await http.get(f"/instances/{INSTANCE_ID}.ics")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion")
