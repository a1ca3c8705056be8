"""Issue 17 (pages at national size): the staff's list of instances (/equipe/instances) asks the
meetings service for the one page it shows (GET /staff/instances: filtered, counted and paged
there) instead of every instance of the 90 past days to filter here; the local days `du` and
`au` (included) become instants of the territory's time zone, as the list always read them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
import pytest

from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from conseils_web.staff.instance_list import LIST_PAGE, list_query
from tests.web.helpers import CSRF_SEED, build_site, session_for
from tests.web.staff_list_fake import STAFF_LIST, staff_list_answer
from tests.web.test_agenda_page import CLIP_STARTS, main_of, summary
from tests.web.test_staff_list_paging import cards

PARIS = ZoneInfo("Europe/Paris")
COUNCIL = uuid.UUID("00000000-0000-0000-0000-00000000017c")


class Recorder:
    """The services, keeping the meetings calls' paths and query parameters."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "meetings.test":
            self.calls.append((path, dict(parse_qsl(request.url.query.decode()))))
        if path == STAFF_LIST:
            cities = {str(COUNCIL): "93001"}  # what the meetings read model knows of the council
            return httpx.Response(200, json=staff_list_answer(self.rows, request.url.params, cities))
        if path == "/councils":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"detail": "Introuvable"})


async def staff_client(tmp_path: Path, recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    app = build_site(tmp_path, recorder)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("staff"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client


ROWS = [
    summary(
        uuid.UUID(int=7000 + n), "clip", f"CLIP {n:03d}", CLIP_STARTS + timedelta(days=n), city_code="93066"
    )
    for n in range(120)
]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder(ROWS)


@pytest.fixture
async def staff(tmp_path: Path, recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    async for client in staff_client(tmp_path, recorder):
        yield client


async def test_one_call_asks_the_service_for_the_page_with_the_filters(
    staff: httpx.AsyncClient, recorder: Recorder
) -> None:
    params = {"type": "clip", "ville": "93066", "theme": "emploi", "etat": "scheduled"}
    params.update({"du": "2027-03-01", "au": "2027-10-31", "page": "2"})
    await staff.get("/equipe/instances", params=params)
    assert recorder.calls == [
        (
            STAFF_LIST,
            {
                "type": "clip",
                "theme": "emploi",
                "status": "scheduled",
                "city": "93066",
                "from": "2027-03-01T00:00:00+01:00",  # midnight in Paris, winter time
                "to": "2027-11-01T00:00:00+01:00",  # the day after `au` (clocks back on 31 October)
                "limit": str(LIST_PAGE),
                "offset": str(LIST_PAGE),
            },
        )
    ]


async def test_the_page_shows_what_the_service_counted_and_cut(
    staff: httpx.AsyncClient, recorder: Recorder
) -> None:
    html = main_of((await staff.get("/equipe/instances", params={"page": "2"})).text)
    assert "120 instances (des 90 derniers jours et à venir). Page 2 sur 3." in html
    assert cards(html) == [f"CLIP {n:03d}" for n in range(LIST_PAGE, 2 * LIST_PAGE)]
    assert [path for path, _ in recorder.calls] == [STAFF_LIST]  # never the whole GET /instances


async def test_a_page_too_far_asks_again_for_the_last(staff: httpx.AsyncClient, recorder: Recorder) -> None:
    html = main_of((await staff.get("/equipe/instances", params={"page": "7"})).text)
    assert "Page 3 sur 3." in html
    assert cards(html) == [f"CLIP {n:03d}" for n in range(2 * LIST_PAGE, 120)]
    assert [query["offset"] for _, query in recorder.calls] == [str(6 * LIST_PAGE), str(2 * LIST_PAGE)]


async def test_a_value_no_instance_can_have_lists_nothing_without_asking(
    staff: httpx.AsyncClient, recorder: Recorder
) -> None:
    html = main_of((await staff.get("/equipe/instances", params={"type": "x" * 65})).text)
    assert "0 instance pour ces filtres." in html
    assert "Aucune instance." in html
    assert recorder.calls == []


async def test_a_council_instance_is_in_its_councils_city(tmp_path: Path) -> None:
    formation = summary(
        uuid.UUID(int=7999), "formation", "Formation Villette", CLIP_STARTS, council_id=COUNCIL
    )
    async for client in staff_client(tmp_path, Recorder([*ROWS[:2], formation])):
        html = main_of((await client.get("/equipe/instances", params={"ville": "93001"})).text)
        assert cards(html) == ["Formation Villette"]


def test_without_du_the_list_starts_90_days_ago_at_local_midnight() -> None:
    now = datetime(2027, 6, 30, 22, 30, tzinfo=UTC)  # already 1 July in Paris
    empty = dict.fromkeys(("type", "ville", "theme", "etat", "du", "au"), "")
    assert list_query(empty, PARIS, now) == {"from": "2027-04-02T00:00:00+02:00"}
    assert list_query({**empty, "du": "pas une date", "au": "9999-12-31"}, PARIS, now) == {
        "from": "2027-04-02T00:00:00+02:00"
    }
