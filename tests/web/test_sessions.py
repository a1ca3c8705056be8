"""Sessions end at once, on the site's side: signing out, staff ending one person's sessions or
everyone's, and her erasure (the registry's `MemberErased`) refuse the very same cookie on the
next request. The services get a token minted for them per call, never the browser's cookie."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from conseils_runtime.auth import SERVICE_TOKEN_TTL, Unauthenticated, verify_token
from conseils_schemas.events import MemberErased, MemberJoined
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from conseils_web.session_events import SessionEndings
from tests.web.helpers import (
    COUNCIL_ID,
    CSRF_SEED,
    MEMBER_ID,
    SECRET,
    STAFF_ID,
    build_site,
    csrf_for,
    session_for,
)

ADDRESS = "aicha.diallo@demo.example"
seen: list[httpx.Request] = []


def services(request: httpx.Request) -> httpx.Response:
    seen.append(request)
    if request.url.path == "/staff-accounts":
        return httpx.Response(200, json=[])
    if request.url.path == "/members":
        found = request.url.params.get("email") == ADDRESS
        member = {"id": str(MEMBER_ID), "email": ADDRESS, "council_id": str(COUNCIL_ID), "role": "member"}
        return httpx.Response(200, json=[member] if found else [])
    if request.url.path == "/notifications/alerts":
        return httpx.Response(200, json=[])
    return httpx.Response(404, json={"detail": "Introuvable."})


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    seen.clear()
    app = build_site(tmp_path, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        http.app = app  # type: ignore[attr-defined]
        yield http


async def signed_in(client: httpx.AsyncClient, cookie: str) -> bool:
    """Whether the site sees someone signed in with this cookie (the sign-out page shows)."""
    response = await client.get("/deconnexion", cookies={SESSION_COOKIE: cookie})
    return response.status_code == 200


async def post(client: httpx.AsyncClient, path: str, cookie: str, **data: str) -> httpx.Response:
    return await client.post(
        path,
        data={"csrf": csrf_for(), **data},
        cookies={SESSION_COOKIE: cookie, CSRF_COOKIE: CSRF_SEED},
    )


async def test_signing_out_ends_this_session_even_for_a_copied_cookie(client: httpx.AsyncClient) -> None:
    mine, other_device = session_for("councillor"), session_for("councillor")
    assert await signed_in(client, mine)
    out = await post(client, "/deconnexion", mine)
    assert out.status_code == 303
    assert not await signed_in(client, mine)  # the copy kept by an attacker no longer works
    assert await signed_in(client, other_device)  # only this session ended


async def test_staff_end_one_persons_sessions(client: httpx.AsyncClient) -> None:
    hers, staff = session_for("councillor"), session_for("staff")
    page = await client.get("/equipe/sessions", cookies={SESSION_COOKIE: staff})
    assert page.status_code == 200
    assert "Terminer toutes les sessions" in page.text
    refused = await client.get("/equipe/sessions", cookies={SESSION_COOKIE: hers})
    assert refused.status_code == 403

    unknown = await post(client, "/equipe/sessions/personne", staff, email="personne@exemple.fr")
    assert unknown.status_code == 303
    assert await signed_in(client, hers)
    ended = await post(client, "/equipe/sessions/personne", staff, email=ADDRESS)
    assert ended.status_code == 303
    assert not await signed_in(client, hers)
    assert await signed_in(client, staff)
    assert await signed_in(client, session_for("councillor"))  # she may sign in again


async def test_staff_end_everyones_sessions(client: httpx.AsyncClient) -> None:
    hers, staff, operator = session_for("councillor"), session_for("staff"), session_for("operator")
    forged = await client.post(
        "/equipe/sessions/toutes", cookies={SESSION_COOKIE: staff, CSRF_COOKIE: CSRF_SEED}, data={}
    )
    assert forged.status_code == 403  # a form without its CSRF token
    assert await signed_in(client, hers)
    ended = await post(client, "/equipe/sessions/toutes", staff)
    assert ended.status_code == 303
    for cookie in (hers, staff, operator):
        assert not await signed_in(client, cookie)
    fresh = ended.cookies.get(SESSION_COOKIE)  # the staff member who clicked keeps working
    assert fresh
    assert await signed_in(client, fresh)


async def test_erasure_ends_her_sessions(client: httpx.AsyncClient) -> None:
    hers = session_for("councillor")
    endings = SessionEndings("", "plaine-commune", client.app.state.site.store.sessions)  # type: ignore[attr-defined]
    key = str(MEMBER_ID).encode()
    joined = [("ce_type", MemberJoined.event_type.encode())]
    assert not await endings.apply(joined, key, time.time())
    assert await signed_in(client, hers)
    erased = [("ce_type", MemberErased.event_type.encode())]
    assert await endings.apply(erased, key, time.time())
    assert not await signed_in(client, hers)
    assert await signed_in(client, session_for("staff"))
    # an erasure read again, late, does not end a session begun after it
    again = session_for("councillor")
    assert await endings.apply(erased, key, time.time() - 60)
    assert await signed_in(client, again)


async def test_services_get_a_token_for_them_per_call_never_the_cookie(client: httpx.AsyncClient) -> None:
    staff = session_for("staff")
    page = await client.get("/equipe/alertes", cookies={SESSION_COOKIE: staff})
    assert page.status_code == 200
    assert seen
    for request in seen:
        assert SESSION_COOKIE not in request.headers.get("cookie", "")
        token = request.headers["authorization"].removeprefix("Bearer ")
        assert token != staff
        service = request.url.host.split(".")[0]
        principal = verify_token(SECRET, token, audience=service)
        assert (principal.subject, principal.role) == (str(STAFF_ID), "staff")
        assert principal.expires_at <= time.time() + SERVICE_TOKEN_TTL + 1
        for other in {"registry", "meetings", "notifications", "site"} - {service}:
            with pytest.raises(Unauthenticated):
                verify_token(SECRET, token, audience=other)
    # the session cookie is for the site only: no service would take it
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, staff, audience="notifications")
