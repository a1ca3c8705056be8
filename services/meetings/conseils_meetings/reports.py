"""The bilan's query layer: what happened in a period, each figure as of its date.

The outputs (CSV, JSON, HTML) are in `bilan_outputs.py`.

Reads only the meetings database (its own tables and the registry read
model), so it works the same on a database rebuilt by replaying the events.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.bilan import (
    HELD,
    Bilan,
    BilanInstance,
    BilanOutcome,
    BilanRegistration,
    Id,
    Vacancy,
    compute_bilan,
)
from conseils_meetings.bilan_history import Keys, load_history
from conseils_meetings.domain import time_slot
from conseils_meetings.raw_reads import raw, rows
from conseils_meetings.repository import Repository
from conseils_meetings.representative_queries import representatives
from conseils_meetings.scenario_figures import scenario_periods, scenario_rows
from conseils_meetings.voice_figures import opinion_figures
from conseils_runtime.http import DomainError
from conseils_runtime.territory import TerritoryConfig
from conseils_runtime.times import as_utc

_aware = as_utc


EARLIEST, LATEST = date(1990, 1, 1), date(2200, 12, 31)
"""Bounds of a bilan period: before the contrats de ville, or too far ahead, is a typing error."""


def check_period(period_from: date, period_to: date) -> None:
    if period_from < EARLIEST or period_to > LATEST:
        raise DomainError(
            "Période hors limites : choisissez des dates entre le "
            f"{EARLIEST:%d/%m/%Y} et le {LATEST:%d/%m/%Y}."
        )
    if period_to < period_from:
        raise DomainError("La fin de la période doit être après son début.")
    if (period_to - period_from).days > 366 * 5:
        raise DomainError("Période trop longue (5 ans au plus).")


def local_bounds(period_from: date, period_to: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants [start, end) of a period of local calendar dates, both ends included."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(period_from, time.min, zone).astimezone(UTC)
    end = datetime.combine(period_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


class _Words(dict[str, str]):
    """The first str object read for each value: the driver makes one per row otherwise (the
    mode and status of 74,000 registrations: 9 MiB of the national bilan's memory)."""

    def __missing__(self, word: str) -> str:
        self[word] = word
        return word


_WINDOW = timedelta(days=31)


def _windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut in consecutive windows of at most 31 days (the bilan reads one at a time)."""
    bounds = []
    cursor = start
    while cursor < end:
        bounds.append((cursor, min(cursor + _WINDOW, end)))
        cursor += _WINDOW
    return bounds


def vacancy_days(period_from: date, period_to: date) -> list[date]:
    """When vacancies are sampled: the first day of each month of the period, and its last day."""
    days = [period_from]
    cursor = date(period_from.year, period_from.month, 1)
    while True:
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        if cursor > period_to:
            break
        days.append(cursor)
    if days[-1] != period_to:
        days.append(period_to)
    return days


async def load_bilan(
    session: AsyncSession, territory: TerritoryConfig, period_from: date, period_to: date
) -> Bilan:
    """The bilan of a period, every figure of an instance as of the instance's date.

    Who was invited and who was referent come from the temporal read model on
    the day of the instance (or, once attendance is recorded, from the convened
    list frozen with it); an outcome's status is its status at the end of the
    period. A member who leaves or a referent replaced later changes nothing.
    """
    check_period(period_from, period_to)
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
    # ids keyed by their integers (`Keys`): hashed, compared and sorted in C; UUIDs again in the Bilan
    uid = Keys()
    concerned: dict[int, list[int]] = defaultdict(list)
    registrations: dict[int, list[BilanRegistration]] = defaultdict(list)
    present: dict[int, dict[Id, Id | None]] = defaultdict(dict)
    convened: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    if ids:
        ic, r, a, cv = tables.instance_councils, tables.registrations, tables.attendance, tables.convened
        i = tables.instances
        # The period's instances a month at a time, as a subquery (not 5,000 bound ids per query):
        # a window's rows are dropped once read, so the year's 210,000 rows are never all held at
        # once (their text ids were a third of a national bilan's peak memory). Only the held
        # instances count registrations and presences (`compute_bilan`), and only confirmed ones.
        words: Callable[[str], str] = _Words().__getitem__
        for window_start, window_end in _windows(start, end):
            in_window = select(i.c.id).where(i.c.starts_at >= window_start, i.c.starts_at < window_end)
            held = in_window.where(i.c.status.in_(sorted(HELD)))
            for instance_id, council_id in await rows(
                session,
                select(raw(ic.c.instance_id), raw(ic.c.council_id)).where(ic.c.instance_id.in_(in_window)),
            ):
                concerned[uid[instance_id]].append(uid[council_id])
            for instance_id, member_id, council_id, mode, status in await rows(
                session,
                select(
                    raw(r.c.instance_id), raw(r.c.member_id), raw(r.c.council_id), r.c.mode, r.c.status
                ).where(r.c.instance_id.in_(held), r.c.status == "confirmed"),
            ):
                registrations[uid[instance_id]].append(  # one str object per distinct mode, status
                    BilanRegistration(uid[member_id], uid[council_id], words(mode), words(status))
                )
            for instance_id, member_id, council_id in await rows(
                session,
                select(raw(a.c.instance_id), raw(a.c.member_id), raw(a.c.council_id)).where(
                    a.c.instance_id.in_(held)
                ),
            ):
                present[uid[instance_id]][uid[member_id]] = uid.optional(council_id)
            for instance_id, council_id, member_id in await rows(
                session,
                select(raw(cv.c.instance_id), raw(cv.c.council_id), raw(cv.c.member_id)).where(
                    cv.c.instance_id.in_(in_window)
                ),
            ):
                convened[uid[instance_id]][uid[council_id]].add(uid[member_id])
    loaded = await load_history(session, territory, uid)
    history, members_on = loaded.history, loaded.members_on
    councils = {council_id: info[0] for council_id, info in history.councils.items()}
    cities = {council_id: (info[2], info[1]) for council_id, info in history.councils.items()}

    def by_referent(instance_type: str, day: date) -> bool:
        return territory.scenario_on(instance_type, day) == "referent_par_thematique"

    instances = []
    for instance_row in instance_rows:
        kind = kinds.get(instance_row["instance_type"])
        starts_at = _aware(instance_row["starts_at"])
        day = starts_at.astimezone(zone).date()
        key = instance_row["id"].int
        instance_concerned = sorted(set(concerned[key]))  # integers: the order of the UUIDs
        theme = instance_row["theme"]
        theme_referents = tuple(
            (council_id, member_id)
            for council_id in instance_concerned
            if theme is not None
            for member_id in sorted(history.referents_on(council_id, theme, day))
        )
        frozen = convened.get(key)
        invited: dict[Id, int]
        if frozen is not None:
            invited = {c: len(frozen.get(c, ())) for c in instance_concerned}
        elif instance_row["scope"] == "theme" and by_referent(instance_row["instance_type"], day):
            # referent per theme: the referents of the theme are the ones invited
            invited = {c: len(history.referents_on(c, theme or "", day)) for c in instance_concerned}
        else:
            invited = {c: members_on(c, day) for c in instance_concerned}
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
                registrations=tuple(registrations[key]),
                present=present[key],
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
    ever_referent = loaded.ever_referent  # only these can have a referent on a day
    for day in vacancy_days(period_from, period_to):
        existing = {c for c in history.councils if history.council_exists_on(c, day)}
        vacancies.extend(
            Vacancy(
                theme=theme.slug,
                day=day,
                councils=len(existing),
                without_referent=len(existing)
                - sum(
                    1
                    for c in ever_referent[theme.slug] & existing
                    if history.referents_on(c, theme.slug, day)
                ),
            )
            for theme in territory.themes
        )
    themes = {theme.slug: theme.name for theme in territory.themes}
    bilan = compute_bilan(
        period_from,
        period_to,
        instances,
        councils=councils,
        themes=themes,
        outcomes=await _outcomes_at(session, period_from, period_to, end),
        cities=cities,
        vacancies=vacancies,
        ids=uid.uuids,
    )
    by_uuid = {uid.uuids[council_id]: name for council_id, name in councils.items()}
    opinions = await Repository(session).opinion_outcomes(ids)
    bilan.opinions_by_council = opinion_figures(opinions, by_uuid)
    # the scenario figures read only the instance types with dated scenarios, with their UUIDs
    dated = [_with_uuids(i, uid.uuids) for i in instances if i.instance_type in territory.participation]
    bilan.by_scenario = scenario_rows(period_from, period_to, dated, territory)
    substitutes, turns = await representatives(session, dated)  # who stood for whom
    bilan.scenario_periods = scenario_periods(
        period_from,
        period_to,
        dated,
        territory,
        councils=by_uuid,
        opinions=opinions,
        substitutes=substitutes,
        turns=turns,
    )
    return bilan


def _with_uuids(instance: BilanInstance, uuids: Mapping[Any, uuid.UUID]) -> BilanInstance:
    """The instance with the UUIDs of its councils and members instead of their `Keys`."""
    return replace(
        instance,
        concerned=tuple(uuids[c] for c in instance.concerned),
        invited_by_council={uuids[c]: n for c, n in instance.invited_by_council.items()},
        registrations=tuple(
            BilanRegistration(uuids[r.member_id], uuids[r.council_id], r.mode, r.status)
            for r in instance.registrations
        ),
        present={uuids[m]: None if c is None else uuids[c] for m, c in instance.present.items()},
        referents=tuple((uuids[c], uuids[m]) for c, m in instance.referents),
    )


async def _outcomes_at(
    session: AsyncSession, period_from: date, period_to: date, end: datetime
) -> list[BilanOutcome]:
    """Outcomes made in the period, each with its status at the period's end (from its history)."""
    rows = list(
        await session.execute(
            select(tables.outcomes.c.id, tables.outcomes.c.kind, tables.outcomes.c.theme).where(
                tables.outcomes.c.made_on >= period_from, tables.outcomes.c.made_on <= period_to
            )
        )
    )
    status: dict[uuid.UUID, str] = {}
    if rows:
        updates = await session.execute(
            select(
                tables.outcome_updates.c.outcome_id,
                tables.outcome_updates.c.status,
                tables.outcome_updates.c.at,
            )
            .where(tables.outcome_updates.c.outcome_id.in_([row.id for row in rows]))
            .order_by(tables.outcome_updates.c.position)
        )
        for update in updates:
            if _aware(update.at) < end:
                status[update.outcome_id] = update.status
    return [BilanOutcome(row.kind, status.get(row.id, "proposed"), row.theme) for row in rows]
