"""Participation scenarios dated in the territory file: referent per theme, then an open pool
(every member of a concerned council convened) — the demo's comités techniques from May
2026; here, as Plaine Commune tried it in 2017, an open pool from April to June. What was
convened is frozen with the attendance, and the bilan puts each scenario's period in a row of
its own, side by side."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from conseils_meetings.reports import load_bilan
from conseils_runtime.territory import (
    ParticipationPeriod,
    TerritoryConfig,
    TerritoryFileError,
    default_territory_path,
    load_territory,
    parse_territory,
)
from conseils_web.opinion_pages import representation_for

from .conftest import STAFF, Harness
from .test_api import register, schedule

FEBRUARY = datetime(2026, 2, 10, 17, 30, tzinfo=UTC)  # 18:30 in Paris, referent per theme
MAY = datetime(2026, 5, 12, 16, 30, tzinfo=UTC)  # 18:30 in Paris, open pool


def test_the_demo_dates_its_scenarios() -> None:
    territory = load_territory(default_territory_path())
    on = territory.scenario_on
    assert on("comite-technique", date(2026, 4, 30)) == "referent_par_thematique"
    assert on("comite-technique", date(2026, 5, 1)) == "vivier_ouvert"
    assert on("copil", date(2028, 5, 1)) == "referent_par_thematique"  # no section: today's behaviour
    spring = spring_pool()
    assert spring.scenario_on("comite-technique", date(2026, 6, 30)) == "vivier_ouvert"
    assert spring.scenario_on("comite-technique", date(2026, 7, 1)) == "referent_par_thematique"
    representation = representation_for(spring)
    assert "Vivier ouvert" in (representation("comite-technique", MAY) or "")
    assert "Référent·e par thématique" in (representation("comite-technique", FEBRUARY) or "")
    assert representation("copil", MAY) is None


def spring_pool() -> TerritoryConfig:
    """The demo territory with an open pool from April to June 2026 (as in 2017)."""
    periods = [
        ParticipationPeriod(scenario="referent_par_thematique"),
        ParticipationPeriod(scenario="vivier_ouvert", since=date(2026, 4, 1)),
        ParticipationPeriod(scenario="referent_par_thematique", since=date(2026, 7, 1)),
    ]
    demo = load_territory(default_territory_path())
    return demo.model_copy(update={"participation": {"comite-technique": periods}})


@pytest.mark.parametrize(
    ("section", "reason"),
    [
        ("participation:\n  inconnu:\n    - {scenario: vivier_ouvert}\n", "type d'instance inconnu"),
        (
            "participation:\n  copil:\n    - {scenario: vivier_ouvert, since: 2026-05-01}\n"
            "    - {scenario: referent_par_thematique, since: 2026-04-01}\n",
            "dates croissantes",
        ),
        ("participation:\n  copil:\n    - {scenario: tirage}\n", "valeur non autorisée"),
    ],
)
def test_a_malformed_participation_section_is_refused_with_its_reason(section: str, reason: str) -> None:
    text = default_territory_path().read_text(encoding="utf-8")
    text = text.split("participation:\n  comite-technique:")[0] + section
    with pytest.raises(TerritoryFileError) as refused:
        parse_territory(text)
    assert reason in str(refused.value)


async def test_the_open_pool_convenes_every_member_and_the_bilan_compares(harness: Harness) -> None:
    h = harness
    h.service.territory = spring_pool()
    h.clock.now = datetime(2025, 12, 1, 9, tzinfo=UTC)
    ids = []
    for starts in (FEBRUARY, MAY):
        instance = await schedule(h, "comite-technique", starts, theme="emploi")
        ids.append(instance["id"])
        await register(h, instance["id"], "floreal-2")  # not a referent: a seat to who registers
    for iid, starts in zip(ids, (FEBRUARY, MAY), strict=True):
        h.clock.now = starts + timedelta(hours=3)
        present = [str(h.world.members["franc-moisin-0"]), str(h.world.members["floreal-2"])]
        held = await h.client.post(
            f"/instances/{iid}/attendance", json={"present_member_ids": present}, headers=STAFF
        )
        assert held.status_code == 200, held.text
    convened = [p["convened"] for k, p in await h.outbox() if k == "attendance.recorded"]
    assert [sum(len(group["member_ids"]) for group in groups) for groups in convened] == [3, 12]
    async with h.service.database.sessionmaker() as session:
        bilan = await load_bilan(session, h.service.territory, date(2025, 9, 1), date(2026, 8, 31))
    rows = {row.label: row for row in bilan.by_scenario}
    referent = rows["Comité technique thématique — référent·e par thématique"]
    pool = rows["Comité technique thématique — vivier ouvert"]
    assert (referent.instances_held, referent.invited, referent.present) == (1, 3, 2)
    assert (pool.instances_held, pool.invited, pool.present) == (1, 12, 2)
    assert "by_scenario" in bilan.as_dict()
