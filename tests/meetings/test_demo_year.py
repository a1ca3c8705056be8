"""The demo's past year (`conseils_meetings.demo`), played through the real use cases on the
harness's read model: held instances, a Saturday forum, attendance, outcomes, an agenda ahead;
and nothing the second time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from conseils_meetings import tables
from conseils_meetings.demo import demo_period, members_by_council, play_demo_year
from conseils_meetings.reports import load_bilan

from .conftest import Harness

TODAY = date(2027, 9, 15)  # the harness's members joined on 1 January 2026


async def test_the_demo_year_is_played_once_with_its_history(harness: Harness) -> None:
    service = harness.service
    harness.clock.now = datetime(2027, 9, 15, 8, tzinfo=UTC)
    members = await members_by_council(service)
    assert len(members) == 3

    facts = await play_demo_year(service, members, TODAY)

    assert service.clock is harness.clock  # the real clock is back
    kinds = Counter(kind for kind, _payload in await harness.outbox())
    assert facts == sum(kinds.values())
    for kind in ("instance.scheduled", "instance.rescheduled", "instance.cancelled", "instance.held"):
        assert kinds[kind] >= 1, (kind, kinds)
    assert any("waitlisted" in kind for kind in kinds), kinds
    assert any("promoted" in kind for kind in kinds), kinds

    period = demo_period(TODAY)
    assert period == (date(2026, 9, 1), date(2027, 9, 14))
    async with service.database.sessionmaker() as session:
        bilan = await load_bilan(session, service.territory, *period)
    total = bilan.total
    # COPIL ×3, one comité technique (Emploi) in autumn and one in spring (the open pool), one CLIP
    # held of two (one cancelled), the forum.
    assert (total.instances_held, bilan.instances_cancelled) == (7, 1)
    assert total.invited > 0
    assert total.present > 0
    assert total.registered_absent >= 1
    assert total.present_unregistered >= 1
    assert total.registered_observers == 1
    by_type = {row.key: row for row in bilan.by_type}
    assert (by_type["copil"].political_held, by_type["copil"].political_evening) == (3, 3)
    forum = by_type["forum"]
    assert (forum.political_held, forum.political_evening, forum.political_saturday) == (1, 0, 1)
    emploi = next(row for row in bilan.by_theme if row.key == "emploi")
    assert emploi.referents_expected == 6  # its three referents, at the autumn and the spring comité
    assert emploi.referents_present >= 1
    assert bilan.outcomes["proposal"]["done"] == 1
    assert bilan.outcomes["commitment"]["in_progress"] == 1

    upcoming = await service.list_instances(starts_from=harness.clock.now, starts_before=None)
    assert len(upcoming) == 3

    # A second run finds instances: nothing happens.
    async with service.database.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(tables.instances))
    assert await play_demo_year(service, members, TODAY) == 0
    async with service.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(tables.instances)) == count
    assert len(await harness.outbox()) == facts
