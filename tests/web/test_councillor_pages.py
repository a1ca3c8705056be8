"""Councillor pages against fake services: the site acts with the person's
own token for everything they do, and shows other people no more than their
role requires (names of my council's registrants, never contact details)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_runtime.auth import verify_token
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, SECRET, build_site, csrf_for, session_for

INSTANCE_ID = uuid.UUID("00000000-0000-0000-0000-00000000000a")
NEIGHBOUR_ID = uuid.UUID("00000000-0000-0000-0000-0000000000a2")
OTHER_COUNCIL = uuid.UUID("00000000-0000-0000-0000-0000000000c2")
INSTANCE: dict[str, Any] = {
    "id": str(INSTANCE_ID),
    "instance_type": "comite-technique",
    "instance_type_name": "Comité technique thématique",
    "title": "Comité technique — Emploi",
    "theme": "emploi",
    "city_code": "93066",
    "council_id": None,
    "scope": "theme",
    "starts_at": "2026-12-22T17:30:00+00:00",
    "ends_at": "2026-12-22T19:30:00+00:00",
    "location": "Maison de quartier",
    "status": "scheduled",
    "is_political": False,
    "is_evening": True,
    "observers_allowed": True,
    "sequence": 0,
    "policy_warnings": [],
    "concerned_council_ids": [str(COUNCIL_ID), str(OTHER_COUNCIL)],
    "counts": {"participants": 1, "observers": 1, "waitlisted": 0},
    "registration_closes_at": "2026-12-21T17:30:00+00:00",
    "dossier_documents": [],
    "dossier_published_at": None,
    "minutes_published_at": None,
    "minutes_documents": [],
    "minutes_summary": None,
    "cancel_reason": None,
}


class FakeServices:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, Any]] = []
        self.mine: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        principal = verify_token(
            SECRET,
            request.headers["authorization"].removeprefix("Bearer "),
            audience=request.url.host.split(".")[0],  # a token minted for the service called
        )
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, f"{request.url.host}{request.url.path}", principal.subject, body))
        path = request.url.path
        if path == "/instances":
            return httpx.Response(200, json=[INSTANCE])
        if path == f"/instances/{INSTANCE_ID}":
            return httpx.Response(200, json=INSTANCE)
        if path == "/me/registrations":
            return httpx.Response(200, json=self.mine)
        if path == "/councils":
            return httpx.Response(
                200,
                json=[
                    {"id": str(COUNCIL_ID), "name": "Conseil A"},
                    {"id": str(OTHER_COUNCIL), "name": "Conseil B"},
                ],
            )
        if path == f"/instances/{INSTANCE_ID}/registrations/my-council" and request.method == "GET":
            assert not principal.is_staff  # the councillor's own token: the service filters by council
            return httpx.Response(
                200,
                json=[
                    {
                        "member_id": str(NEIGHBOUR_ID),
                        "council_id": str(COUNCIL_ID),
                        "mode": "participant",
                        "status": "confirmed",
                    },
                ],
            )
        if path == f"/councils/{COUNCIL_ID}/members":
            return httpx.Response(
                200,
                json=[
                    {
                        "id": str(NEIGHBOUR_ID),
                        "display_name": "Fatou Sow",
                        "college": "habitants",
                        "role": "member",
                    }
                ],
            )
        if path == f"/instances/{INSTANCE_ID}/registrations" and request.method == "POST":
            return httpx.Response(
                200, json={"message": "Places prises : vous êtes sur la liste d'attente (rang 2)."}
            )
        return httpx.Response(404, json={"detail": "Introuvable."})


@pytest.fixture
async def signed_in(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeServices]]:
    fake = FakeServices()
    app = build_site(tmp_path, fake)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("councillor"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client, fake


async def test_instance_page_names_only_my_councils_registrants(
    signed_in: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, _fake = signed_in
    page = await client.get(f"/instances/{INSTANCE_ID}")
    assert page.status_code == 200
    assert "mardi 22 décembre 2026, de 18 h 30 à 20 h 30" in page.text.replace("\u00a0", " ")
    assert "Fatou Sow — participant·e" in page.text
    assert page.text.count("— observateur·rice") == 0  # the other council's observer is not listed
    assert "@" not in page.text.split("<main", 1)[1]


async def test_registering_acts_with_my_token_and_shows_the_services_answer(
    signed_in: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = signed_in
    response = await client.post(
        f"/instances/{INSTANCE_ID}/inscription",
        data={"csrf": csrf_for(), "mode": "participant", "retour": "agenda"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/agenda"
    assert (
        "POST",
        f"meetings.test/instances/{INSTANCE_ID}/registrations",
        str(MEMBER_ID),
        {"mode": "participant"},
    ) in fake.calls
    agenda = await client.get("/agenda")
    assert "liste d&#39;attente (rang 2)" in agenda.text
    assert "conseils_message" in agenda.headers["set-cookie"]  # shown once, then forgotten


async def test_an_unknown_registration_mode_is_not_sent(
    signed_in: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = signed_in
    response = await client.post(
        f"/instances/{INSTANCE_ID}/inscription", data={"csrf": csrf_for(), "mode": "orateur"}
    )
    assert response.status_code == 303
    assert not [call for call in fake.calls if call[0] == "POST"]


async def test_on_the_waiting_list_i_am_offered_to_observe_instead(
    signed_in: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = signed_in
    fake.mine = [
        {
            "instance_id": str(INSTANCE_ID),
            "starts_at": INSTANCE["starts_at"],
            "mode": "participant",
            "status": "waitlisted",
            "position": 2,
        },
    ]
    agenda = await client.get("/agenda")
    assert "liste d'attente (rang 2)" in agenda.text
    assert 'name="mode" value="observer">Observer plutôt' in agenda.text
    assert "Annuler mon inscription" in agenda.text
    fake.mine[0]["status"] = "confirmed"
    agenda = await client.get("/agenda")
    assert "Observer plutôt" not in agenda.text
