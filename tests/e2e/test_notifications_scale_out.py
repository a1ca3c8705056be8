"""Two replicas of the notifications service in one consumer group share the
partitions without sending any email twice; when one is killed (SIGKILL) the
other takes over its partitions and the rest of the emails go out, once.

Real processes (`python -m conseils_notifications`), the real broker,
PostgreSQL shared by the replicas, a real SMTP server."""

from __future__ import annotations

import asyncio
import collections
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from icalendar import Calendar

from conseils_schemas import (
    CouncilRegistered,
    Event,
    EventMetadata,
    InstanceScheduled,
    MemberContactCard,
    MemberJoined,
    to_kafka_headers,
    topic_name,
)
from conseils_web.mailbox import MailCatcher, read_mailbox
from tests.e2e.secured_kafka import SecuredKafka
from tests.faults.harness import ServiceProcess, count_rows, wait_rows

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.e2e, pytest.mark.slow]

MEMBERS = 12
INSTANCES = 8


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Path]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()


@pytest.fixture
async def replicas(  # noqa: PLR0917 - fixtures
    kafka_bootstrap: str,
    secured_kafka: SecuredKafka,
    postgres_url: str,
    territory: str,
    mailbox: MailCatcher,
    tmp_path: Path,
) -> AsyncIterator[list[ServiceProcess]]:
    env = {
        **os.environ,
        **secured_kafka.security("notifications").env(),  # its own principal and ACLs
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CONSEILS_TERRITORY": territory,
        "CONSEILS_NOTIFICATIONS_DATABASE_URL": postgres_url,
        "CONSEILS_NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "CONSEILS_NOTIFICATIONS_SMTP_PORT": str(mailbox.port),
        "CONSEILS_NOTIFICATIONS_LOG_LEVEL": "WARNING",
    }
    first = ServiceProcess("notifications", env, tmp_path / "replica-a")
    second = ServiceProcess("notifications", env, tmp_path / "replica-b")
    running = [first, second]
    for replica in running:
        (tmp_path / replica.log_dir.name).mkdir()
    first.start()
    await first.wait_ready()  # the first one creates the schema; then the second joins
    second.start()
    try:
        await second.wait_ready()
        yield running
    finally:
        for replica in running:
            replica.stop()


async def group_members(kafka: SecuredKafka, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **kafka.ops.aiokafka_kwargs())
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        return (
            len(response.groups[0][5]) if response.groups else 0
        )  # (error, id, state, type, protocol, members)
    finally:
        await admin.close()


async def publish(producer: AIOKafkaProducer, territory: str, event: Event) -> None:
    metadata = EventMetadata(source="/tests/scale-out", type=event.event_type, subject=event.partition_key())
    await producer.send_and_wait(
        topic_name(territory, event.topic),
        event.model_dump_json().encode(),
        key=event.partition_key().encode(),
        headers=to_kafka_headers(metadata),
    )


def emails_by_instance_and_recipient(directory: Path) -> collections.Counter[tuple[str, str]]:
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for mail in read_mailbox(directory, limit=100_000):
        for name, _kind, data in mail.attachments():
            if name.endswith(".ics"):
                uid = str(Calendar.from_ical(data).walk("VEVENT")[0]["UID"])
                counts[(uid.split("@", maxsplit=1)[0], parseaddr(mail.recipients)[1])] += 1
    return counts


async def wait_for_emails(
    directory: Path, expected: int, database_url: str, timeout: float = 120
) -> collections.Counter[tuple[str, str]]:
    """The mailbox once `expected` emails arrived and no delivery is `pending` or `sending` (only an
    open row could still send a duplicate): a positive signal, not a pause."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for _ in range(int(timeout * 2)):
        counts = emails_by_instance_and_recipient(directory)
        if sum(counts.values()) >= expected:
            break
        await asyncio.sleep(0.5)
    for _ in range(int(timeout * 2)):
        if await count_rows(database_url, "deliveries", "status IN ('pending', 'sending')") == 0:
            break
        await asyncio.sleep(0.5)
    return emails_by_instance_and_recipient(directory)


async def test_two_replicas_share_the_work_and_one_takes_over_when_the_other_is_killed(
    replicas: list[ServiceProcess],
    secured_kafka: SecuredKafka,
    territory: str,
    mailbox: MailCatcher,
    postgres_url: str,
) -> None:
    group = f"{territory}.notifications.meetings"
    for _ in range(100):
        if await group_members(secured_kafka, group) == 2:
            break
        await asyncio.sleep(0.3)
    assert await group_members(secured_kafka, group) == 2

    # the registry's and the meetings' facts, written as the operator (who may republish any topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=secured_kafka.bootstrap,
        enable_idempotence=True,
        acks="all",
        **secured_kafka.ops.aiokafka_kwargs(),
    )
    await producer.start()
    try:
        council_id = uuid.uuid4()
        await publish(
            producer,
            territory,
            CouncilRegistered(
                council_id=council_id,
                territory=territory,
                city="Saint-Denis",
                city_code="93066",
                neighbourhood="Franc-Moisin",
                name="Conseil citoyen Franc-Moisin",
            ),
        )
        for index in range(MEMBERS):
            member_id = uuid.uuid4()
            await publish(
                producer,
                territory,
                MemberJoined(
                    member_id=member_id,
                    council_id=council_id,
                    college="habitants",
                    joined_on=date(2025, 1, 1),
                    themes_followed=["emploi"],
                ),
            )
            await publish(
                producer,
                territory,
                MemberContactCard(
                    member_id=member_id,
                    display_name=f"Membre {index}",
                    email=f"membre{index}@demo.example",
                    consent_given_at=datetime.now(UTC),  # no consent: no email
                ),
            )
        # the read models are built before the instances arrive
        await wait_rows(postgres_url, "members", MEMBERS)
        await wait_rows(postgres_url, "contacts", MEMBERS)

        def instance() -> InstanceScheduled:
            starts = datetime.now(UTC).replace(hour=17, minute=30, second=0, microsecond=0) + timedelta(
                days=30
            )
            return InstanceScheduled(
                instance_id=uuid.uuid4(),
                instance_type="comite-technique",
                title="Comité technique Emploi",
                theme="emploi",
                scope="theme",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                location="Mairie de Saint-Denis",
                is_political=False,
                is_evening=True,
            )

        half = INSTANCES // 2
        first_half = [instance() for _ in range(half)]
        for event in first_half:
            await publish(producer, territory, event)
        counts = await wait_for_emails(mailbox.directory, half * MEMBERS, postgres_url)
        assert sum(counts.values()) == half * MEMBERS
        assert set(counts.values()) == {1}

        replicas[0].kill()
        second_half = [instance() for _ in range(INSTANCES - half)]
        for event in second_half:
            await publish(producer, territory, event)
        counts = await wait_for_emails(mailbox.directory, INSTANCES * MEMBERS, postgres_url, timeout=180)
    finally:
        await producer.stop()

    expected = {
        (str(event.instance_id), f"membre{index}@demo.example")
        for event in first_half + second_half
        for index in range(MEMBERS)
    }
    assert set(counts) == expected
    assert set(counts.values()) == {1}, "an email was sent twice"
    assert await group_members(secured_kafka, group) == 1
