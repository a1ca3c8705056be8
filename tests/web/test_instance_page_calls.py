"""Issue 17 (pages at national size): the instance page asks the services for everything that
does not depend on another answer at once: the easy-to-read documents go with the instance, her
registrations and her council's, not after them (one round trip less per page); her council's
members (for their names) are asked only when someone of her council is registered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, build_site, session_for
from tests.web.test_instance_states import (
    BEFORE_CLOSING,
    INSTANCE_ID,
    fake_services,
    registration_row,
    stored_row,
)


@asynccontextmanager
async def councillor_on_site(
    tmp_path: Path, handler: Callable[[httpx.Request], Any]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The site before registrations close, in front of `handler`'s services, and a signed-in
    councillor's client."""
    app = build_site(tmp_path, handler)
    app.state.site.clock = lambda: BEFORE_CLOSING
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("councillor"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield app, client


async def test_the_easy_read_documents_are_asked_with_the_instance(tmp_path: Path) -> None:
    answer = fake_services(stored_row(), None, [])
    easy_read_asked = asyncio.Event()
    order: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"/instances/{INSTANCE_ID}/easy-read":
            easy_read_asked.set()
            order.append("easy-read asked")
            return httpx.Response(200, json=[])
        if path == f"/instances/{INSTANCE_ID}":
            # the instance answers only once the easy-read call is under way (or after 2 s)
            try:
                await asyncio.wait_for(easy_read_asked.wait(), timeout=2)
            except TimeoutError:
                pass
            order.append("instance answered")
        return answer(request)

    async with councillor_on_site(tmp_path, handler) as (_app, client):
        page = await client.get(f"/instances/{INSTANCE_ID}")
    assert page.status_code == 200, page.text
    assert "Comité technique mobilités" in page.text
    assert order == ["easy-read asked", "instance answered"]


async def test_the_easy_read_documents_fetched_first_are_shown(tmp_path: Path) -> None:
    answer = fake_services(stored_row(), None, [])
    document = {
        "id": "00000000-0000-0000-0000-0000000017e1",
        "instance_id": str(INSTANCE_ID),
        "filename": "dossier-facile.pdf",
        "media_type": "application/pdf",
        "size_bytes": 2048,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/instances/{INSTANCE_ID}/easy-read":
            return httpx.Response(200, json=[document])
        return answer(request)

    async with councillor_on_site(tmp_path, handler) as (_app, client):
        page = await client.get(f"/instances/{INSTANCE_ID}")
    assert page.status_code == 200, page.text
    assert "Lire la version facile à lire</a> (dossier-facile.pdf" in page.text


@pytest.mark.parametrize("registered", [False, True])
async def test_her_councils_members_are_asked_only_when_one_of_them_is_registered(
    tmp_path: Path, registered: bool
) -> None:
    """At national size most instances have nobody of her council registered: the page then
    makes no call to the registry for the council's members (6 ms of the registry's CPU)."""
    row = registration_row("confirmed", None)
    answer = fake_services(stored_row(), row if registered else None, [row] if registered else [])
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return answer(request)

    async with councillor_on_site(tmp_path, handler) as (_app, client):
        page = await client.get(f"/instances/{INSTANCE_ID}")
    assert page.status_code == 200, page.text
    assert f"/instances/{INSTANCE_ID}/registrations/my-council" in asked
    assert (f"/councils/{COUNCIL_ID}/members" in asked) is registered
    if registered:
        assert "Awa Diallo" in page.text  # her council's registered members, by name
