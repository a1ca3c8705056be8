"""SMS on the real platform: the notifications service on the real broker and PostgreSQL, over
HTTP (uvicorn), sending through a real Kannel (bearerbox + smsbox + fake SMSC) that calls it
back with delivery reports and answers.

A councillor who chose SMS gets her invitation (held back through quiet hours, then sent)
and her J-1 reminder by SMS, each delivery report applied once; an email refused for good
falls back to SMS; STOP is honoured at once (and the next message goes by email); with the
gateway down an SMS is retried with backoff, recorded failed, and her email used."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy import select

from conseils_cli.sms import kannel
from conseils_notifications import tables as t
from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.sms_rules import report_signature
from conseils_notifications.sms_settings import SmsSettings
from conseils_notifications.transport import PermanentFailure
from conseils_runtime.action_links import read_any_action
from conseils_runtime.auth import issue_token
from conseils_schemas import (
    Event,
    EventMetadata,
    InstanceCancelled,
    InstanceRescheduled,
    InstanceScheduled,
    MemberContactCard,
    RegistrationConfirmed,
    to_kafka_headers,
    topic_name,
)

from ..notifications.helpers import council, member
from .conftest import StartKannel

pytestmark = [pytest.mark.kafka, pytest.mark.e2e, pytest.mark.slow]

MONDAY_EVENING = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 21:00 in Paris: quiet hours
TUESDAY_MORNING = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Paris
STARTS = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)  # Thursday 18:30 in Paris
NADIA, KARIM, FATOU = "+33612345678", "+33711223344", "+33655443322"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Mails:
    """The mail transport: keeps what it accepts; an address at bounce.example is refused (5xx)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        address = message["To"].addresses[0].addr_spec
        if address.endswith("@bounce.example"):
            raise PermanentFailure("550 5.1.1 mailbox unknown")
        self.sent.append(message)

    def to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.sent if m["To"].addresses[0].addr_spec == address]

    async def close(self) -> None:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 40) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not in time: {what}")
        await asyncio.sleep(0.2)


async def rows(app: FastAPI, table: Any) -> list[dict[str, Any]]:
    async with app.state.runtime.database.sessionmaker() as session:
        return [dict(row) for row in (await session.execute(select(table))).mappings()]


class Publisher:
    def __init__(self, producer: AIOKafkaProducer, territory: str) -> None:
        self.producer, self.territory = producer, territory

    async def send(self, event: Event) -> str:
        metadata = EventMetadata(
            id=str(uuid.uuid4()),
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


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


def texts_to(gateway: kannel.Kannel, number: str) -> list[str]:
    return [sms.text for sms in gateway.received() if sms.to == number]


async def test_sms_through_kannel_quiet_hours_reports_stop_fallbacks_and_gateway_down(
    kafka_bootstrap: str,
    postgres_url: str,
    territory: str,
    start_kannel: StartKannel,
    producer: AIOKafkaProducer,
) -> None:
    port, mo_token = free_port(), uuid.uuid4().hex
    gateway = start_kannel(f"http://127.0.0.1:{port}/notifications/sms/mo?token={mo_token}")
    clock, mails = Clock(MONDAY_EVENING), Mails()
    settings = NotificationsSettings(
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=postgres_url,
        sender_poll_seconds=0.2,
        scheduler_poll_seconds=0.2,
        sender_backoff_seconds=30,
        sender_max_attempts=3,
        public_base_url="https://conseils.example",
        retry_backoff_seconds=0.05,
        log_json=False,
    )
    sms_settings = SmsSettings(
        sendsms_url=gateway.sendsms_url,
        username=gateway.username,
        password=gateway.password,
        callback_base_url=f"http://127.0.0.1:{port}",
        mo_token=mo_token,
    )
    app = create_app(settings, clock=clock, transport=mails, sms_settings=sms_settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    publish = Publisher(producer, territory)
    c = council()
    nadia, karim, fatou = member(c.council_id), member(c.council_id), member(c.council_id)
    consent = datetime(2026, 1, 5, tzinfo=UTC)
    cards = [
        MemberContactCard(member_id=nadia.member_id, display_name="Nadia Benali",
                          email="nadia@demo.example", phone="06 12 34 56 78", consent_given_at=consent),
        MemberContactCard(member_id=karim.member_id, display_name="Karim Haddad",
                          email="karim@bounce.example", phone="07 11 22 33 44", consent_given_at=consent),
        MemberContactCard(member_id=fatou.member_id, display_name="Fatou Sow",
                          email="fatou@demo.example", phone="+33 6 55 44 33 22", consent_given_at=consent),
    ]  # fmt: skip
    try:
        await eventually(lambda: asyncio.sleep(0, result=server.started), "service started")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for event in (c, nadia, karim, fatou, *cards):
                await publish.send(event)
            await eventually(lambda: _count(app, t.sms_standing, 3), "contact cards")
            for person in (nadia, fatou):  # they chose SMS only
                token = issue_token(settings.auth_secret, subject=str(person.member_id), role="councillor",
                                    audience="notifications")  # fmt: skip
                answer = await client.put(
                    f"/notifications/members/{person.member_id}/preferences",
                    json={"channels": ["sms"]},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 200, answer.text

            # Monday 21:00: the invitation is held back by the quiet hours, not dropped.
            instance = InstanceScheduled(
                instance_id=uuid.uuid4(), instance_type="copil", title="Comité de pilotage",
                scope="territory",
                starts_at=STARTS, ends_at=STARTS + timedelta(hours=2), location="Mairie de Saint-Denis",
                is_political=False, is_evening=True,
            )  # fmt: skip
            await publish.send(instance)
            await eventually(lambda: _sms_deferred(app, 3), "three SMS deferred (Karim's after his bounce)")
            assert gateway.received() == []
            deferred = [d for d in await rows(app, t.deliveries) if d["channel"] == "sms"]
            assert {d["next_attempt_at"] for d in deferred} == {TUESDAY_MORNING}
            assert {d["last_error"] for d in deferred} == {"heures calmes : envoi différé"}

            # Tuesday 08:00: sent through Kannel; each delivery report applied once.
            clock.now = TUESDAY_MORNING
            await eventually(lambda: _received(gateway, 3), "three SMS at the fake SMSC")
            (invitation,) = texts_to(gateway, NADIA)
            assert invitation.startswith("Conseils citoyens - nouvelle instance : jeu. 5/3 18h30, Mairie de")
            assert "https://conseils.example/notifications/s/" in invitation
            assert len(invitation) <= 160
            assert texts_to(gateway, KARIM) == [invitation]  # his email bounced: SMS instead
            await eventually(lambda: _reports(app, 3), "three delivery reports")
            messages = await rows(app, t.sms_messages)
            assert {m["report"] for m in messages} == {"delivered"}
            link = invitation.rsplit(" ", 1)[1].replace("https://conseils.example", "")
            redirect = await client.get(link)
            assert redirect.status_code == 303
            assert (
                redirect.headers["location"] == f"https://conseils.example/instances/{instance.instance_id}"
            )

            # A repeated report changes nothing (once per message).
            first = messages[0]
            again = await client.get("/notifications/sms/dlr", params={
                "d": str(first["delivery_id"]), "status": 1,
                "sig": report_signature(settings.auth_secret, first["delivery_id"])})  # fmt: skip
            assert again.text == "déjà connu"
            assert (
                next(m for m in await rows(app, t.sms_messages) if m["delivery_id"] == first["delivery_id"])
                == first
            )
            forged = await client.get("/notifications/sms/dlr", params={
                "d": str(first["delivery_id"]), "status": 2, "sig": "x"})  # fmt: skip
            assert forged.status_code == 403

            # She registers; Wednesday 18:30 (J-1) her reminder comes by SMS.
            await publish.send(RegistrationConfirmed(
                registration_id=uuid.uuid4(), instance_id=instance.instance_id, member_id=nadia.member_id,
                council_id=c.council_id, mode="participant"))  # fmt: skip
            await eventually(lambda: _received_to(gateway, NADIA, 2), "her registration by SMS")
            clock.now = STARTS - timedelta(days=1)
            await eventually(lambda: _received_to(gateway, NADIA, 3), "her J-1 reminder by SMS")
            reminder = texts_to(gateway, NADIA)[-1]
            assert reminder.startswith("Rappel : demain jeu. 5/3 18h30, Mairie de Saint-Denis")
            # Her « Je viens » (issue 19): the short signed confirm link, in the one segment.
            assert len(reminder) <= 160
            assert " Je viens : https://conseils.example/action/" in reminder
            token = reminder.rsplit("/", 1)[1]
            link = read_any_action(settings.auth_secret, token, clock.now)
            assert (link.member_id, link.instance_id, link.action) == (
                nadia.member_id,
                instance.instance_id,
                "confirm",
            )

            # STOP: honoured at once, confirmed by SMS; the next message reaches her by email.
            gateway.answer(NADIA, "Stop")
            await eventually(lambda: _received_to(gateway, NADIA, 4), "the STOP confirmation")
            assert texts_to(gateway, NADIA)[-1].startswith("Conseils citoyens : vous ne recevrez plus de SMS")
            (standing,) = [s for s in await rows(app, t.sms_standing) if s["member_id"] == nadia.member_id]
            assert standing["opted_out_at"] == clock.now
            moved = STARTS + timedelta(days=7)
            await publish.send(InstanceRescheduled(
                instance_id=instance.instance_id, starts_at=moved, ends_at=moved + timedelta(hours=2),
                location="Mairie de Saint-Denis", previous_starts_at=STARTS, sequence=1))  # fmt: skip
            await eventually(lambda: _mailed(mails, "nadia@demo.example"), "her email instead of an SMS")
            await eventually(lambda: _received_to(gateway, KARIM, 2), "Karim's SMS after a bounce")
            assert len(texts_to(gateway, NADIA)) == 4
            failed = await _delivery(app, nadia.member_id, "sms", "rescheduled")
            assert (failed["status"], failed["last_error"]) == ("failed", "la personne a répondu STOP")

            # The gateway is down: Fatou's SMS is retried with backoff, then failed, then emailed.
            kannel.stop(Path(gateway.state_dir))
            await publish.send(InstanceCancelled(
                instance_id=instance.instance_id, reason="Salle indisponible", sequence=2,
                title="Comité de pilotage"))  # fmt: skip
            for attempts in (1, 2):
                await eventually(lambda a=attempts: _attempts(app, fatou.member_id, a), f"attempt {attempts}")
                row = await _delivery(app, fatou.member_id, "sms", "cancelled")
                assert row["status"] == "pending"
                assert row["next_attempt_at"] == clock.now + timedelta(seconds=30 * 2 ** (attempts - 1))
                assert "passerelle SMS injoignable" in row["last_error"]
                clock.now = row["next_attempt_at"]
            await eventually(lambda: _mailed(mails, "fatou@demo.example"), "Fatou's email instead")
            row = await _delivery(app, fatou.member_id, "sms", "cancelled")
            assert row["status"] == "failed"
            assert row["last_error"].startswith("abandon après 3 tentatives")

            # Phone numbers never leave the contacts copy: not in events, not in the SMS tables.
            outbox = json.dumps([str(r["payload"]) for r in await rows(app, app.state.runtime.tables.outbox)])
            for number in (NADIA, KARIM, FATOU):
                assert number[3:] not in outbox
            assert all(number[3:] not in json.dumps(r, default=str) for r in await rows(app, t.sms_standing)
                       for number in (NADIA, KARIM, FATOU))  # fmt: skip
    finally:
        server.should_exit = True
        await serving


async def _count(app: FastAPI, table: Any, expected: int) -> bool:
    return len(await rows(app, table)) >= expected


async def _sms_deferred(app: FastAPI, expected: int) -> bool:
    found = [d for d in await rows(app, t.deliveries) if d["channel"] == "sms" and d["last_error"]]
    return len(found) >= expected


async def _received(gateway: kannel.Kannel, expected: int) -> bool:
    return len(gateway.received()) >= expected


async def _received_to(gateway: kannel.Kannel, number: str, expected: int) -> bool:
    return len(texts_to(gateway, number)) >= expected


async def _reports(app: FastAPI, expected: int) -> bool:
    return sum(1 for m in await rows(app, t.sms_messages) if m["report"]) >= expected


async def _mailed(mails: Mails, address: str) -> bool:
    return bool(mails.to(address))


async def _delivery(app: FastAPI, member_id: uuid.UUID, channel: str, kind: str) -> dict[str, Any]:
    (row,) = [
        d
        for d in await rows(app, t.deliveries)
        if d["member_id"] == member_id and d["channel"] == channel and d["kind"] == kind
    ]
    return row


async def _attempts(app: FastAPI, member_id: uuid.UUID, attempts: int) -> bool:
    found = [
        d
        for d in await rows(app, t.deliveries)
        if d["member_id"] == member_id and d["channel"] == "sms" and d["kind"] == "cancelled"
    ]
    return bool(found) and found[0]["attempts"] >= attempts
