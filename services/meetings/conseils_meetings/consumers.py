"""Registry events -> the local read model of councils, members and referents.

The meetings service decides who is concerned and who may register from
these tables only; it never calls the registry. Handlers are idempotent
through the runtime (processed-event table) and are upserts anyway, so a
replay from the start of the topics rebuilds the same read model.

A member who leaves (or is erased) gives back her seats in the instances
still to come: her registrations are cancelled and the waiting list moves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.service import release_seats_of_member
from conseils_runtime import EventContext, ServiceRuntime
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
)


async def _upsert(session: AsyncSession, table: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
    where = [table.c[name] == value for name, value in key.items()]
    exists = (await session.execute(select(*table.primary_key.columns).where(*where))).first()
    if exists is None:
        await session.execute(table.insert().values(**key, **values))
    elif values:
        await session.execute(update(table).where(*where).values(**values))


async def on_council_registered(event: CouncilRegistered, session: AsyncSession) -> None:
    await _upsert(
        session,
        tables.councils,
        {"id": event.council_id},
        {
            "name": event.name,
            "city": event.city,
            "city_code": event.city_code,
            "status": event.status,
            "active": event.status != "suspended",
        },
    )


async def on_council_updated(event: CouncilUpdated, session: AsyncSession) -> None:
    values: dict[str, Any] = {
        name: getattr(event, name)
        for name in ("name", "city", "city_code", "status")
        if getattr(event, name) is not None
    }
    if event.status is not None:
        values["active"] = event.status != "suspended"
    exists = (
        await session.execute(select(tables.councils.c.id).where(tables.councils.c.id == event.council_id))
    ).first()
    if exists is None:  # an update seen before its registration: keep what we know
        await session.execute(
            tables.councils.insert().values(
                id=event.council_id,
                name=event.name or "",
                city=event.city or "",
                city_code=event.city_code or "",
                status=event.status or "active",
                active=values.get("active", True),
            )
        )
    elif values:
        await session.execute(
            update(tables.councils).where(tables.councils.c.id == event.council_id).values(**values)
        )


async def on_council_dissolved(event: CouncilDissolved, session: AsyncSession) -> None:
    await session.execute(
        update(tables.councils)
        .where(tables.councils.c.id == event.council_id)
        .values(active=False, status="dissolved")
    )


async def on_member_joined(event: MemberJoined, session: AsyncSession) -> None:
    await _upsert(
        session,
        tables.members,
        {"id": event.member_id},
        {
            "council_id": event.council_id,
            "role": event.role,
            "themes_followed": list(event.themes_followed),
            "active": True,
        },
    )


async def on_member_updated(event: MemberUpdated, session: AsyncSession) -> None:
    values: dict[str, Any] = {"council_id": event.council_id}
    if event.role is not None:
        values["role"] = event.role
    if event.themes_followed is not None:
        values["themes_followed"] = list(event.themes_followed)
    await _upsert(session, tables.members, {"id": event.member_id}, values)


async def on_member_left(event: MemberLeft, session: AsyncSession) -> None:
    await session.execute(
        update(tables.members).where(tables.members.c.id == event.member_id).values(active=False)
    )
    await session.execute(
        update(tables.referents).where(tables.referents.c.member_id == event.member_id).values(active=False)
    )


async def on_member_erased(event: MemberErased, session: AsyncSession) -> None:
    # Only pseudonymous ids are held here; the member row and referent roles go.
    await session.execute(delete(tables.referents).where(tables.referents.c.member_id == event.member_id))
    await session.execute(delete(tables.members).where(tables.members.c.id == event.member_id))


async def on_referent_designated(event: ReferentDesignated, session: AsyncSession) -> None:
    await _upsert(
        session,
        tables.referents,
        {"council_id": event.council_id, "theme": event.theme, "member_id": event.member_id},
        {"active": True, "since": event.since, "until": None},
    )


async def on_referent_withdrawn(event: ReferentWithdrawn, session: AsyncSession) -> None:
    await _upsert(
        session,
        tables.referents,
        {"council_id": event.council_id, "theme": event.theme, "member_id": event.member_id},
        {"active": False, "until": event.until},
    )


def register_consumers(runtime: ServiceRuntime, territory: TerritoryConfig) -> None:
    consumer = runtime.consumer("registry-read-model")

    @consumer.on(CouncilRegistered)
    async def council_registered(event: CouncilRegistered, ctx: EventContext) -> None:
        await on_council_registered(event, ctx.session)

    @consumer.on(CouncilUpdated)
    async def council_updated(event: CouncilUpdated, ctx: EventContext) -> None:
        await on_council_updated(event, ctx.session)

    @consumer.on(CouncilDissolved)
    async def council_dissolved(event: CouncilDissolved, ctx: EventContext) -> None:
        await on_council_dissolved(event, ctx.session)

    @consumer.on(ReferentDesignated)
    async def referent_designated(event: ReferentDesignated, ctx: EventContext) -> None:
        await on_referent_designated(event, ctx.session)

    @consumer.on(ReferentWithdrawn)
    async def referent_withdrawn(event: ReferentWithdrawn, ctx: EventContext) -> None:
        await on_referent_withdrawn(event, ctx.session)

    @consumer.on(MemberJoined)
    async def member_joined(event: MemberJoined, ctx: EventContext) -> None:
        await on_member_joined(event, ctx.session)

    @consumer.on(MemberUpdated)
    async def member_updated(event: MemberUpdated, ctx: EventContext) -> None:
        await on_member_updated(event, ctx.session)

    @consumer.on(MemberLeft)
    async def member_left(event: MemberLeft, ctx: EventContext) -> None:
        await on_member_left(event, ctx.session)
        await release_seats_of_member(ctx.session, territory, event.member_id, ctx.metadata.time, ctx.publish)

    @consumer.on(MemberErased)
    async def member_erased(event: MemberErased, ctx: EventContext) -> None:
        await release_seats_of_member(ctx.session, territory, event.member_id, ctx.metadata.time, ctx.publish)
        await on_member_erased(event, ctx.session)
