"""The bilan page puts the participation scenarios side by side (issue 20): per instance type, a
column per period a scenario was in force, the difference last minus first, each value written
next to its bar; presence per council and theme, referents, councils represented, opinions."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from conseils_meetings.bilan import BilanInstance, Row, compute_bilan
from conseils_meetings.scenario_figures import scenario_periods
from conseils_meetings.voice_figures import OpinionOutcome
from conseils_runtime.territory import ParticipationPeriod, default_territory_path, load_territory
from conseils_web.staff.bilan_compare import comparisons

from .helpers import build_site, session_for

A, B = uuid.UUID(int=1), uuid.UUID(int=2)
COUNCILS = {A: "Franc-Moisin", B: "Floréal"}


def _held(
    starts: datetime, present: dict[uuid.UUID, uuid.UUID | None], referents: tuple = ()
) -> BilanInstance:  # type: ignore[type-arg]
    return BilanInstance(
        id=uuid.uuid4(), instance_type="comite-technique", type_name="Comité technique", political=False,
        theme="emploi", starts_at=starts, status="held", is_evening=True, concerned=(A, B),
        invited_by_council={A: 2, B: 2}, registrations=(), present=present, referents=referents,
        dossier_published_at=None, dossier_notice_required_days=10, day=starts.date(),
    )  # fmt: skip


def bilan_with_scenarios() -> dict[str, object]:
    demo = load_territory(default_territory_path())
    periods = [
        ParticipationPeriod(scenario="referent_par_thematique"),
        ParticipationPeriod(scenario="vivier_ouvert", since=date(2026, 4, 1)),
    ]
    territory = demo.model_copy(update={"participation": {"comite-technique": periods}})
    winter = _held(datetime(2026, 2, 10, 17, tzinfo=UTC), {uuid.uuid4(): A}, ((A, uuid.uuid4()),))
    spring = _held(datetime(2026, 5, 12, 17, tzinfo=UTC), {uuid.uuid4(): A, uuid.uuid4(): B, uuid.uuid4(): B})
    instances = [winter, spring]
    period = (date(2025, 9, 1), date(2026, 8, 31))
    bilan = compute_bilan(*period, instances, councils=COUNCILS, themes={}, outcomes=[])
    opinions = [
        OpinionOutcome(A, "favourable", "retenu", spring.id),
        OpinionOutcome(B, "reserve", "refuse", spring.id),
    ]
    bilan.scenario_periods = scenario_periods(
        *period, instances, territory, councils=COUNCILS, opinions=opinions
    )
    assert isinstance(bilan.total, Row)
    return bilan.as_dict()


def test_the_comparison_has_a_column_per_period_and_the_difference() -> None:
    [comparison] = comparisons(bilan_with_scenarios())
    assert comparison.title == "Comité technique thématique"
    assert comparison.columns == [
        "Référent·e par thématique (le mardi 10\u00a0février\u00a02026)",
        "Vivier ouvert (le mardi 12\u00a0mai\u00a02026)",
    ]
    summary, per_council, per_theme = comparison.tables
    lines = {line.label: ([cell.text for cell in line.cells], line.difference) for line in summary.lines}
    assert lines["Présence des invités"] == (["25 % (1 sur 4)", "75 % (3 sur 4)"], "+50 pts")
    assert lines["Présence des référents"] == (["0 % (0 sur 1)", "—"], "—")
    assert lines["Conseils représentés aux instances"] == (["50 % (1 sur 2)", "100 % (2 sur 2)"], "+50 pts")
    assert lines["Avis donnés"] == (["0", "2"], "+2")
    assert lines["Avis suivis (parmi les projets décidés)"] == (["—", "50 % (1 sur 2)"], "—")
    assert [line.label for line in per_council.lines] == ["Floréal", "Franc-Moisin"]
    assert [cell.text for cell in per_council.lines[0].cells] == ["0 % (0 sur 2)", "100 % (2 sur 2)"]
    assert [(line.label, line.difference) for line in per_theme.lines] == [
        ("Emploi, insertion et développement économique", "+50 pts")
    ]


async def test_the_bilan_page_shows_the_scenarios_side_by_side(tmp_path: Path) -> None:
    def meetings(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=json.dumps(bilan_with_scenarios()), headers={"content-type": "application/json"}
        )

    app = build_site(tmp_path, meetings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set("conseils_session", session_for("staff"))
        page = await client.get("/equipe/bilan?from=2025-09-01&to=2026-08-31")
    assert page.status_code == 200
    assert "Les scénarios de participation comparés" in page.text
    assert "<caption" in page.text
    assert "Comité technique thématique : présence par conseil" in page.text
    assert '<span class="barre-valeur">75 % (3 sur 4)</span>' in page.text
    assert "<td>+50 pts</td>" in page.text
