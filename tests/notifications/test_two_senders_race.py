"""Two delivery senders (two replicas: two processes, two connection pools) on the same PostgreSQL
database, started at the same instant round after round: each delivery is claimed by one of them
and emailed once. Without `FOR UPDATE SKIP LOCKED` in the claim, both read the same due rows before
either commits and every email of the overlap goes out twice (this test then fails)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from conseils_notifications import tables as t
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.tasks import DeliverySender
from conseils_notifications.transport import LoggingSmsGateway
from conseils_runtime import ServiceRuntime

from .helpers import NOW, contact, council, member, scheduled

pytestmark = pytest.mark.postgres

MEMBERS = 60


class CountingTransport:
    """Accepts every message after a short pause (an SMTP round trip), keeping its Message-ID."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def send(self, message: EmailMessage) -> None:
        await asyncio.sleep(0.002)
        self.message_ids.append(str(message["Message-ID"]))

    async def close(self) -> None:
        return None


class Replica:
    def __init__(self, database_url: str, territory: str) -> None:
        self.settings = NotificationsSettings(
            territory=territory, database_url=database_url, sender_batch_size=8, log_json=False
        )
        self.runtime = ServiceRuntime(self.settings, t.metadata)
        self.service = NotificationsService(
            self.settings, self.runtime.database, self.runtime.outbox, lambda: NOW
        )
        self.transport = CountingTransport()
        self.sender = DeliverySender(self.runtime.database, self.service, self.transport, LoggingSmsGateway())


@pytest.fixture
async def replicas(postgres_url: str, territory: str) -> AsyncIterator[tuple[Replica, Replica]]:
    first, second = Replica(postgres_url, territory), Replica(postgres_url, territory)
    await first.runtime.database.create_all(t.metadata)
    c = council()
    async with first.service.units.begin() as unit:
        await first.service.apply_registry_fact(unit, c)
        for index in range(MEMBERS):
            m = member(c.council_id)
            await first.service.apply_registry_fact(unit, m)
            await first.service.record_contact(
                unit, contact(m.member_id, f"Membre {index}", f"m{index}@demo.example")
            )
        await first.service.instance_scheduled(unit, scheduled(scope="territory", theme=None), "event-race")
    try:
        yield first, second
    finally:
        await first.runtime.database.dispose()
        await second.runtime.database.dispose()


async def test_two_senders_racing_on_postgresql_email_each_delivery_once(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    async with first.runtime.database.sessionmaker() as session:
        planned = await session.scalar(select(func.count()).select_from(t.deliveries))
    assert planned == MEMBERS

    for _ in range(3 * MEMBERS):  # both claim at the same instant, until nothing is due
        claimed = await asyncio.gather(first.sender.run_once(), second.sender.run_once())
        if sum(claimed) == 0:
            break

    sent = Counter(first.transport.message_ids + second.transport.message_ids)
    twice = {message_id: count for message_id, count in sent.items() if count > 1}
    assert twice == {}, f"{len(twice)} emails sent more than once"
    assert len(sent) == MEMBERS
    assert first.transport.message_ids  # both really took part
    assert second.transport.message_ids
    async with first.runtime.database.sessionmaker() as session:
        statuses: dict[str, int] = dict(
            (
                await session.execute(
                    select(t.deliveries.c.status, func.count()).group_by(t.deliveries.c.status)
                )
            ).all()
        )
    assert statuses == {"sent": MEMBERS}
