"""The whole service on the real broker and a real SMTP server (aiosmtpd):
registry events build the read model, an instance is scheduled, the emails
arrive with their invitation (after the SMTP server comes back: the backlog
waits in the database); a redelivered event sends nothing more, even
across a restart; a reschedule raises the SEQUENCE; a cancellation sends
METHOD:CANCEL; the outcomes are published like any other event."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import Table, func, select

from conseils_notifications import tables as t
from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime.auth import issue_token
from conseils_schemas import (
    Event,
    EventMetadata,
    InstanceCancelled,
    InstanceRescheduled,
    NotificationSent,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    dlq_topic,
    to_kafka_headers,
    topic_name,
)

from .helpers import contact, council, member, referent, scheduled

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def matching(self, predicate: Callable[[EmailMessage], bool]) -> list[EmailMessage]:
        return [m for m in self.messages if predicate(m)]

    async def wait_for(
        self, predicate: Callable[[EmailMessage], bool], count: int, timeout: float = 40
    ) -> list[EmailMessage]:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.2)
        raise AssertionError(f"expected {count} emails, got {[m['Subject'] for m in self.messages]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """A real SMTP server on a free port, started and stopped by the test."""

    def __init__(self) -> None:
        self.box = Mailbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


class Publisher:
    """Publishes events as the registry and the meetings service would (CloudEvents binary mode)."""

    def __init__(self, producer: AIOKafkaProducer, territory: str) -> None:
        self.producer, self.territory = producer, territory

    async def send(self, event: Event, event_id: str | None = None) -> str:
        metadata = EventMetadata(
            id=event_id or str(uuid.uuid4()),
            source=f"/conseils/{self.territory}/tests",
            type=event.event_type,
            subject=event.partition_key(),
        )
        await self.producer.send_and_wait(
            topic_name(self.territory, event.topic),
            event.to_json_bytes(),
            key=event.partition_key().encode(),
            headers=list(to_kafka_headers(metadata)),
        )
        return metadata.id

    async def tombstone(self, member_id: uuid.UUID) -> None:
        await self.producer.send_and_wait(
            topic_name(self.territory, "registry.member-contacts"), None, key=str(member_id).encode()
        )


async def count(app: FastAPI, table: Table, *where: Any) -> int:
    async with app.state.runtime.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def eventually(check: Callable[[], Any], timeout: float = 40) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


def ics_of(message: EmailMessage) -> icalendar.Event:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, icalendar.Event)
    event.method = str(calendar["METHOD"])  # type: ignore[attr-defined]
    return event


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def test_schedule_reschedule_cancel_by_email_exactly_once_across_a_restart(
    kafka_bootstrap: str, territory: str, tmp_path: Path, smtp: SmtpServer, producer: AIOKafkaProducer
) -> None:
    box, smtp_port = smtp.box, smtp.port
    settings = NotificationsSettings(
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
        smtp_port=smtp_port,
        smtp_rate_per_second=100,
        sender_poll_seconds=0.2,
        sender_backoff_seconds=0.3,
        public_base_url="https://conseils.example",
        retry_backoff_seconds=0.05,
        log_json=False,
    )
    publish = Publisher(producer, territory)
    sd, st = council(), council("Conseil citoyen Clos Saint-Lazare", "93072")
    aicha, karim, fatou, marc = (
        member(sd.council_id, ["emploi"]),
        member(st.council_id),
        member(sd.council_id, ["emploi"]),
        member(sd.council_id),
    )
    people = {aicha.member_id: "Aïcha Diallo", karim.member_id: "Karim Haddad", fatou.member_id: "Fatou Sow",
              marc.member_id: "Marc Lefevre"}  # fmt: skip
    emails = {member_id: f"{name.split()[1].lower()}@demo.example" for member_id, name in people.items()}
    instance = scheduled(starts_in_days=40)

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        for event in (sd, st, aicha, karim, fatou, marc):
            await publish.send(event)
        await publish.send(referent(sd.council_id, aicha.member_id))
        await publish.send(referent(st.council_id, karim.member_id))
        for member_id, name in people.items():
            await publish.send(contact(member_id, name, emails[member_id]))
        await eventually(lambda: _ready(app))

        # The SMTP server is down: the invitations wait in the database, retried with backoff.
        scheduled_id = await publish.send(instance)
        await eventually(lambda: _waiting(app, 3))
        assert box.messages == []
        smtp.start()
        invitations = await box.wait_for(lambda m: m["Subject"].startswith("Nouvelle instance"), 3)
        assert sorted(m["To"].addresses[0].addr_spec for m in invitations) == sorted(
            emails[m] for m in (aicha.member_id, karim.member_id, fatou.member_id)
        )
        first = invitations[0]
        assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert first["List-Unsubscribe"].startswith("<https://conseils.example/notifications/unsubscribe/")
        kinds = {p.get_content_type() for p in first.walk() if not p.is_multipart()}
        assert kinds == {"text/plain", "text/html", "text/calendar"}
        invite = ics_of(first)
        assert invite.method == "REQUEST"  # type: ignore[attr-defined]
        assert str(invite["UID"]) == f"{instance.instance_id}@conseils.{territory}"
        assert invite["SEQUENCE"] == 0
        assert invite.decoded("DTSTART").astimezone(instance.starts_at.tzinfo) == instance.starts_at

        # The service tells the bus what it sent, as CloudEvents a third party can read.
        sent = await read_events(kafka_bootstrap, topic_name(territory, "notifications.deliveries"), 3)
        assert {h["ce_type"] for h, _ in sent} == {NotificationSent.event_type}
        assert {body["source_event_id"] for _, body in sent} == {scheduled_id}
        assert all("@" not in json.dumps(body) for _, body in sent)  # no address in events

        # Member API on the running app: the inbox lists what was sent.
        token = issue_token(
            settings.auth_secret, subject=str(aicha.member_id), role="councillor", audience="notifications"
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            inbox = (await client.get(f"/notifications/members/{aicha.member_id}/inbox",
                                      headers={"Authorization": f"Bearer {token}"})).json()  # fmt: skip
        assert [item["kind"] for item in inbox] == ["scheduled"]

        # Fatou waits for a seat, then gets one: she is told both, the seat with its invitation.
        seat = {"registration_id": uuid.uuid4(), "instance_id": instance.instance_id,
                "member_id": fatou.member_id, "council_id": sd.council_id, "mode": "participant"}  # fmt: skip
        await publish.send(RegistrationWaitlisted(**seat, position=1))
        promoted_id = await publish.send(RegistrationPromoted(**seat))
        (promoted,) = await box.wait_for(lambda m: m["Subject"].startswith("Une place s'est libérée"), 1)
        assert promoted["To"].addresses[0].addr_spec == emails[fatou.member_id]
        assert ics_of(promoted).method == "REQUEST"  # type: ignore[attr-defined]
        assert str(ics_of(promoted)["UID"]) == f"{instance.instance_id}@conseils.{territory}"
        await box.wait_for(lambda m: m["Subject"].startswith("Vous êtes sur la liste d'attente"), 1)

    # Service down: the same events come again (redelivery), then a reschedule.
    await publish.send(instance, event_id=scheduled_id)
    await publish.send(RegistrationPromoted(**seat), event_id=promoted_id)
    # Same partition, after the redelivered promotion: once Karim's confirmation is in, it was handled.
    await publish.send(RegistrationConfirmed(registration_id=uuid.uuid4(), instance_id=instance.instance_id,
                                             member_id=karim.member_id, council_id=st.council_id,
                                             mode="observer"))  # fmt: skip
    moved = InstanceRescheduled(
        instance_id=instance.instance_id,
        starts_at=instance.starts_at + timedelta(days=2),
        ends_at=instance.ends_at + timedelta(days=2),
        location="Salle des fêtes",
        previous_starts_at=instance.starts_at,
        sequence=1,
    )
    await publish.send(moved)

    app = create_app(settings)  # restarted on the same database
    async with app.router.lifespan_context(app):
        await box.wait_for(lambda m: m["Subject"].startswith("Inscription confirmée"), 1)
        changes = await box.wait_for(lambda m: m["Subject"].startswith("Instance déplacée"), 3)
        updated = ics_of(changes[0])
        assert updated.method == "REQUEST"  # type: ignore[attr-defined]
        assert updated["SEQUENCE"] == 1
        assert str(updated["UID"]) == f"{instance.instance_id}@conseils.{territory}"
        assert str(updated["LOCATION"]) == "Salle des fêtes"

        await publish.send(InstanceCancelled(instance_id=instance.instance_id, reason="Grève", sequence=2))
        cancels = await box.wait_for(lambda m: m["Subject"].startswith("Instance annulée"), 3)
        cancel = ics_of(cancels[0])
        assert cancel.method == "CANCEL"  # type: ignore[attr-defined]
        assert cancel["SEQUENCE"] == 2

        # The contact tombstone (no headers, null value) erases the card.
        await publish.tombstone(marc.member_id)
        await eventually(lambda: _gone(app, marc.member_id))
        assert await count(app, t.contacts) == 3
        contacts_dlq = dlq_topic(topic_name(territory, "registry.member-contacts"))
        assert await read_events(kafka_bootstrap, contacts_dlq, 1, timeout=2) == []  # not a dead letter

    assert len(box.matching(lambda m: m["Subject"].startswith("Nouvelle instance"))) == 3  # never twice
    assert len(box.matching(lambda m: m["Subject"].startswith("Une place s'est libérée"))) == 1
    assert len(box.messages) == 12  # 3 invitations, waitlisted, promoted, confirmed, 3 moved, 3 cancelled


async def _ready(app: FastAPI) -> bool:
    return (
        await count(app, t.contacts) == 4
        and await count(app, t.members) == 4
        and await count(app, t.referent_terms) == 2
        and await count(app, t.councils) == 2
    )


async def _waiting(app: FastAPI, expected: int) -> bool:
    retried = (t.deliveries.c.status == "pending", t.deliveries.c.attempts >= 1)
    return await count(app, t.deliveries, *retried) == expected


async def _gone(app: FastAPI, member_id: uuid.UUID) -> bool:
    return await count(app, t.contacts, t.contacts.c.member_id == member_id) == 0


async def read_events(
    kafka: str, topic: str, expected: int, timeout: float = 30
) -> list[tuple[dict[str, str], Any]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[dict[str, str], Any]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < expected and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    headers = {name: value.decode() for name, value in record.headers}
                    found.append((headers, json.loads(record.value)))
    finally:
        await consumer.stop()
    return found
