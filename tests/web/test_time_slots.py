"""Issue 12: a Saturday 10:00 training is "Le samedi", never "En soirée".

The fake meetings service answers with what the real API serialises
(`conseils_meetings.api`), from a stored row whose `is_evening` is the stale
value older versions computed ("allowed by the evening rule"), so the pages are
checked end to end from the start time: API slot, then French label.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_meetings.api import InstanceOut, InstanceSummary, PreviewOut
from conseils_meetings.service import Preview
from conseils_runtime.auth import Role
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, build_site, csrf_for, session_for
from tests.web.staff_list_fake import STAFF_LIST, staff_list_answer

PARIS = "Europe/Paris"
INSTANCE_ID = uuid.UUID("00000000-0000-0000-0000-0000000005a7")
SATURDAY_10H = datetime(2027, 4, 10, 8, 0, tzinfo=UTC)  # Saturday 10 April 2027, 10:00 in Paris
TUESDAY_18H30 = datetime(2027, 1, 12, 17, 30, tzinfo=UTC)  # Tuesday 12 January 2027, 18:30 in Paris
TUESDAY_14H = datetime(2027, 1, 12, 13, 0, tzinfo=UTC)  # Tuesday, 14:00 in Paris


def stored_row(starts_at: datetime, *, stale_is_evening: bool) -> dict[str, Any]:
    """An instance as the meetings service keeps it (before the API serialises it)."""
    return {
        "id": INSTANCE_ID,
        "instance_type": "comite-technique",
        "instance_type_name": "Comité technique thématique",
        "title": "Formation des conseillers",
        "theme": None,
        "city_code": None,
        "council_id": None,
        "scope": "territory",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "location": "Maison de quartier",
        "status": "scheduled",
        "is_political": False,
        "is_evening": stale_is_evening,
        "observers_allowed": True,
        "sequence": 0,
        "policy_warnings": [],
        "concerned_council_ids": [COUNCIL_ID],
        "counts": {"participants": 0, "observers": 0, "waitlisted": 0},
        "registration_closes_at": starts_at - timedelta(days=1),
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


def fake_services(row: dict[str, Any]) -> Callable[..., Any]:
    detail = InstanceOut.of(row, staff=True, timezone=PARIS).model_dump(mode="json")
    summary = InstanceSummary.of(row, timezone=PARIS).model_dump(mode="json")

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/instances":
            body = json.loads(request.content)
            assert body["dry_run"] is True
            preview = Preview(
                [], refused=False, reason=None, concerned_council_ids=[COUNCIL_ID], is_evening=False
            )
            starts_at = datetime.fromisoformat(body["starts_at"])  # as the site built it from the form
            return httpx.Response(200, json=PreviewOut.of(preview, starts_at, PARIS).model_dump(mode="json"))
        if path == "/instances":
            return httpx.Response(200, json=[summary])
        if path == STAFF_LIST:  # the staff's list, shown under the preview
            return httpx.Response(200, json=staff_list_answer([summary], request.url.params))
        if path == f"/instances/{INSTANCE_ID}":
            return httpx.Response(200, json=detail)
        if path in (
            "/me/registrations",
            f"/instances/{INSTANCE_ID}/registrations",
            f"/instances/{INSTANCE_ID}/registrations/my-council",
            f"/instances/{INSTANCE_ID}/attendance",
            "/members",
            "/notifications/deliveries",
            f"/councils/{COUNCIL_ID}/members",
        ):
            return httpx.Response(200, json=[])
        if path == "/councils":
            return httpx.Response(200, json=[{"id": str(COUNCIL_ID), "name": "Conseil A"}])
        return httpx.Response(404, json={"detail": f"Introuvable : {path}"})

    return handler


@pytest.fixture
def client_for(tmp_path: Path) -> Callable[..., Any]:
    def make(row: dict[str, Any], role: Role) -> Any:
        app = build_site(tmp_path, fake_services(row))

        async def clients() -> AsyncIterator[httpx.AsyncClient]:
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
            ):
                client.cookies.set(SESSION_COOKIE, session_for(role))
                client.cookies.set(CSRF_COOKIE, CSRF_SEED)
                yield client

        return clients()

    return make


def main_of(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    return page.text.split("<main", 1)[1].replace("\u00a0", " ")  # dates keep non-breaking spaces


async def test_a_saturday_morning_is_le_samedi_not_en_soiree(client_for: Callable[..., Any]) -> None:
    # Older versions stored is_evening=True for it: the Saturday was "allowed by the rule".
    row = stored_row(SATURDAY_10H, stale_is_evening=True)
    async for client in client_for(row, "councillor"):
        agenda = main_of(await client.get("/agenda"))
        assert '<p class="pastille">Le samedi</p>' in agenda
        instance = main_of(await client.get(f"/instances/{INSTANCE_ID}"))
        assert "<dt>Horaire</dt><dd>Le samedi</dd>" in instance
        for page in (agenda, instance):
            assert "samedi 10 avril 2027" in page
            assert "En soirée" not in page
    async for client in client_for(row, "staff"):
        staff_page = main_of(await client.get(f"/equipe/instances/{INSTANCE_ID}"))
        assert "<dt>Horaire</dt><dd>Le samedi</dd>" in staff_page
        assert "En soirée" not in staff_page


async def test_a_weekday_at_half_past_six_is_en_soiree(client_for: Callable[..., Any]) -> None:
    row = stored_row(TUESDAY_18H30, stale_is_evening=True)
    async for client in client_for(row, "councillor"):
        assert '<p class="pastille">En soirée</p>' in main_of(await client.get("/agenda"))
        assert "<dt>Horaire</dt><dd>En soirée</dd>" in main_of(await client.get(f"/instances/{INSTANCE_ID}"))
    async for client in client_for(row, "staff"):
        assert "<dt>Horaire</dt><dd>En soirée</dd>" in main_of(
            await client.get(f"/equipe/instances/{INSTANCE_ID}")
        )


async def test_a_weekday_afternoon_is_en_journee_without_a_pastille(client_for: Callable[..., Any]) -> None:
    row = stored_row(TUESDAY_14H, stale_is_evening=False)
    async for client in client_for(row, "councillor"):
        agenda = main_of(await client.get("/agenda"))
        assert "pastille" not in agenda
        assert "En soirée" not in agenda
        assert "<dt>Horaire</dt><dd>En journée</dd>" in main_of(await client.get(f"/instances/{INSTANCE_ID}"))


async def test_the_staff_preview_names_the_saturday(client_for: Callable[..., Any]) -> None:
    row = stored_row(SATURDAY_10H, stale_is_evening=True)
    async for client in client_for(row, "staff"):
        page = await client.post(
            "/equipe/instances",
            data={
                "csrf": csrf_for(),
                "instance_type": "copil",  # political: Saturday is allowed, and still not evening
                "title": "Comité de pilotage",
                "day": "2027-04-10",
                "start": "10:00",
                "end": "12:00",
                "location": "Maison de quartier",
            },
        )
        preview = main_of(page).split('id="apercu"', 1)[1].split("</div>", 1)[0]
        assert "1 conseil concerné ; le samedi." in preview
        assert "soirée" not in preview
