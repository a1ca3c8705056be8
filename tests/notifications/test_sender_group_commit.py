"""The delivery sender records its `sent` outcomes by group commit (one transaction for the sends
that finished together) and reads the contact cards once per claimed batch: every delivery row is
still recorded exactly once with its own NotificationSent, and a send keeps its SMTP slot until its
outcome is committed, so no more than `smtp_concurrency` messages are ever accepted by SMTP and not
yet recorded (what a crash can re-send, with the same Message-ID)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.group_commit import GroupCommit
from conseils_notifications.records import DeliveryRecord
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.tasks import DeliverySender
from conseils_notifications.transport import LoggingSmsGateway
from conseils_runtime import ServiceRuntime
from conseils_schemas import NotificationSent

from .helpers import NOW, contact, council, member, scheduled

MEMBERS = 12
CONCURRENCY = 3


class InterleavingTransport:
    """Accepts every message after yielding to the loop, noting how many accepted messages were
    not yet recorded at each moment (read from the sender's group commit)."""

    def __init__(self) -> None:
        self.accepted: list[EmailMessage] = []
        self.sender: DeliverySender | None = None
        self.most_unrecorded = 0

    async def send(self, message: EmailMessage) -> None:
        await asyncio.sleep(0.001)
        self.accepted.append(message)
        assert self.sender is not None
        unrecorded = len(self.accepted) - self.sender._recorded.rows
        self.most_unrecorded = max(self.most_unrecorded, unrecorded)

    async def close(self) -> None:
        return None


@pytest.mark.postgres
async def test_a_batch_is_recorded_once_per_row_in_fewer_transactions(
    database_url: str, territory: str
) -> None:
    settings = NotificationsSettings(
        territory=territory, database_url=database_url, smtp_concurrency=CONCURRENCY, log_json=False
    )
    runtime = ServiceRuntime(settings, t.metadata)
    service = NotificationsService(settings, runtime.database, runtime.outbox, lambda: NOW)
    transport = InterleavingTransport()
    sender = DeliverySender(runtime.database, service, transport, LoggingSmsGateway())
    transport.sender = sender
    reads: list[int] = []
    contacts_of = service.contacts_of

    async def counted_contacts_of(member_ids):  # type: ignore[no-untyped-def]
        ids = list(member_ids)
        reads.append(len(ids))
        return await contacts_of(ids)

    service.contacts_of = counted_contacts_of  # type: ignore[method-assign]
    try:
        await runtime.database.create_all(t.metadata)
        c = council()
        async with service.units.begin() as unit:
            await service.apply_registry_fact(unit, c)
            for index in range(MEMBERS):
                m = member(c.council_id)
                await service.apply_registry_fact(unit, m)
                await service.record_contact(
                    unit, contact(m.member_id, f"Membre {index}", f"m{index}@demo.example")
                )
            await service.instance_scheduled(unit, scheduled(scope="territory", theme=None), "event-1")

        assert await sender.run_once() == MEMBERS
        assert await sender.run_once() == 0  # nothing is due again: never sent twice

        assert reads == [MEMBERS]  # one read of the contact cards for the claimed batch
        async with runtime.database.sessionmaker() as session:
            rows = (await session.execute(select(t.deliveries))).mappings().all()
            outbox = (
                await session.execute(
                    select(runtime.tables.outbox.c.headers, runtime.tables.outbox.c.payload)
                )
            ).all()
        assert {row["status"] for row in rows} == {"sent"}
        assert all(row["attempts"] == 1 and row["subject"] for row in rows)
        sent = [
            json.loads(payload)
            for headers, payload in outbox
            if dict(headers)["ce_type"] == NotificationSent.event_type
        ]
        assert sorted(event["delivery_id"] for event in sent) == sorted(
            str(row["delivery_id"]) for row in rows
        )
        message_ids = {message["Message-ID"] for message in transport.accepted}
        assert len(message_ids) == MEMBERS == len(transport.accepted)
        assert {f"<{row['delivery_id']}@" for row in rows} == {mid.split("@")[0] + "@" for mid in message_ids}

        assert sender._recorded.rows == MEMBERS
        assert sender._recorded.commits < MEMBERS  # grouped: fewer transactions than emails
        assert 1 <= transport.most_unrecorded <= CONCURRENCY  # the crash window did not grow
    finally:
        await runtime.database.dispose()


async def test_a_failed_group_commit_fails_every_send_waiting_on_it_and_the_next_one_works() -> None:
    calls: list[int] = []

    async def record(group: Sequence[tuple[DeliveryRecord, str]]) -> None:
        calls.append(len(group))
        await asyncio.sleep(0.001)
        if len(calls) == 2:
            raise ConnectionError("database went away")

    commit = GroupCommit(record)
    row = object()
    first = await asyncio.gather(commit.sent(row, "a"), return_exceptions=True)  # type: ignore[arg-type]
    assert first == [None]
    waiting = await asyncio.gather(
        *(commit.sent(row, str(index)) for index in range(4)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert all(isinstance(outcome, ConnectionError) for outcome in waiting)
    assert calls == [1, 4]  # the four that came together were one transaction
    await commit.sent(row, "after")  # type: ignore[arg-type]
    assert (commit.commits, commit.rows) == (2, 2)
