"""The bilan page inside the site's layout, drawn from the meetings service's JSON: the period's
figures, charts whose labels are the full names, the CSV link; a period typed wrong answers 422
with the reason next to its field and what was typed kept (nothing asked of the service)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from conseils_meetings.bilan import Bilan, Row
from conseils_web.staff.bilan_view import read_period

from .helpers import build_site, session_for

LONG_NAME = "Conseil citoyen Franc-Moisin – Bel-Air – Stade de France – Saint-Rémy"


def meetings_bilan() -> dict[str, object]:
    council = Row("council", "c1", LONG_NAME, instances_held=3, invited=12, registered=7, present=6)
    city = Row("city", "93066", "Saint-Denis", instances_held=3, present=6)
    kind = Row("type", "copil", "Comité de pilotage", instances_held=2, present=4, political_held=2)
    kind.political_evening, kind.political_saturday = 1, 1
    total = Row("total", "total", "Total", instances_held=3, present=6, political_held=2, political_evening=1)
    bilan = Bilan(
        date(2025, 9, 1), date(2026, 8, 31), total=total, by_type=[kind], by_theme=[], by_council=[council],
        by_city=[city], instances_cancelled=1, instances_not_held=0,
        outcomes={"proposal": {"proposed": 2}, "commitment": {"done": 1}},
    )  # fmt: skip
    return bilan.as_dict()


@pytest.mark.parametrize(
    ("start", "end", "errors"),
    [
        (None, None, []),
        ("2025-09-01", "2026-08-31", []),
        ("2026-06-30", "2025-09-01", [("to", "La fin de la période doit être après son début.")]),
        ("hier", "2026-08-31", [("from", "Saisissez la date de début de la période (jj/mm/aaaa).")]),
        ("2010-01-01", "2026-08-31", [("to", "Choisissez une période d'au plus 5 ans.")]),
    ],
)
def test_the_period_is_checked_field_by_field(
    start: str | None, end: str | None, errors: list[tuple[str, str]]
) -> None:
    typed, found = read_period(start, end, date(2026, 12, 1))
    assert found == errors
    assert typed == {"from": start or "2026-09-01", "to": end or "2027-08-31"}


async def test_the_bilan_is_shown_in_the_site_and_a_wrong_period_is_refused(tmp_path: Path) -> None:
    asked: list[httpx.URL] = []

    def meetings(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        assert request.url.path == "/bilan"
        return httpx.Response(
            200, content=json.dumps(meetings_bilan()), headers={"content-type": "application/json"}
        )

    app = build_site(tmp_path, meetings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set("conseils_session", session_for("staff"))
        page = await client.get("/equipe/bilan?from=2025-09-01&to=2026-08-31")
        assert page.status_code == 200
        assert 'aria-label="Menu principal"' in page.text
        assert "<footer" in page.text
        assert asked[0].params["format"] == "json"
        assert f'<span class="barre-libelle">{LONG_NAME}</span>' in page.text  # whole, never cut
        assert "Présents par conseil" in page.text
        assert "100 % (2 sur 2 : 1 en soirée, 1 le samedi)" in page.text
        assert 'href="/equipe/bilan/rapport?from=2025-09-01&amp;to=2026-08-31&amp;format=csv"' in page.text
        assert '<th scope="row">Proposé</th><td>2</td><td>0</td>' in page.text

        wrong = await client.get("/equipe/bilan?from=2026-06-30&to=2025-09-01")
        assert wrong.status_code == 422
        assert 'id="erreurs" tabindex="-1" autofocus' in wrong.text
        assert 'id="to-erreur">La fin de la période doit être après son début.' in wrong.text
        assert 'value="2025-09-01" aria-invalid="true" aria-describedby="to-erreur"' in wrong.text
        assert len(asked) == 1  # nothing asked of the service

        old_link = await client.get(
            "/equipe/bilan/rapport?from=2025-09-01&to=2026-08-31", follow_redirects=False
        )
        assert (old_link.status_code, old_link.headers["location"]) == (
            303,
            "/equipe/bilan?from=2025-09-01&to=2026-08-31",
        )
