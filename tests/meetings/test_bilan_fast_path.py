"""The bilan's fast loader (ids parsed once, member counts by bisection, vacancies from the councils
that ever had a referent, rows fetched at once) gives exactly the figures of the slow path it
replaced (a scan of the history per instance and council), on the bench's seeded data at a small
size plus periods that end, start late, are empty or overlap for one member, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_cli.bench.dataset import Scale, generate, write_territory_file
from conseils_cli.bench.seeders import seed_meetings
from conseils_meetings import reports, tables
from conseils_meetings.bilan import Bilan, BilanInstance, BilanRegistration, Vacancy, compute_bilan
from conseils_meetings.domain import time_slot
from conseils_meetings.projection import registry_view_of
from conseils_meetings.reports import _aware, _outcomes_at, local_bounds, vacancy_days
from conseils_runtime import Database
from conseils_runtime.territory import TerritoryConfig, load_territory

pytestmark = pytest.mark.postgres


async def slow_bilan(
    session: AsyncSession, territory: TerritoryConfig, period_from: date, period_to: date
) -> Bilan:
    """The bilan of a period, every figure of an instance as of the instance's date.

    Who was invited and who was referent come from the temporal read model on
    the day of the instance (or, once attendance is recorded, from the convened
    list frozen with it); an outcome's status is its status at the end of the
    period. A member who leaves or a referent replaced later changes nothing.
    """
    reports.check_period(period_from, period_to)
    timezone = territory.territory.timezone
    zone = ZoneInfo(timezone)
    start, end = local_bounds(period_from, period_to, timezone)
    kinds = {kind.slug: kind for kind in territory.instance_types}
    instance_rows = list(
        (
            await session.execute(
                select(tables.instances)
                .where(tables.instances.c.starts_at >= start, tables.instances.c.starts_at < end)
                .order_by(tables.instances.c.starts_at, tables.instances.c.id)
            )
        ).mappings()
    )
    ids = [row["id"] for row in instance_rows]
    concerned: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    registrations: dict[uuid.UUID, list[BilanRegistration]] = defaultdict(list)
    present: dict[uuid.UUID, dict[uuid.UUID, uuid.UUID | None]] = defaultdict(dict)
    convened: dict[uuid.UUID, dict[uuid.UUID, set[uuid.UUID]]] = defaultdict(lambda: defaultdict(set))
    if ids:
        for row in await session.execute(
            select(tables.instance_councils).where(tables.instance_councils.c.instance_id.in_(ids))
        ):
            concerned[row.instance_id].append(row.council_id)
        for row in await session.execute(
            select(tables.registrations).where(tables.registrations.c.instance_id.in_(ids))
        ):
            registrations[row.instance_id].append(
                BilanRegistration(row.member_id, row.council_id, row.mode, row.status)
            )
        for row in await session.execute(
            select(tables.attendance).where(tables.attendance.c.instance_id.in_(ids))
        ):
            present[row.instance_id][row.member_id] = row.council_id
        for row in await session.execute(
            select(tables.convened).where(tables.convened.c.instance_id.in_(ids))
        ):
            convened[row.instance_id][row.council_id].add(row.member_id)
    history = await registry_view_of(territory).history(session)
    councils = {council_id: info[0] for council_id, info in history.councils.items()}
    cities = {council_id: (info[2], info[1]) for council_id, info in history.councils.items()}

    instances = []
    for instance_row in instance_rows:
        kind = kinds.get(instance_row["instance_type"])
        starts_at = _aware(instance_row["starts_at"])
        day = starts_at.astimezone(zone).date()
        instance_concerned = sorted(set(concerned[instance_row["id"]]))
        theme = instance_row["theme"]
        theme_referents = tuple(
            (council_id, member_id)
            for council_id in instance_concerned
            if theme is not None
            for member_id in sorted(history.referents_on(council_id, theme, day))
        )
        frozen = convened.get(instance_row["id"])
        if frozen is not None:
            invited = {c: len(frozen.get(c, ())) for c in instance_concerned}
        elif instance_row["scope"] == "theme":  # the referents of the theme are the ones invited
            invited = {c: len(history.referents_on(c, theme or "", day)) for c in instance_concerned}
        else:
            invited = {c: len(history.members_on(c, day)) for c in instance_concerned}
        published = instance_row["first_dossier_published_at"]
        instances.append(
            BilanInstance(
                id=instance_row["id"],
                instance_type=instance_row["instance_type"],
                type_name=kind.name if kind else instance_row["instance_type"],
                political=instance_row["is_political"],
                theme=theme,
                starts_at=starts_at,
                status=instance_row["status"],
                is_evening=instance_row["is_evening"],
                concerned=tuple(instance_concerned),
                invited_by_council=invited,
                registrations=tuple(registrations[instance_row["id"]]),
                present=present[instance_row["id"]],
                referents=theme_referents,
                dossier_published_at=_aware(published) if published is not None else None,
                dossier_notice_required_days=kind.dossier_notice_days if kind else 0,
                day=day,
                slot=time_slot(starts_at, timezone),
                others=tuple(
                    (str(group["category"]), int(group["count"]))
                    for group in instance_row.get("other_attendees") or ()
                ),
            )
        )
    vacancies: list[Vacancy] = []
    for day in vacancy_days(period_from, period_to):
        existing = [c for c in history.councils if history.council_exists_on(c, day)]
        vacancies.extend(
            Vacancy(
                theme=theme.slug,
                day=day,
                councils=len(existing),
                without_referent=sum(1 for c in existing if not history.referents_on(c, theme.slug, day)),
            )
            for theme in territory.themes
        )
    themes = {theme.slug: theme.name for theme in territory.themes}
    return compute_bilan(
        period_from,
        period_to,
        instances,
        councils=councils,
        themes=themes,
        outcomes=await _outcomes_at(session, period_from, period_to, end),
        cities=cities,
        vacancies=vacancies,
    )


async def test_the_fast_bilan_has_the_figures_of_the_slow_path(database_url: str, tmp_path: Path) -> None:
    data = generate(
        Scale(councils=40, members=800, instances=160, registrations=3_000, cities=6), slug="bilan-fast"
    )
    territory = load_territory(write_territory_file(data, tmp_path / "territory.yaml"))
    await seed_meetings(database_url, data)
    database = Database(database_url)
    try:
        periods = registry_view_of(territory).t.member_periods
        councils = [c.id for c in data.councils]
        middle = data.year_from + timedelta(days=180)
        extra = []
        for index, m in enumerate(data.members[:200]):
            other = councils[(index + 1) % len(councils)]
            since = data.year_from + timedelta(days=1 + index % 300)  # (member, since) is the key
            if index % 4 == 0:  # left in the year, then back in another council
                extra.append((m.id, other, since, since + timedelta(days=30 + index % 90)))
            elif index % 4 == 1:  # joined a second council late in the year
                extra.append((m.id, other, middle + timedelta(days=index % 60), None))
            elif index % 4 == 2:  # an empty interval, which covers no day
                extra.append((m.id, other, since, since))
            else:  # a second, overlapping period in her own council
                extra.append((m.id, m.council_id, since, since + timedelta(days=20)))
        async with database.sessionmaker() as session, session.begin():
            for member_id, council_id, since, until in extra:
                await session.execute(
                    insert(periods).values(
                        member_id=member_id, council_id=council_id, since=since, until=until
                    )
                )
        async with database.sessionmaker() as session:
            fast = await reports.load_bilan(session, territory, data.year_from, data.year_to)
        async with database.sessionmaker() as session:
            slow = await slow_bilan(session, territory, data.year_from, data.year_to)
        assert fast.total.instances_held > 0
        assert fast.total.invited > 0
        assert fast == slow
        async with database.sessionmaker() as session:  # and over a part of the year
            part_fast = await reports.load_bilan(session, territory, middle, data.year_to)
            part_slow = await slow_bilan(session, territory, middle, data.year_to)
        assert part_fast == part_slow
    finally:
        await database.dispose()
