"""The bilan page offers the demo's year (new user's report: /equipe/bilan opened on the current
school year, empty in the demo): when the platform played the demo's past year into this data
directory, « Année de démonstration (2025-2026) » links to that school year's bilan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx

from conseils_meetings.demo import demo_period, demo_school_year
from conseils_web.demo_year_file import DEMO_YEAR_FILE, read_demo_year, record_demo_year
from tests.support.french_text import visible

from .helpers import build_site, session_for
from .test_bilan_page import meetings_bilan

DEMO_LINK = '<a href="/equipe/bilan?from=2025-09-01&amp;to=2026-08-31"'


def test_the_demo_school_year_holds_every_fact_the_demo_played() -> None:
    today = date(2026, 12, 2)  # the new user's `make up`: « du 01/09/2025 au 01/12/2026 »
    start, end = demo_school_year(today)
    assert (start, end) == (date(2025, 9, 1), date(2026, 8, 31))
    assert start == demo_period(today)[0]


def test_the_recorded_year_is_read_back(tmp_path: Path) -> None:
    assert read_demo_year(tmp_path / DEMO_YEAR_FILE) is None
    record_demo_year(tmp_path, date(2025, 9, 1), date(2026, 8, 31))
    assert read_demo_year(tmp_path / DEMO_YEAR_FILE) == (date(2025, 9, 1), date(2026, 8, 31))
    (tmp_path / DEMO_YEAR_FILE).write_text("{", encoding="utf-8")
    assert read_demo_year(tmp_path / DEMO_YEAR_FILE) is None
    assert read_demo_year(None) is None


async def bilan_page(tmp_path: Path, query: str = "") -> str:
    def meetings(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=json.dumps(meetings_bilan()), headers={"content-type": "application/json"}
        )

    app = build_site(tmp_path, meetings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set("conseils_session", session_for("staff"))
        page = await client.get("/equipe/bilan" + query)
    assert page.status_code == 200
    return page.text


async def test_the_bilan_page_links_to_the_demo_year_once_it_was_played(tmp_path: Path) -> None:
    assert "Année de démonstration" not in await bilan_page(tmp_path)  # no demo year played here

    record_demo_year(tmp_path, date(2025, 9, 1), date(2026, 8, 31))
    page = await bilan_page(tmp_path)
    assert DEMO_LINK in page
    assert "Année de démonstration (2025-2026)" in visible(page)
    assert 'aria-current="page">Année de démonstration' not in page
    shown = await bilan_page(tmp_path, "?from=2025-09-01&to=2026-08-31")
    assert f'{DEMO_LINK} aria-current="page">Année de démonstration (2025-2026)</a>' in shown
