"""The bilan's loader keyed by the ids' integers (councils and members hashed as `int`s, UUIDs
again in the `Bilan`; only confirmed registrations and presences of held instances read) gives
the figures of the slow path, including what the integer keys could get wrong: the per-scenario
figures (their instances converted back to UUIDs), a council unknown to the read model (its row
keyed by its UUID's text), a presence of an unknown member with no council, and unconfirmed
registrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import insert, select

from conseils_cli.bench.dataset import Scale, generate, write_territory_file
from conseils_cli.bench.seeders import seed_meetings
from conseils_meetings import reports, tables
from conseils_meetings.bilan import Bilan, BilanInstance
from conseils_meetings.repository import Repository
from conseils_meetings.representative_queries import representatives
from conseils_meetings.scenario_figures import scenario_periods, scenario_rows
from conseils_meetings.voice_figures import opinion_figures
from conseils_runtime import Database
from conseils_runtime.territory import TerritoryConfig, load_territory
from tests.meetings import test_bilan_fast_path as slow

pytestmark = pytest.mark.postgres


async def slow_with_scenarios(
    session: Any, territory: TerritoryConfig, period_from: date, period_to: date, monkeypatch: Any
) -> Bilan:
    """The slow path, then the scenario and opinion figures as the loader computed them before
    the integer keys: from every instance, with UUIDs."""
    seen: list[Any] = []
    real = slow.compute_bilan

    def capture(*args: Any, **kwargs: Any) -> Bilan:
        seen.append((args[2], kwargs["councils"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(slow, "compute_bilan", capture)
    bilan = await slow.slow_bilan(session, territory, period_from, period_to)
    monkeypatch.setattr(slow, "compute_bilan", real)
    instances: list[BilanInstance] = list(seen[0][0])
    councils = seen[0][1]
    opinions = await Repository(session).opinion_outcomes([i.id for i in instances])
    bilan.opinions_by_council = opinion_figures(opinions, councils)
    bilan.by_scenario = scenario_rows(period_from, period_to, instances, territory)
    substitutes, turns = await representatives(session, instances)
    bilan.scenario_periods = scenario_periods(
        period_from,
        period_to,
        instances,
        territory,
        councils=councils,
        opinions=opinions,
        substitutes=substitutes,
        turns=turns,
    )
    return bilan


async def test_the_integer_keys_give_the_figures_of_the_slow_path(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = generate(
        Scale(councils=30, members=600, instances=160, registrations=3_000, cities=5), slug="bilan-keys"
    )
    middle = data.year_from + timedelta(days=180)
    path = write_territory_file(data, tmp_path / "territory.yaml")
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    # dated scenarios for a themed type (referents: the slow path's rule for a theme) and a city one
    document["participation"] = {
        "comite-technique": [{"scenario": "referent_par_thematique"}],
        "clip": [{"scenario": "vivier_ouvert"}, {"scenario": "rotation", "since": middle.isoformat()}],
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    territory = load_territory(path)
    await seed_meetings(database_url, data)
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            held = (
                await session.execute(
                    select(tables.instances.c.id)
                    .where(tables.instances.c.status == "held")
                    .order_by(tables.instances.c.starts_at)
                    .limit(3)
                )
            ).scalars()
            for instance_id in held:
                unknown = uuid.uuid4()  # a council the read model does not know (yet)
                await session.execute(
                    insert(tables.instance_councils).values(instance_id=instance_id, council_id=unknown)
                )
                await session.execute(
                    insert(tables.attendance).values(
                        instance_id=instance_id, member_id=uuid.uuid4(), council_id=None, registered=False
                    )
                )
        async with database.sessionmaker() as session:
            fast = await reports.load_bilan(session, territory, data.year_from, data.year_to)
        async with database.sessionmaker() as session:
            expected = await slow_with_scenarios(
                session, territory, data.year_from, data.year_to, monkeypatch
            )
        assert fast.by_scenario  # the dated types are there
        assert fast.scenario_periods
        assert any(row.label == row.key for row in fast.by_council)  # the unknown councils' rows
        assert all(isinstance(c, uuid.UUID) for row in fast.rows() for c in row._councils)
        assert fast == expected
        async with database.sessionmaker() as session:  # and over the half where rotation is in force
            part = await reports.load_bilan(session, territory, middle, data.year_to)
        async with database.sessionmaker() as session:
            part_expected = await slow_with_scenarios(session, territory, middle, data.year_to, monkeypatch)
        assert part == part_expected
    finally:
        await database.dispose()
