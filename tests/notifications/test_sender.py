"""The delivery sender on a real database (SQLite and PostgreSQL) with a scripted
mail transport: sent, retried with backoff on 4xx and lost connections, failed
on 5xx, each outcome published through the outbox in the same transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.domain import Preferences
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.tasks import DeliverySender
from conseils_notifications.transport import LoggingSmsGateway, PermanentFailure, TemporaryFailure
from conseils_runtime import ServiceRuntime
from conseils_schemas import MemberContactCard, NotificationFailed, NotificationSent

from .helpers import NOW, contact, council, member, scheduled

pytestmark = pytest.mark.postgres


class ScriptedTransport:
    """Answers each send with the next scripted outcome (None = accepted)."""

    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes
        self.accepted: list[EmailMessage] = []
        self.calls = 0

    async def send(self, message: EmailMessage) -> None:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.accepted.append(message)

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Harness:
    def __init__(self, database_url: str, territory: str, outcomes: list[Exception | None]) -> None:
        self.settings = NotificationsSettings(
            territory=territory,
            database_url=database_url,
            sender_backoff_seconds=60,
            sender_max_attempts=3,
            missing_contact_attempts=2,
            log_json=False,
        )
        self.runtime = ServiceRuntime(self.settings, t.metadata)
        self.clock = Clock()
        self.service = NotificationsService(
            self.settings, self.runtime.database, self.runtime.outbox, self.clock
        )
        self.transport = ScriptedTransport(outcomes)
        self.gateway = LoggingSmsGateway()
        self.sender = DeliverySender(self.runtime.database, self.service, self.transport, self.gateway)

    async def setup(self, *, with_contact: bool = True) -> None:
        await self.runtime.database.create_all(t.metadata)
        c = council()
        m = member(c.council_id)
        self.member_id = m.member_id
        async with self.service.units.begin() as unit:
            await self.service.apply_registry_fact(unit, c)
            await self.service.apply_registry_fact(unit, m)
            if with_contact:
                await self.service.record_contact(
                    unit, contact(m.member_id, "Karim Haddad", "karim@demo.example")
                )
            await self.service.instance_scheduled(unit, scheduled(scope="territory", theme=None), "event-9")

    async def delivery(self) -> dict[str, Any]:
        async with self.runtime.database.sessionmaker() as session:
            (row,) = (await session.execute(select(t.deliveries))).mappings().all()
            return dict(row)

    async def outbox(self) -> list[tuple[str, dict[str, Any]]]:
        async with self.runtime.database.sessionmaker() as session:
            rows = await session.execute(
                select(self.runtime.tables.outbox.c.headers, self.runtime.tables.outbox.c.payload)
            )
            return [(dict(headers)["ce_type"], json.loads(payload)) for headers, payload in rows]


@pytest.fixture
async def harness(
    request: pytest.FixtureRequest, database_url: str, territory: str
) -> AsyncIterator[Harness]:
    outcomes = list(getattr(request, "param", []))  # params are shared between the two databases
    h = Harness(database_url, territory, outcomes)
    await h.setup()
    try:
        yield h
    finally:
        await h.runtime.database.dispose()


@pytest.mark.parametrize(
    "harness",
    [[TemporaryFailure("451 4.3.0 try later"), TemporaryFailure("connexion SMTP perdue"), None]],
    indirect=True,
)
async def test_temporary_failures_are_retried_with_backoff_then_sent(harness: Harness) -> None:
    assert await harness.sender.run_once() == 1
    row = await harness.delivery()
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "451 4.3.0 try later")
    assert await harness.sender.run_once() == 0  # not due before the backoff

    harness.clock.now += timedelta(seconds=61)
    assert await harness.sender.run_once() == 1
    assert (await harness.delivery())["attempts"] == 2
    harness.clock.now += timedelta(seconds=61)
    assert await harness.sender.run_once() == 0  # second backoff is twice as long
    harness.clock.now += timedelta(seconds=60)
    assert await harness.sender.run_once() == 1

    row = await harness.delivery()
    assert row["status"] == "sent"
    assert row["sent_at"] is not None
    assert len(harness.transport.accepted) == 1
    assert await harness.sender.run_once() == 0  # never sent twice
    ((event_type, payload),) = await harness.outbox()
    assert event_type == NotificationSent.event_type
    assert payload["source_event_id"] == "event-9"
    assert payload["member_id"] == str(harness.member_id)


@pytest.mark.parametrize(
    "harness", [[PermanentFailure("550 5.1.1 karim@demo.example: no such user")]], indirect=True
)
async def test_permanent_failure_is_recorded_and_published_without_the_address(harness: Harness) -> None:
    assert await harness.sender.run_once() == 1
    row = await harness.delivery()
    assert row["status"] == "failed"
    ((event_type, payload),) = await harness.outbox()
    assert event_type == NotificationFailed.event_type
    assert payload["permanent"] is True
    assert "karim@demo.example" not in payload["error"]
    assert "550 5.1.1" in payload["error"]
    harness.clock.now += timedelta(days=1)
    assert await harness.sender.run_once() == 0


@pytest.mark.parametrize("harness", [[TemporaryFailure("421 busy")] * 5], indirect=True)
async def test_temporary_failures_give_up_after_max_attempts(harness: Harness) -> None:
    for _ in range(3):
        await harness.sender.run_once()
        harness.clock.now += timedelta(hours=1)
    assert (await harness.delivery())["status"] == "failed"
    ((event_type, payload),) = await harness.outbox()
    assert event_type == NotificationFailed.event_type
    assert payload["permanent"] is False
    assert harness.transport.calls == 3


async def test_missing_contact_waits_then_fails(database_url: str, territory: str) -> None:
    h = Harness(database_url, territory, [])
    await h.setup(with_contact=False)
    try:
        await h.sender.run_once()
        assert (await h.delivery())["status"] == "pending"  # the card may still be on its way
        h.clock.now += timedelta(hours=1)
        await h.sender.run_once()
        assert (await h.delivery())["status"] == "failed"
        assert h.transport.calls == 0
    finally:
        await h.runtime.database.dispose()


async def test_a_crashed_sender_lease_expires_and_the_delivery_is_sent_once(harness: Harness) -> None:
    async with harness.service.units.begin() as unit:
        claimed = await unit.repo.claim_due_deliveries(
            now=harness.clock.now,
            lease_until=harness.clock.now + timedelta(minutes=2),
            limit=10,
            lock=False,
        )
    assert len(claimed) == 1  # claimed, then the process died before sending
    assert await harness.sender.run_once() == 0
    harness.clock.now += timedelta(minutes=3)
    assert await harness.sender.run_once() == 1
    assert len(harness.transport.accepted) == 1


async def test_sms_channel_goes_through_the_gateway(database_url: str, territory: str) -> None:
    h = Harness(database_url, territory, [])
    await h.runtime.database.create_all(t.metadata)
    c = council()
    m = member(c.council_id)
    card = MemberContactCard(
        member_id=m.member_id,
        display_name="Nadia",
        email="n@demo.example",
        phone="+33 6 12 34 56 78",
        consent_given_at=NOW,
    )
    async with h.service.units.begin() as unit:
        await h.service.apply_registry_fact(unit, c)
        await h.service.apply_registry_fact(unit, m)
        await h.service.record_contact(unit, card)
        await unit.repo.save_preferences(m.member_id, Preferences(channels=frozenset({"email", "sms"})))
        await h.service.instance_scheduled(unit, scheduled(scope="territory", theme=None), "event-sms")
    try:
        assert await h.sender.run_once() == 2
        assert h.gateway.sent == 1
        assert len(h.transport.accepted) == 1
        async with h.runtime.database.sessionmaker() as session:
            rows = (await session.execute(select(t.deliveries.c.channel, t.deliveries.c.status))).all()
        assert sorted(tuple(row) for row in rows) == [("email", "sent"), ("sms", "sent")]
    finally:
        await h.runtime.database.dispose()
