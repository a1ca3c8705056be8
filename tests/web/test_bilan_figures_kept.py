"""Issue 17 (pages at national size): the bilan page renders the figures once for each ETag of
the meetings service's answer (`TaggedCache`), asks again with If-None-Match, and on 304 shows
what it kept, inside the page of whoever asks (her own menu and CSRF token); new figures (a new
tag) are rendered afresh; an answer without a tag is never kept."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.web.helpers import build_site, session_for
from tests.web.test_bilan_page import LONG_NAME, meetings_bilan

URL = "/equipe/bilan?from=2025-09-01&to=2026-08-31"


class Meetings:
    """The meetings service's /bilan with an ETag per version of its figures."""

    def __init__(self) -> None:
        self.version = 1
        self.tagged = True
        self.asked: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/bilan"
        sent = request.headers.get("if-none-match")
        self.asked.append(sent)
        tag = f'"v{self.version}"'
        headers = {"etag": tag} if self.tagged else {}
        if self.tagged and sent == tag:
            return httpx.Response(304, headers=headers)
        figures = meetings_bilan()
        figures["instances_cancelled"] = self.version  # what the page shows changes with it
        return httpx.Response(
            200, content=json.dumps(figures), headers={**headers, "content-type": "application/json"}
        )


async def test_the_figures_are_rendered_once_per_tag(tmp_path: Path) -> None:
    meetings = Meetings()
    app = build_site(tmp_path, meetings)
    kept = app.state.site.bilan_figures
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set("conseils_session", session_for("staff"))
        first = await client.get(URL)
        assert first.status_code == 200
        assert "annulées 1," in first.text
        second = await client.get(URL)
        assert meetings.asked == [None, '"v1"']
        assert kept.hits == 1
        assert f'<span class="barre-libelle">{LONG_NAME}</span>' in second.text
        assert "annulées 1," in second.text
        assert 'aria-label="Menu principal"' in second.text
        assert second.text.count("Principaux chiffres") == 1

        meetings.version = 2  # a new fact: new figures, new tag
        third = await client.get(URL)
        assert meetings.asked[-1] == '"v1"'
        assert "annulées 2," in third.text
        assert kept.tag(("2025-09-01", "2026-08-31")) == '"v2"'


async def test_an_answer_without_a_tag_is_never_kept(tmp_path: Path) -> None:
    meetings = Meetings()
    meetings.tagged = False
    app = build_site(tmp_path, meetings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set("conseils_session", session_for("staff"))
        for _ in range(2):
            assert "annulées 1," in (await client.get(URL)).text
    assert meetings.asked == [None, None]
    assert app.state.site.bilan_figures.hits == 0
