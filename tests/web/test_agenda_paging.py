"""Issue 17 (pages at national size): the agenda shows one page of 30 instances and links the
next and previous pages; the meetings service is asked for that page only (limit, offset), not
for the territory's whole year."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from conseils_web.agenda_pages import AGENDA_PAGE
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import CSRF_SEED, build_site, session_for
from tests.web.test_agenda_page import CLIP_STARTS, NOW, main_of, summary
from tests.web.test_instance_states import visible

TOTAL = 75  # two full pages and a half


def rows() -> list[dict[str, Any]]:
    return [
        summary(uuid.UUID(int=1000 + n), "clip", f"CLIP numéro {n:02d}", CLIP_STARTS + timedelta(days=n))
        for n in range(TOTAL)
    ]


class PagedMeetings:
    """The meetings API's paging (GET /instances with limit and offset), as the real one."""

    def __init__(self) -> None:
        self.rows = rows()
        self.queries: list[dict[str, list[str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/instances":
            query = parse_qs(request.url.query.decode())
            self.queries.append(query)
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query["limit"][0]) if "limit" in query else len(self.rows)
            return httpx.Response(200, json=self.rows[offset : offset + limit])
        if request.url.path == "/me/registrations":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"detail": "Introuvable"})


@pytest.fixture
async def paged(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, PagedMeetings]]:
    fake = PagedMeetings()
    app = build_site(tmp_path, fake)
    app.state.site.clock = lambda: NOW
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("councillor"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client, fake


async def test_the_agenda_shows_one_page_and_links_the_next(
    paged: tuple[httpx.AsyncClient, PagedMeetings],
) -> None:
    client, fake = paged
    html = main_of((await client.get("/agenda")).text)
    assert fake.queries[-1]["limit"] == [str(AGENDA_PAGE + 1)]
    assert "offset" not in fake.queries[-1]
    assert html.count('<li class="carte">') == AGENDA_PAGE
    assert "CLIP numéro 00" in html
    assert f"CLIP numéro {AGENDA_PAGE:02d}" not in html  # the 31st is only asked to know there is more
    assert f"Instances à venir, n° 1 à {AGENDA_PAGE}" in visible(html)
    assert '<a href="/agenda?page=2#instances" rel="next">Instances suivantes</a>' in html
    assert "Instances précédentes" not in html


async def test_the_last_page_links_the_previous_one_and_keeps_the_filters(
    paged: tuple[httpx.AsyncClient, PagedMeetings],
) -> None:
    client, fake = paged
    html = main_of((await client.get("/agenda?type=clip&page=3")).text)
    assert fake.queries[-1]["offset"] == [str(2 * AGENDA_PAGE)]
    assert fake.queries[-1]["type"] == ["clip"]
    assert html.count('<li class="carte">') == TOTAL - 2 * AGENDA_PAGE
    assert f"n° {2 * AGENDA_PAGE + 1} à {TOTAL}" in visible(html)
    assert '<a href="/agenda?type=clip&amp;page=2#instances" rel="prev">Instances précédentes</a>' in html
    assert "Instances suivantes" not in html


async def test_a_page_beyond_the_end_says_so_and_a_bad_page_is_the_first(
    paged: tuple[httpx.AsyncClient, PagedMeetings],
) -> None:
    client, fake = paged
    html = main_of((await client.get("/agenda?page=9")).text)
    assert "Plus d'instance avec ces critères." in visible(html)
    assert "Instances précédentes" in html
    await client.get("/agenda?page=-2")
    assert "offset" not in fake.queries[-1]
