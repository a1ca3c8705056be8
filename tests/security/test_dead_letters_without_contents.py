"""Dead-letter error texts and logs name the kind of error and the fields, never their
values: a contact card with a name and a phone number that fails validation, the envelope
check, or its handler's database write dead-letters with an `dlq_error` free of both."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
from conseils_schemas import EventMetadata, MemberContactCard, dlq_topic, to_kafka_headers, topic_name, topics
from tests.runtime.test_consumer_and_outbox import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

NAME = "Aïcha Benali"
PHONE = "06 12 34 56 78"
EMAIL = "aicha.benali@example.org"
SECRETS = (NAME, PHONE, "0612345678", EMAIL, "Benali")


class ContactsProbe:
    """A consumer of contact cards that writes each one to a table keyed by member id."""

    def __init__(self, kafka: str, database_url: str, territory: str) -> None:
        self.metadata = MetaData()
        self.cards = Table(
            "cards",
            self.metadata,
            Column("member_id", String(64), primary_key=True),
            Column("display_name", String(200)),
            Column("phone", String(40)),
        )
        settings = ServiceSettings(
            service_name="contacts-probe",
            territory=territory,
            kafka_bootstrap_servers=kafka,
            database_url=database_url,
            retry_backoff_seconds=0.05,
            log_json=False,
        )
        self.runtime = ServiceRuntime(settings, self.metadata)
        consumer = self.runtime.consumer("cards")

        @consumer.on(MemberContactCard)
        async def card(event: MemberContactCard, context: EventContext) -> None:
            # A plain insert: a second card of the same member breaks the primary key, and the
            # driver's error quotes the statement's parameters (the name, the phone).
            await context.session.execute(
                insert(self.cards).values(
                    member_id=str(event.member_id), display_name=event.display_name, phone=event.phone
                )
            )

    async def names(self) -> list[str]:
        async with self.runtime.database.sessionmaker() as session:
            return [row[0] for row in await session.execute(select(self.cards.c.display_name))]


@pytest.fixture
async def probe(kafka_bootstrap: str, database_url: str, territory: str) -> AsyncIterator[ContactsProbe]:
    service = ContactsProbe(kafka_bootstrap, database_url, territory)
    await service.runtime.start()
    try:
        yield service
    finally:
        await service.runtime.stop()


def card(member: uuid.UUID, **changes: object) -> bytes:
    body: dict[str, object] = {
        "member_id": str(member),
        "display_name": NAME,
        "email": EMAIL,
        "phone": PHONE,
    }
    body.update(changes)
    return json.dumps(body).encode()


async def test_dead_letter_errors_and_logs_do_not_quote_names_or_phone_numbers(
    probe: ContactsProbe, kafka_bootstrap: str, territory: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = topic_name(territory, topics.REGISTRY_MEMBER_CONTACTS)
    member_id = uuid.uuid4()
    key = str(member_id).encode()

    def headers(**changes: str) -> dict[str, str]:
        metadata = EventMetadata(source="/attaque", type=MemberContactCard.event_type)
        values = {name: value.decode() for name, value in to_kafka_headers(metadata)}
        return {**values, **changes}

    broker = probe.runtime.broker
    # 1. invalid payload: the member id and the phone are the person's name and a bad number
    await broker.publish(
        card(member_id, member_id=NAME, phone=f"{PHONE} (Aïcha)"), source, key=key, headers=headers()
    )
    # 2. invalid envelope: a header value quoting the person
    await broker.publish(card(member_id), source, key=key, headers=headers(ce_time=f"{NAME} {PHONE}"))
    # 3. a valid card, then a second card of the same member: the handler's insert fails
    await broker.publish(card(member_id), source, key=key, headers=headers())
    await broker.publish(card(member_id, display_name=f"{NAME} bis"), source, key=key, headers=headers())

    letters = await read_topic(kafka_bootstrap, dlq_topic(source), 3, timeout=60)
    assert len(letters) == 3
    assert await probe.names() == [NAME]
    errors = [dict(letter.headers)[topics.DLQ_ERROR].decode() for letter in letters]
    assert errors[0].startswith("invalid payload: ValidationError")
    assert "member_id (uuid_parsing)" in errors[0]
    assert "phone (string_pattern_mismatch)" in errors[0]
    assert errors[1].startswith("invalid envelope: InvalidEnvelope: ce_time")
    assert errors[2].startswith("IntegrityError")
    for error in errors:
        for secret in SECRETS:
            assert secret not in error, (secret, error)
    await asyncio.sleep(0.2)  # the consumer's last log lines
    logged = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in logged.err
        assert secret not in logged.out
