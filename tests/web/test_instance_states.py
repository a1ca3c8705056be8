"""Issue 14, item 4: the instance page tells the truth about its state.

Open for registration: the buttons, and until when. Closed by time: no buttons,
"Inscriptions closes depuis le …". Cancelled: "Instance annulée" and why. Held or
with its minutes: it took place, the minutes are linked, no buttons and no
"dossier pas encore publié". On the waiting list: the real rank (the one the
meetings service computes for the council's registrations; `/me/registrations`
does not carry it), or no rank at all, never "rang None".

The fake meetings service answers what the real API serialises
(`conseils_meetings.api`: InstanceOut, MyRegistration, RegistrationRow).
"""

from __future__ import annotations

import html as entities
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_meetings.api import InstanceOut, MyRegistration, RegistrationRow
from conseils_web.agenda_pages import registration_state
from conseils_web.clients.meetings import InstanceSummary
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, build_site, session_for

PARIS = "Europe/Paris"
INSTANCE_ID = uuid.UUID("00000000-0000-0000-0000-0000000014a4")
REGISTRATION_ID = uuid.UUID("00000000-0000-0000-0000-0000000014b4")
MINUTES_ID = uuid.UUID("00000000-0000-0000-0000-0000000014d4")
STARTS = datetime(2027, 4, 7, 16, 30, tzinfo=UTC)  # mercredi 7 avril 2027, 18 h 30 à Paris
CLOSES = datetime(2027, 4, 6, 10, 0, tzinfo=UTC)  # mardi 6 avril 2027, 12 h à Paris
BEFORE_CLOSING = CLOSES - timedelta(days=3)
AFTER_CLOSING = CLOSES + timedelta(hours=2)
AFTER_THE_MEETING = STARTS + timedelta(days=2)
RAW_CODES = ("scheduled", "rescheduled", "dossier_published", "minutes_published", "held", "cancelled")


def stored_row(status: str = "scheduled", **changes: Any) -> dict[str, Any]:
    """An instance as the meetings service keeps it (before the API serialises it)."""
    row: dict[str, Any] = {
        "id": INSTANCE_ID,
        "instance_type": "comite-technique",
        "instance_type_name": "Comité technique thématique",
        "title": "Comité technique mobilités",
        "theme": None,
        "city_code": None,
        "council_id": None,
        "scope": "territory",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "location": "Maison de quartier",
        "status": status,
        "is_political": False,
        "is_evening": True,
        "observers_allowed": True,
        "sequence": 0,
        "policy_warnings": [],
        "concerned_council_ids": [COUNCIL_ID],
        "counts": {"participants": 2, "observers": 1, "waitlisted": 1},
        "registration_closes_at": CLOSES,
        "dossier_version": 0,
        "dossier_published_at": None,
        "dossier_notice_days_required": 10,
        "dossier_documents": [],
        "minutes_summary": None,
        "minutes_published_at": None,
        "minutes_documents": [],
        "held_at": None,
        "cancelled_at": None,
        "cancel_reason": None,
    }
    row.update(changes)
    return row


def registration_row(status: str, position: int | None) -> dict[str, Any]:
    return {
        "id": REGISTRATION_ID,
        "instance_id": INSTANCE_ID,
        "member_id": MEMBER_ID,
        "council_id": COUNCIL_ID,
        "mode": "participant",
        "status": status,
        "position": position,
        "created_at": BEFORE_CLOSING,
        "updated_at": BEFORE_CLOSING,
    }


def fake_services(
    row: dict[str, Any], registration: dict[str, Any] | None, council_rows: list[dict[str, Any]]
) -> Callable[[httpx.Request], httpx.Response]:
    detail = InstanceOut.of(row, staff=False, timezone=PARIS).model_dump(mode="json")
    # `/me/registrations` as the real API builds it: the stored row has no rank.
    mine = (
        [
            MyRegistration.model_validate(
                {
                    **registration,
                    "position": None,
                    "title": row["title"],
                    "starts_at": row["starts_at"],
                    "instance_status": row["status"],
                }
            ).model_dump(mode="json")
        ]
        if registration
        else []
    )
    council = [RegistrationRow.model_validate(item).model_dump(mode="json") for item in council_rows]

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"/instances/{INSTANCE_ID}":
            return httpx.Response(200, json=detail)
        if path == "/me/registrations":
            return httpx.Response(200, json=mine)
        if path == f"/instances/{INSTANCE_ID}/registrations/my-council":
            return httpx.Response(200, json=council)
        if path == f"/councils/{COUNCIL_ID}/members":
            return httpx.Response(200, json=[{"id": str(MEMBER_ID), "display_name": "Awa Diallo"}])
        if path == "/councils":
            return httpx.Response(200, json=[{"id": str(COUNCIL_ID), "name": "Conseil A"}])
        return httpx.Response(404, json={"detail": f"Introuvable : {path}"})

    return handler


@pytest.fixture
def page_for(tmp_path: Path) -> Callable[..., Any]:
    async def get(
        row: dict[str, Any],
        now: datetime,
        registration: dict[str, Any] | None = None,
        council_rows: list[dict[str, Any]] | None = None,
        path: str = f"/instances/{INSTANCE_ID}",
    ) -> str:
        rows = council_rows if council_rows is not None else ([registration] if registration else [])
        app = build_site(tmp_path, fake_services(row, registration, rows))
        app.state.site.clock = lambda: now
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
        ):
            client.cookies.set(SESSION_COOKIE, session_for("councillor"))
            client.cookies.set(CSRF_COOKIE, CSRF_SEED)
            page = await client.get(path)
        assert page.status_code == 200, page.text
        return page.text.split("<main", 1)[1].split("</main>", 1)[0]

    return get


def visible(html: str) -> str:
    """The words a reader sees (tags dropped, spaces squeezed)."""
    text = entities.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " ")).strip()


def assert_truthful(html: str) -> None:
    text = visible(html)
    assert "None" not in text
    assert "UTC" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text
    for code in RAW_CODES:
        assert not re.search(rf"\b{code}\b", text), (code, text)


def has_register_buttons(html: str) -> bool:
    return 'value="participant"' in html or 'value="observer"' in html


async def test_open_instance_shows_the_buttons_and_until_when(page_for: Callable[..., Any]) -> None:
    html = await page_for(stored_row("scheduled"), BEFORE_CLOSING)
    assert has_register_buttons(html)
    text = visible(html)
    assert "Inscriptions ouvertes jusqu'au mardi 6 avril 2027 à 12 h" in text
    assert "mercredi 7 avril 2027, de 18 h 30 à 20 h 30" in text
    assert "Le dossier n'est pas encore publié" in text
    assert_truthful(html)


async def test_registration_closed_by_time_shows_no_buttons(page_for: Callable[..., Any]) -> None:
    html = await page_for(stored_row("dossier_published"), AFTER_CLOSING)
    assert not has_register_buttons(html)
    text = visible(html)
    assert "Inscriptions closes depuis le mardi 6 avril 2027 à 12 h" in text
    assert "pas ouvertes" not in text
    assert_truthful(html)


async def test_closed_registration_still_lets_her_cancel_hers(page_for: Callable[..., Any]) -> None:
    # The meetings service accepts a cancellation until the instance is held; registering is refused.
    html = await page_for(stored_row("scheduled"), AFTER_CLOSING, registration_row("waitlisted", 2))
    assert not has_register_buttons(html)  # no "Observer plutôt" either
    assert "/desinscription" in html
    assert "Inscriptions closes depuis le mardi 6 avril 2027 à 12 h" in visible(html)


async def test_cancelled_instance_says_so_and_why(page_for: Callable[..., Any]) -> None:
    row = stored_row("cancelled", cancelled_at=BEFORE_CLOSING, cancel_reason="salle indisponible")
    html = await page_for(row, BEFORE_CLOSING)
    assert not has_register_buttons(html)
    text = visible(html)
    assert "Instance annulée : salle indisponible." in text
    assert "pas ouvertes" not in text
    assert "pas encore publié" not in text
    assert "/desinscription" not in html
    assert_truthful(html)


async def test_cancelled_instance_without_a_reason(page_for: Callable[..., Any]) -> None:
    html = await page_for(stored_row("cancelled", cancelled_at=BEFORE_CLOSING), BEFORE_CLOSING)
    assert "Instance annulée." in visible(html)
    assert_truthful(html)


async def test_held_instance_took_place_without_buttons(page_for: Callable[..., Any]) -> None:
    row = stored_row("held", held_at=STARTS + timedelta(hours=2))
    html = await page_for(row, AFTER_THE_MEETING, registration_row("confirmed", None))
    assert not has_register_buttons(html)
    assert "/desinscription" not in html
    text = visible(html)
    assert "Cette instance s'est tenue le mercredi 7 avril 2027." in text
    assert "Le compte rendu n'est pas encore publié" in text
    assert "Le dossier n'est pas encore publié" not in text
    assert "pas ouvertes" not in text
    assert_truthful(html)


async def test_minutes_published_are_linked(page_for: Callable[..., Any]) -> None:
    minutes = {
        "id": MINUTES_ID,
        "kind": "minutes",
        "filename": "compte-rendu.pdf",
        "media_type": "application/pdf",
        "size_bytes": 2048,
        "sha256": "0" * 64,
        "version": 1,
        "uploaded_at": STARTS + timedelta(days=1),
        "published_at": STARTS + timedelta(days=1),
    }
    row = stored_row(
        "minutes_published",
        held_at=STARTS + timedelta(hours=2),
        minutes_summary="Trois propositions retenues.",
        minutes_published_at=STARTS + timedelta(days=1),
        minutes_documents=[minutes],
    )
    html = await page_for(row, AFTER_THE_MEETING)
    assert not has_register_buttons(html)
    text = visible(html)
    assert "Cette instance s'est tenue le mercredi 7 avril 2027." in text
    assert 'href="#compte-rendu"' in html
    assert f'href="/documents/{MINUTES_ID}"' in html
    assert "Trois propositions retenues." in text
    assert "Publié le jeudi 8 avril 2027" in text
    assert "pas encore publié" not in text
    assert_truthful(html)


async def test_waitlisted_shows_the_rank_the_service_computed(page_for: Callable[..., Any]) -> None:
    html = await page_for(stored_row("scheduled"), BEFORE_CLOSING, registration_row("waitlisted", 1))
    text = visible(html)
    assert "liste d'attente (rang 1)" in text
    assert "None" not in text
    assert_truthful(html)


async def test_waitlisted_with_an_unknown_rank_shows_no_rank(page_for: Callable[..., Any]) -> None:
    # Her council's list does not carry her (e.g. she has just changed council): rank unknown.
    html = await page_for(
        stored_row("scheduled"), BEFORE_CLOSING, registration_row("waitlisted", 1), council_rows=[]
    )
    text = visible(html)
    assert "liste d'attente" in text
    assert "rang" not in text
    assert_truthful(html)


async def test_my_registrations_never_says_rang_none(page_for: Callable[..., Any]) -> None:
    html = await page_for(
        stored_row("scheduled"), BEFORE_CLOSING, registration_row("waitlisted", 1), path="/mes-inscriptions"
    )
    text = visible(html)
    assert "liste d'attente" in text
    assert "None" not in text


def state_of(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The state of an instance of the API as the meetings client reads it."""
    return registration_state(InstanceSummary.model_validate(row), now)


def test_the_state_from_status_and_deadline() -> None:
    open_row = InstanceOut.of(stored_row("rescheduled"), staff=False, timezone=PARIS).model_dump(mode="json")
    assert state_of(open_row, BEFORE_CLOSING)["open"] is True
    assert state_of(open_row, CLOSES) == {"phase": "closed", "open": False, "cancellable": True}
    # A summary without the deadline (the agenda's InstanceSummary): the status decides.
    summary = {key: value for key, value in open_row.items() if key != "registration_closes_at"}
    assert state_of(summary, AFTER_CLOSING)["phase"] == "open"
    for status, phase in (("cancelled", "cancelled"), ("held", "past"), ("minutes_published", "past")):
        state = state_of({**open_row, "status": status}, BEFORE_CLOSING)
        assert state == {"phase": phase, "open": False, "cancellable": False}
