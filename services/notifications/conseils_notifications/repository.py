"""Typed queries on the notifications tables. Every function runs in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import tables as t
from conseils_notifications.domain import (
    CATEGORIES,
    CouncilView,
    Directory,
    InstanceView,
    MemberView,
    PlannedDelivery,
    Preferences,
)
from conseils_runtime.registry_view import RegistryView


async def upsert(
    session: AsyncSession, table: Any, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Portable upsert (SQLite and PostgreSQL): update, insert when nothing was updated."""
    condition = and_(*(table.c[name] == value for name, value in key.items()))
    result: Any = await session.execute(update(table).where(condition).values(**values))
    if result.rowcount == 0:
        await session.execute(insert(table).values(**key, **values))


# --------------------------------------------------------------------------- read models


async def directory(session: AsyncSession, today: date) -> Directory:
    """Who is concerned on `today` (the territory's date): current members and referents."""
    council_rows = (await session.execute(select(t.councils))).mappings().all()
    member_rows = (await session.execute(select(t.members).where(t.members.c.active))).mappings().all()
    preference_themes = {
        row.member_id: row.themes
        for row in (
            await session.execute(
                select(t.preferences.c.member_id, t.preferences.c.themes).where(
                    t.preferences.c.themes.is_not(None)
                )
            )
        ).all()
    }
    referents = await RegistryView(t.registry_view).current_referents(session, today)
    return Directory(
        councils=tuple(
            CouncilView(row["council_id"], row["city_code"], bool(row["active"])) for row in council_rows
        ),
        members=tuple(
            MemberView(
                row["member_id"],
                row["council_id"],
                frozenset(preference_themes.get(row["member_id"]) or row["themes_followed"] or ()),
            )
            for row in member_rows
        ),
        referents=referents,
    )


async def instance(session: AsyncSession, instance_id: UUID) -> dict[str, Any] | None:
    row = (
        (await session.execute(select(t.instances).where(t.instances.c.instance_id == instance_id)))
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def instance_view(row: Mapping[str, Any]) -> InstanceView:
    return InstanceView(
        instance_id=row["instance_id"],
        scope=row["scope"],
        theme=row["theme"],
        city_code=row["city_code"],
        council_ids=tuple(UUID(str(value)) for value in row["council_ids"]),
    )


async def registrants(session: AsyncSession, instance_id: UUID, *, confirmed_only: bool) -> dict[UUID, UUID]:
    """Member id -> council id of the instance's live registrations."""
    statuses = ("confirmed",) if confirmed_only else ("confirmed", "waitlisted")
    rows = await session.execute(
        select(t.registrations.c.member_id, t.registrations.c.council_id).where(
            t.registrations.c.instance_id == instance_id, t.registrations.c.status.in_(statuses)
        )
    )
    return {row.member_id: row.council_id for row in rows}


async def attendees(session: AsyncSession, instance_id: UUID) -> list[UUID]:
    rows = await session.execute(
        select(t.attendance.c.member_id).where(t.attendance.c.instance_id == instance_id)
    )
    return [row[0] for row in rows]


async def told_before(session: AsyncSession, instance_id: UUID) -> list[UUID]:
    """Members who got (or will get) a notification about this instance."""
    rows = await session.execute(
        select(t.deliveries.c.member_id)
        .where(t.deliveries.c.instance_id == instance_id, t.deliveries.c.status != "failed")
        .distinct()
    )
    return [row[0] for row in rows]


# --------------------------------------------------------------------------- preferences


def _preferences_from_row(row: Mapping[str, Any]) -> Preferences:
    return Preferences(
        channels=frozenset(row["channels"]),
        categories=frozenset(row["categories"]),
        digest=bool(row["digest"]),
        themes=frozenset(row["themes"]) if row["themes"] is not None else None,
        language=row["language"],
    )


async def preferences_of(session: AsyncSession, member_ids: Iterable[UUID]) -> dict[UUID, Preferences]:
    ids = list(member_ids)
    if not ids:
        return {}
    rows = (
        (await session.execute(select(t.preferences).where(t.preferences.c.member_id.in_(ids))))
        .mappings()
        .all()
    )
    return {row["member_id"]: _preferences_from_row(dict(row)) for row in rows}


async def save_preferences(session: AsyncSession, member_id: UUID, prefs: Preferences) -> None:
    await upsert(
        session,
        t.preferences,
        {"member_id": member_id},
        {
            "channels": sorted(prefs.channels),
            "categories": [c for c in CATEGORIES if c in prefs.categories],
            "digest": prefs.digest,
            "themes": sorted(prefs.themes) if prefs.themes is not None else None,
            "language": prefs.language,
        },
    )


async def set_feed_token(session: AsyncSession, member_id: UUID, token: str | None) -> None:
    current = await preferences_of(session, [member_id])
    if member_id not in current:
        await save_preferences(session, member_id, Preferences())
    await session.execute(
        update(t.preferences).where(t.preferences.c.member_id == member_id).values(feed_token=token)
    )


async def member_by_feed_token(session: AsyncSession, token: str) -> UUID | None:
    row = (
        await session.execute(select(t.preferences.c.member_id).where(t.preferences.c.feed_token == token))
    ).first()
    return row[0] if row is not None else None


# --------------------------------------------------------------------------- deliveries


async def add_deliveries(
    session: AsyncSession,
    *,
    source_event_id: str,
    kind: str,
    category: str,
    instance_id: UUID | None,
    planned: Sequence[PlannedDelivery],
    context: Mapping[str, Any],
    now: datetime,
) -> int:
    """Insert the deliveries not already there (a redelivered event adds nothing)."""
    if not planned:
        return 0
    existing = {
        (row.member_id, row.channel)
        for row in await session.execute(
            select(t.deliveries.c.member_id, t.deliveries.c.channel).where(
                t.deliveries.c.source_event_id == source_event_id
            )
        )
    }
    rows = [
        {
            "delivery_id": uuid.uuid4(),
            "source_event_id": source_event_id,
            "member_id": item.member_id,
            "channel": item.channel,
            "category": category,
            "kind": kind,
            "instance_id": instance_id,
            "reason": item.reason,
            "context": dict(context),
            "status": "digest" if item.deferred_to_digest else "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for item in planned
        if (item.member_id, item.channel) not in existing
    ]
    if rows:
        await session.execute(insert(t.deliveries), rows)
    return len(rows)


async def claim_due_deliveries(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int, lock: bool
) -> list[dict[str, Any]]:
    """Take due deliveries for sending; a lease makes a crashed sender's rows due again later."""
    query = (
        select(t.deliveries)
        .where(
            or_(t.deliveries.c.status == "pending", t.deliveries.c.status == "sending"),
            t.deliveries.c.next_attempt_at <= now,
        )
        .order_by(t.deliveries.c.next_attempt_at, t.deliveries.c.created_at)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    rows = [dict(row) for row in (await session.execute(query)).mappings().all()]
    if rows:
        await session.execute(
            update(t.deliveries)
            .where(t.deliveries.c.delivery_id.in_([row["delivery_id"] for row in rows]))
            .values(status="sending", next_attempt_at=lease_until)
        )
    return rows


async def contact(session: AsyncSession, member_id: UUID) -> dict[str, Any] | None:
    row = (
        (await session.execute(select(t.contacts).where(t.contacts.c.member_id == member_id)))
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


async def update_delivery(session: AsyncSession, delivery_id: UUID, **values: Any) -> None:
    await session.execute(
        update(t.deliveries).where(t.deliveries.c.delivery_id == delivery_id).values(**values)
    )


async def count_deliveries(session: AsyncSession, **where: Any) -> int:
    query = select(func.count()).select_from(t.deliveries)
    for name, value in where.items():
        query = query.where(t.deliveries.c[name] == value)
    return int((await session.execute(query)).scalar_one())


async def erase_member(session: AsyncSession, member_id: UUID) -> None:
    """Every copy of a person's data, including the log of what we sent them."""
    # Her row in the registry read model stays, marked erased (ids only): a late fact about
    # her must not bring her back as a recipient.
    for table in (t.contacts, t.preferences, t.attendance, t.deliveries):
        await session.execute(delete(table).where(table.c.member_id == member_id))
    await session.execute(delete(t.registrations).where(t.registrations.c.member_id == member_id))
