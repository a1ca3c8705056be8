"""Issue 17 (pages at national size): the staff list of instances shows 50 cards a page (the
count says how many match the filters), with links to the neighbour pages that keep the
filters; at national size the 90 past days and what is scheduled are thousands of cards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from conseils_web.staff.instance_list import LIST_PAGE
from tests.web.helpers import CSRF_SEED, build_site, session_for
from tests.web.staff_list_fake import STAFF_LIST, staff_list_answer
from tests.web.test_agenda_page import CLIP_STARTS, main_of, summary

TOTAL = 120


class FakeServices:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = [
            summary(uuid.UUID(int=5000 + n), "clip", f"CLIP numéro {n:03d}", CLIP_STARTS + timedelta(days=n))
            for n in range(TOTAL)
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == STAFF_LIST:
            return httpx.Response(200, json=staff_list_answer(self.rows, request.url.params))
        if request.url.path == "/councils":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"detail": "Introuvable"})


@pytest.fixture
async def staff(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = build_site(tmp_path, FakeServices())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("staff"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client


def cards(html: str) -> list[str]:
    listed = html.split('id="liste"', 1)[1].split('id="brouillons"', 1)[0]
    return [item.split("</a>", 1)[0].rsplit(">", 1)[1] for item in listed.split('<li class="carte">')[1:]]


async def test_the_staff_list_shows_a_page_and_links_the_next(staff: httpx.AsyncClient) -> None:
    html = main_of((await staff.get("/equipe/instances")).text)
    assert f"{TOTAL} instances (des 90 derniers jours et à venir). Page 1 sur 3." in html
    assert cards(html) == [f"CLIP numéro {n:03d}" for n in range(LIST_PAGE)]
    assert '<a href="/equipe/instances?page=2#liste" rel="next">Instances suivantes</a>' in html
    assert "Instances précédentes" not in html


async def test_the_last_page_keeps_the_filters_and_a_page_too_far_is_the_last(
    staff: httpx.AsyncClient,
) -> None:
    html = main_of((await staff.get("/equipe/instances", params={"type": "clip", "page": "9"})).text)
    assert "Page 3 sur 3." in html
    assert cards(html) == [f"CLIP numéro {n:03d}" for n in range(2 * LIST_PAGE, TOTAL)]
    assert (
        '<a href="/equipe/instances?type=clip&amp;page=2#liste" rel="prev">Instances précédentes</a>' in html
    )
    assert "Instances suivantes" not in html
