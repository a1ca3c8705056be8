"""The bilan compares the participation scenarios (issue 20, item 6): for each period a scenario
was in force, presence per council and theme, the referents' presence, the councils represented
at each instance and the opinions given and followed; the CSV carries the per-scenario rows and
the opinions of each council."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

from conseils_meetings.bilan_csv import bilan_csv
from conseils_meetings.reports import load_bilan
from conseils_meetings.scenario_figures import scenario_periods, scenario_rows
from conseils_meetings.voice_figures import OpinionOutcome, opinion_figures

from .conftest import STAFF, Harness
from .test_api import register, schedule
from .test_bilan import COUNCILS, A, B, M, bilan, instance
from .test_scenarios import FEBRUARY, MAY, spring_pool

PERIOD = (date(2025, 9, 1), date(2026, 8, 31))


def test_each_scenario_period_has_its_presence_referents_councils_and_opinions() -> None:
    territory = spring_pool()
    winter = instance(
        kind="comite-technique", theme="emploi", starts=FEBRUARY, concerned=(A, B),
        present={M[0]: A}, referents=((A, M[0]), (B, M[1])),
    )  # fmt: skip
    spring = instance(
        kind="comite-technique", theme="emploi", starts=MAY, concerned=(A, B),
        present={M[2]: A, M[3]: B, M[4]: B},
    )  # fmt: skip
    other = instance(kind="copil", starts=MAY, concerned=(A, B), present={M[5]: A})  # no dated scenarios
    opinions = [
        OpinionOutcome(A, "favourable", "retenu", winter.id),
        OpinionOutcome(A, "defavorable", "retenu", spring.id),
        OpinionOutcome(B, "favourable", "retenu", spring.id),
        OpinionOutcome(B, "reserve", None, spring.id),
        OpinionOutcome(B, "favourable", "retenu", other.id),  # not an instance type with scenarios
    ]
    periods = scenario_periods(
        *PERIOD, [spring, winter, other], territory, councils=COUNCILS, opinions=opinions
    )
    assert [(p.scenario, p.first_day) for p in periods] == [
        ("referent_par_thematique", date(2026, 2, 10)),
        ("vivier_ouvert", date(2026, 5, 12)),
    ]
    referent, pool = periods
    assert (referent.councils_represented, referent.councils_concerned) == (1, 2)
    assert (pool.councils_represented, pool.councils_concerned) == (2, 2)
    assert (referent.total.referents_expected, referent.total.referents_present) == (2, 1)
    assert {row.label: row.present for row in pool.by_council} == {"Conseil A": 1, "Conseil B": 2}
    assert [(row.key, row.present) for row in referent.by_theme] == [("emploi", 1)]
    assert (referent.opinions_given, referent.opinions_decided, referent.opinions_followed) == (1, 1, 1)
    assert (pool.opinions_given, pool.opinions_decided, pool.opinions_followed) == (3, 2, 1)
    as_dict = pool.as_dict()
    assert as_dict["label"] == "Comité technique thématique — vivier ouvert"
    assert as_dict["by_council"][1]["present"] == 2


def test_the_csv_has_a_row_per_scenario_and_the_opinions_per_council() -> None:
    territory = spring_pool()
    winter = instance(kind="comite-technique", theme="emploi", starts=FEBRUARY, present={M[0]: A})
    spring = instance(kind="comite-technique", theme="emploi", starts=MAY, present={M[1]: B})
    figures = bilan(winter, spring)
    figures.by_scenario = scenario_rows(date(2026, 1, 1), date(2026, 12, 31), [winter, spring], territory)
    figures.opinions_by_council = opinion_figures(
        [OpinionOutcome(A, "favourable", "retenu"), OpinionOutcome(A, "reserve", None)], COUNCILS
    )
    lines = list(csv.reader(io.StringIO(bilan_csv(figures)), delimiter=";"))
    scenarios = [line for line in lines if line and line[0] == "scenario"]
    assert [line[1] for line in scenarios] == [
        "comite-technique:referent_par_thematique",
        "comite-technique:vivier_ouvert",
    ]
    header = lines.index(
        [
            "avis des conseils",
            "avis donnés",
            "favorables",
            "réservés",
            "défavorables",
            "projets décidés",
            "avis suivis",
        ]
    )
    assert lines[header + 1] == ["Conseil A", "2", "1", "1", "0", "1", "1"]


async def test_the_bilan_loaded_from_the_database_details_each_scenario(harness: Harness) -> None:
    h = harness
    h.service.territory = spring_pool()
    h.clock.now = datetime(2025, 12, 1, 9, tzinfo=UTC)
    ids = []
    for starts in (FEBRUARY, MAY):
        created = await schedule(h, "comite-technique", starts, theme="emploi")
        ids.append(created["id"])
        await register(h, created["id"], "floreal-2")
    for iid, starts in zip(ids, (FEBRUARY, MAY), strict=True):
        h.clock.now = starts + timedelta(hours=3)
        present = [str(h.world.members["franc-moisin-0"]), str(h.world.members["floreal-2"])]
        held = await h.client.post(
            f"/instances/{iid}/attendance", json={"present_member_ids": present}, headers=STAFF
        )
        assert held.status_code == 200, held.text
    async with h.service.database.sessionmaker() as session:
        loaded = await load_bilan(session, h.service.territory, *PERIOD)
    periods = loaded.as_dict()["scenario_periods"]
    assert [(p["scenario"], p["first_day"]) for p in periods] == [
        ("referent_par_thematique", "2026-02-10"),
        ("vivier_ouvert", "2026-05-12"),
    ]
    for period in periods:
        assert period["total"]["present"] == 2
        assert period["councils_represented"] == 2  # franc-moisin and floreal, each with one present
        assert sorted(row["present"] for row in period["by_council"] if row["present"]) == [1, 1]
        assert uuid.UUID(period["by_council"][0]["key"])
