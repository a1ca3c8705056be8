"""The SMS channel inside the service, on a real database (SQLite and PostgreSQL) with a
scripted gateway: STOP during a send, an invalid number, a gateway that stays down, the
bounce fallback only with consent, answers from unknown numbers, erasure."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.domain import Preferences
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.sms_gateway import KannelGateway
from conseils_notifications.tasks import DeliverySender
from conseils_notifications.transport import PermanentFailure, TemporaryFailure
from conseils_runtime import ServiceRuntime
from conseils_schemas import MemberContactCard, MemberErased

from ..notifications.helpers import council, member, scheduled

pytestmark = pytest.mark.postgres

MONDAY_NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


class Gateway:
    """Answers each SMS with the next scripted outcome (None = accepted); `before_send` runs first."""

    reports_delivery = True

    def __init__(self) -> None:
        self.outcomes: list[Exception | None] = []
        self.sent: list[tuple[str, str, str | None]] = []
        self.before_send: Any = None

    async def send(self, phone: str, text: str, *, dlr_url: str | None = None) -> None:
        if self.before_send is not None:
            await self.before_send()
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.sent.append((phone, text, dlr_url))


class Mails:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.refuse = False

    async def send(self, message: EmailMessage) -> None:
        if self.refuse:
            raise PermanentFailure("550 5.1.1 unknown")
        self.sent.append(message)

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY_NOON

    def __call__(self) -> datetime:
        return self.now


class Harness:
    def __init__(self, database_url: str, territory: str) -> None:
        self.settings = NotificationsSettings(
            territory=territory,
            database_url=database_url,
            sender_backoff_seconds=60,
            sender_max_attempts=3,
            log_json=False,
        )
        self.runtime = ServiceRuntime(self.settings, t.metadata)
        self.clock = Clock()
        self.service = NotificationsService(
            self.settings, self.runtime.database, self.runtime.outbox, self.clock
        )
        self.gateway, self.mails = Gateway(), Mails()
        self.sender = DeliverySender(self.runtime.database, self.service, self.mails, self.gateway)
        self.council = council()

    async def person(
        self, *, phone: str | None = "06 12 34 56 78", consent: bool = True, channels: set[str] | None = None
    ) -> uuid.UUID:
        m = member(self.council.council_id)
        card = MemberContactCard(
            member_id=m.member_id,
            display_name="Nadia Benali",
            email=f"{m.member_id.hex[:8]}@demo.example",
            phone=phone,
            consent_given_at=MONDAY_NOON - timedelta(days=30) if consent else None,
        )
        async with self.service.units.begin() as unit:
            await self.service.apply_registry_fact(unit, m)
            await self.service.record_contact(unit, card)
            if channels is not None:
                await unit.repo.save_preferences(m.member_id, Preferences(channels=frozenset(channels)))  # type: ignore[arg-type]
        return m.member_id

    async def schedule(self) -> None:
        async with self.service.units.begin() as unit:
            await self.service.instance_scheduled(
                unit, scheduled(scope="territory", theme=None), str(uuid.uuid4())
            )

    async def deliveries(self, member_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        async with self.runtime.database.sessionmaker() as session:
            found = (
                await session.execute(select(t.deliveries).where(t.deliveries.c.member_id == member_id))
            ).mappings()
            return {row["channel"]: dict(row) for row in found}


@pytest.fixture
async def harness(database_url: str, territory: str) -> AsyncIterator[Harness]:
    h = Harness(database_url, territory)
    await h.runtime.database.create_all(t.metadata)
    async with h.service.units.begin() as unit:
        await h.service.apply_registry_fact(unit, h.council)
    try:
        yield h
    finally:
        await h.runtime.database.dispose()


async def test_a_stop_during_a_send_stops_the_rest_of_the_batch(harness: Harness) -> None:
    first = await harness.person(channels={"sms"})
    second = await harness.person(phone="06 12 34 56 78", channels={"sms"})  # the same phone (a family)

    async def stop_once() -> None:
        harness.gateway.before_send = None
        assert await harness.service.sms_answer("+33612345678", "STOP") is not None

    harness.gateway.before_send = stop_once
    await harness.schedule()
    harness.sender._slots = asyncio.Semaphore(1)  # one at a time, in order
    await harness.sender.run_once()
    assert len(harness.gateway.sent) == 1  # the one already on its way when STOP arrived
    rows = [(await harness.deliveries(m))["sms"] for m in (first, second)]
    assert sorted(row["status"] for row in rows) == ["failed", "sent"]
    assert {row["last_error"] for row in rows if row["status"] == "failed"} == {"la personne a répondu STOP"}
    await harness.sender.run_once()  # the stopped one went by email instead
    assert len(harness.mails.sent) == 1


async def test_an_invalid_number_fails_at_once_and_email_is_used(harness: Harness) -> None:
    person = await harness.person(phone="123456", channels={"sms"})
    await harness.schedule()
    await harness.sender.run_once()
    await harness.sender.run_once()
    rows = await harness.deliveries(person)
    assert (rows["sms"]["status"], rows["sms"]["last_error"]) == ("failed", "numéro de téléphone invalide")
    assert rows["email"]["status"] == "sent"
    assert harness.gateway.sent == []


async def test_a_gateway_refusal_is_permanent_and_a_busy_one_is_retried(harness: Harness) -> None:
    person = await harness.person(channels={"sms"})
    harness.gateway.outcomes = [
        TemporaryFailure("passerelle SMS : 503"),
        PermanentFailure("passerelle SMS : 400"),
    ]
    await harness.schedule()
    await harness.sender.run_once()
    row = (await harness.deliveries(person))["sms"]
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["next_attempt_at"] == MONDAY_NOON + timedelta(seconds=60)
    harness.clock.now = row["next_attempt_at"]
    await harness.sender.run_once()
    assert (await harness.deliveries(person))["sms"]["status"] == "failed"


async def test_a_bounce_falls_back_to_sms_with_consent_a_phone_and_no_stop(harness: Harness) -> None:
    consented = await harness.person()
    not_consented = await harness.person(phone="07 11 22 33 44", consent=False)
    no_phone = await harness.person(phone=None)
    stopped = await harness.person(phone="06 99 88 77 66")
    assert await harness.service.sms_answer("+33699887766", "STOP") is not None
    harness.mails.refuse = True
    await harness.schedule()
    await harness.sender.run_once()
    await harness.sender.run_once()
    assert set(await harness.deliveries(consented)) == {"email", "sms"}
    assert {c: d["status"] for c, d in (await harness.deliveries(not_consented)).items()} == {
        "email": "no_consent"
    }
    assert set(await harness.deliveries(no_phone)) == {"email"}
    assert set(await harness.deliveries(stopped)) == {"email"}
    assert len(harness.gateway.sent) == 1
    (phone, text, dlr_url) = harness.gateway.sent[0]
    assert phone == "+33612345678"
    assert text.startswith("Conseils citoyens - nouvelle instance :")
    assert dlr_url is not None
    assert "&status=%d" in dlr_url


async def test_quiet_hours_defer_without_counting_an_attempt(harness: Harness) -> None:
    person = await harness.person(channels={"sms"})
    harness.clock.now = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # a Sunday
    await harness.schedule()
    await harness.sender.run_once()
    row = (await harness.deliveries(person))["sms"]
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert row["next_attempt_at"] == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
    assert harness.gateway.sent == []


async def test_answers_from_unknown_numbers_or_other_words_change_nothing(harness: Harness) -> None:
    await harness.person(channels={"sms"})
    assert await harness.service.sms_answer("+33700000000", "STOP") is None
    assert await harness.service.sms_answer("+33612345678", "Je viens") is None
    assert await harness.service.sms_answer("n'importe quoi", "STOP") is None
    assert await harness.service.sms_answer("0612345678", "START") is not None


async def test_erasure_forgets_the_sms_standing(harness: Harness) -> None:
    person = await harness.person()
    async with harness.service.units.begin() as unit:
        await harness.service.apply_registry_fact(unit, MemberErased(member_id=person, erased_at=MONDAY_NOON))
    async with harness.runtime.database.sessionmaker() as session:
        assert (await session.execute(select(t.sms_standing))).all() == []


async def test_kannel_away_is_a_temporary_failure() -> None:
    credentials = {"username": "conseils", "password": uuid.uuid4().hex}
    gateway = KannelGateway("http://127.0.0.1:9/cgi-bin/sendsms", **credentials, sender="Conseils", timeout=2)
    try:
        with pytest.raises(TemporaryFailure, match="injoignable"):
            await gateway.send("+33612345678", "Bonjour")
    finally:
        await gateway.close()
