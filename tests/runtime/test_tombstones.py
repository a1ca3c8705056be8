"""A tombstone (null value) on the compacted contacts topic erases the key's
copy in a consumer's read model, committed like any other effect."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import Column, MetaData, String, Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
from conseils_schemas import REGISTRY_MEMBER_CONTACTS, MemberContactCard

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_tombstone_erases_the_contact_copy(
    kafka_bootstrap: str, database_url: str, territory: str
) -> None:
    metadata = MetaData()
    contacts = Table(
        "contacts", metadata, Column("member_id", String(36), primary_key=True), Column("email", String(200))
    )
    runtime = ServiceRuntime(
        ServiceSettings(
            service_name="probe",
            territory=territory,
            kafka_bootstrap_servers=kafka_bootstrap,
            database_url=database_url,
            log_json=False,
        ),
        metadata,
    )
    consumer = runtime.consumer("contacts")

    @consumer.on(MemberContactCard)
    async def keep(card: MemberContactCard, context: EventContext) -> None:
        await context.session.execute(delete(contacts).where(contacts.c.member_id == str(card.member_id)))
        await context.session.execute(
            insert(contacts).values(member_id=str(card.member_id), email=card.email)
        )

    @consumer.on_tombstone(REGISTRY_MEMBER_CONTACTS)
    async def forget(member_id: str, session: AsyncSession) -> None:
        await session.execute(delete(contacts).where(contacts.c.member_id == member_id))

    async def stored() -> list[str]:
        async with runtime.database.sessionmaker() as session:
            return list((await session.scalars(select(contacts.c.email))).all())

    async def wait_until(expected: list[str]) -> list[str]:
        for _ in range(300):
            if await stored() == expected:
                break
            await asyncio.sleep(0.1)
        return await stored()

    member_id = uuid.uuid4()
    await runtime.start()
    try:
        async with runtime.database.sessionmaker() as session, session.begin():
            await runtime.outbox.add(
                session,
                MemberContactCard(member_id=member_id, display_name="Fatou Sow", email="fatou@demo.example"),
            )
        assert await wait_until(["fatou@demo.example"]) == ["fatou@demo.example"]
        async with runtime.database.sessionmaker() as session, session.begin():
            await runtime.outbox.add_tombstone(session, REGISTRY_MEMBER_CONTACTS, str(member_id))
        assert await wait_until([]) == []
    finally:
        await runtime.stop()
