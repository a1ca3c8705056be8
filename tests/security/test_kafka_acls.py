"""Kafka with authentication and authorization (issue 15, item 12 / deliverable 1).

On a real secured broker (``conseils kafka start --secure``: SASL/SCRAM-SHA-512 listeners,
StandardAuthorizer, the ACLs of one territory), each principal can do what it must and nothing else:
a service writes only its own topics (and its consumers' dead letters) and reads only what it
consumes, in its own consumer groups; the operator reads everything and may replay; the integrator
reads the facts but never the contacts topic nor a dead-letter topic; a wrong password, an unknown
user or a client without SASL gets nothing.

The broker is this module's own (a private state dir, stopped at the end): the shared broker of the
suite stays plaintext.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from conseils_cli.kafka import launcher
from conseils_cli.kafka.security import INTEGRATOR, OPS, SERVICE_GRANTS
from conseils_runtime.kafka_security import KafkaSecurity
from conseils_schemas import (
    ALL_TOPICS,
    MEETINGS_INSTANCES,
    MEETINGS_REGISTRATIONS,
    NOTIFICATIONS_DELIVERIES,
    REGISTRY_COUNCILS,
    REGISTRY_MEMBER_CONTACTS,
    REGISTRY_MEMBERS,
    STAFF_ALERTS,
    dlq_topic,
    topic_name,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TERRITORY = f"sasl{uuid.uuid4().hex[:8]}"
DENIED = (TopicAuthorizationFailedError, GroupAuthorizationFailedError)


@dataclass(frozen=True)
class SecuredBroker:
    bootstrap: str
    state_dir: Path

    def security(self, principal: str) -> KafkaSecurity:
        return launcher.credentials(self.state_dir, principal)


@pytest.fixture(scope="module")
def broker() -> Iterator[SecuredBroker]:
    # Not under pytest's basetemp: other pytest runs on the machine prune old basetemps.
    state_dir = Path(tempfile.mkdtemp(prefix="conseils-sasl-kafka-"))
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)  # our own broker, never the shared one
        patch.setenv("CONSEILS_KAFKA_HEAP", "768m")
        try:
            info = launcher.start(state_dir, timeout=120, secure=True, territories=[TERRITORY])
            yield SecuredBroker(info.bootstrap, state_dir)
        finally:
            launcher.stop(state_dir)
            shutil.rmtree(state_dir, ignore_errors=True)


def t(base: str) -> str:
    return topic_name(TERRITORY, base)


async def write(
    broker: SecuredBroker,
    principal: str | KafkaSecurity,
    topic: str,
    value: bytes = b"{}",
    *,
    idempotent: bool = True,
) -> None:
    """Publish one record as ``principal`` (raises what the broker answers). The platform's producers
    are idempotent; ``idempotent=False`` checks the topic's WRITE alone (a principal without
    IDEMPOTENT_WRITE is refused earlier, at InitProducerId)."""
    security = broker.security(principal) if isinstance(principal, str) else principal
    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap,
        enable_idempotence=idempotent,
        acks="all",
        request_timeout_ms=10_000,
        **security.aiokafka_kwargs(),
    )
    try:
        await producer.start()
        await asyncio.wait_for(producer.send_and_wait(topic, value, key=b"k"), 20)
    finally:
        await producer.stop()


async def read(broker: SecuredBroker, principal: str, topic: str, group: str | None = None) -> int:
    """Records of ``topic`` read as ``principal`` from the beginning (in ``group`` when given):
    waits for at least one, so a denied read raises instead of looking empty."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=10_000,
        **broker.security(principal).aiokafka_kwargs(),
    )
    await consumer.start()
    try:
        if group is None:
            consumer.assign([TopicPartition(topic, p) for p in range(3)])
            await consumer.seek_to_beginning()
        else:
            consumer.subscribe([topic])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            count = sum(len(records) for records in batch.values())
            if count:
                if group is not None:
                    await consumer.commit()
                return count
        raise AssertionError(f"{principal} read nothing from {topic} in 20 s")
    finally:
        await consumer.stop()


async def metadata_error(broker: SecuredBroker, principal: str, topic: str) -> int:
    """The error code the broker answers ``principal`` asking for ``topic``'s metadata (0: visible)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=broker.bootstrap, **broker.security(principal).aiokafka_kwargs()
    )
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return int(described["error_code"])
    finally:
        await admin.close()


async def assert_cannot_read(broker: SecuredBroker, principal: str, topic: str) -> None:
    """Refused, as the broker says it: the topic is hidden from ``principal``'s metadata (29, not
    3 = unknown), so no client of it finds a partition to fetch; and READ itself is refused (an offset
    commit on the topic, in a group ``principal`` may use, is authorized against READ on the topic)."""
    assert await metadata_error(broker, principal, topic) == 29  # TOPIC_AUTHORIZATION_FAILED
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        group_id=f"{TERRITORY}.{principal}.app",
        enable_auto_commit=False,
        **broker.security(principal).aiokafka_kwargs(),
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        with pytest.raises(TopicAuthorizationFailedError):
            await consumer.commit({tp: 0})
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
def seeded(broker: SecuredBroker) -> SecuredBroker:
    """One record in every topic and dead-letter topic of the territory (written as admin)."""

    async def seed() -> None:
        for base in ALL_TOPICS:
            await write(broker, "admin", t(base))
            await write(broker, "admin", dlq_topic(t(base)))

    asyncio.run(seed())
    return broker


# ------------------------------------------------------------------------------ authentication


async def test_wrong_password_unknown_user_and_plaintext_get_nothing(broker: SecuredBroker) -> None:
    wrong = KafkaSecurity.scram("meetings", "not-the-password")
    with pytest.raises(KafkaError):
        await write(broker, wrong, t(MEETINGS_INSTANCES))
    with pytest.raises(KafkaError):
        await write(broker, KafkaSecurity.scram("mallory", "whatever"), t(MEETINGS_INSTANCES))
    assert not launcher.probe(broker.bootstrap, timeout=5, security=wrong)
    # No SASL at all: the listener speaks SASL only, the client never gets metadata.
    assert not launcher.probe(broker.bootstrap, timeout=5, security=KafkaSecurity())
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await write(broker, KafkaSecurity(), t(MEETINGS_INSTANCES))
    # The right password works (and is what `conseils kafka credentials meetings` prints).
    assert launcher.probe(broker.bootstrap, timeout=10, security=broker.security("meetings"))


def test_passwords_are_generated_and_private(broker: SecuredBroker) -> None:
    path = broker.state_dir / "credentials.json"
    assert path.stat().st_mode & 0o077 == 0
    credentials = json.loads(path.read_text())
    assert {"admin", OPS, INTEGRATOR, *SERVICE_GRANTS} <= set(credentials)
    assert len(set(credentials.values())) == len(credentials)
    assert all(len(password) >= 24 for password in credentials.values())
    assert (broker.state_dir / "server.properties").stat().st_mode & 0o077 == 0


# ------------------------------------------------------------------------------------ services


async def test_each_service_writes_its_own_topics_and_its_consumers_dead_letters(
    broker: SecuredBroker,
) -> None:
    for service, grants in SERVICE_GRANTS.items():
        for base in grants.produces:
            await write(broker, service, t(base))
        for base in grants.dead_letters():
            await write(broker, service, dlq_topic(t(base)))


@pytest.mark.parametrize(
    ("service", "base"),
    [
        ("meetings", REGISTRY_COUNCILS),
        ("meetings", REGISTRY_MEMBER_CONTACTS),
        ("meetings", NOTIFICATIONS_DELIVERIES),
        ("notifications", MEETINGS_INSTANCES),
        ("notifications", REGISTRY_MEMBERS),
        ("registry", MEETINGS_REGISTRATIONS),
        ("registry", STAFF_ALERTS),
    ],
)
async def test_a_service_cannot_write_another_services_topic(
    broker: SecuredBroker, service: str, base: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(broker, service, t(base))


async def test_a_service_cannot_write_dead_letters_of_what_it_does_not_consume(broker: SecuredBroker) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(broker, "meetings", dlq_topic(t(REGISTRY_MEMBER_CONTACTS)))
    with pytest.raises(TopicAuthorizationFailedError):
        await write(broker, "registry", dlq_topic(t(REGISTRY_MEMBERS)))


async def test_each_service_reads_what_it_consumes_in_its_own_groups(seeded: SecuredBroker) -> None:
    for service, grants in SERVICE_GRANTS.items():
        for base in grants.consumes:
            assert await read(seeded, service, t(base), group=f"{TERRITORY}.{service}.acl-test") >= 1


async def test_a_service_reads_nothing_else(seeded: SecuredBroker) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read(seeded, "meetings", t(REGISTRY_MEMBER_CONTACTS), group=f"{TERRITORY}.meetings.x")
    with pytest.raises(TopicAuthorizationFailedError):
        await read(seeded, "meetings", t(NOTIFICATIONS_DELIVERIES))
    with pytest.raises(TopicAuthorizationFailedError):
        await read(seeded, "registry", t(MEETINGS_INSTANCES))
    with pytest.raises(TopicAuthorizationFailedError):
        await read(seeded, "notifications", dlq_topic(t(REGISTRY_MEMBERS)))


async def test_a_service_cannot_join_another_services_group(seeded: SecuredBroker) -> None:
    with pytest.raises(GroupAuthorizationFailedError):
        await read(seeded, "meetings", t(REGISTRY_COUNCILS), group=f"{TERRITORY}.notifications.registry")
    with pytest.raises(GroupAuthorizationFailedError):
        await read(seeded, "notifications", t(REGISTRY_COUNCILS), group=f"{TERRITORY}.integrator.app")


async def test_a_service_checks_its_topics_but_cannot_create_or_alter_them(broker: SecuredBroker) -> None:
    """`ensure_topics` at a service's start passes on a provisioned territory (metadata and configs
    only); creating a topic is the operator's (`conseils kafka grant`)."""
    from conseils_runtime.topics import ensure_topics

    assert await ensure_topics(broker.bootstrap, TERRITORY, security=broker.security("meetings")) == []
    admin = AIOKafkaAdminClient(
        bootstrap_servers=broker.bootstrap, **broker.security("meetings").aiokafka_kwargs()
    )
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(f"{TERRITORY}.meetings.extra", 1, 1)])
        assert [code for _name, code, *_ in response.topic_errors] == [29]  # TOPIC_AUTHORIZATION_FAILED
    finally:
        await admin.close()


async def test_the_service_runtime_broker_takes_its_credentials_from_the_environment(
    broker: SecuredBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `make_broker` builds (FastStream KafkaBroker) from CONSEILS_KAFKA_*."""
    from conseils_runtime.service import make_broker
    from conseils_runtime.settings import ServiceSettings

    for name, value in broker.security("meetings").env().items():
        monkeypatch.setenv(name, value)
    settings = ServiceSettings(
        service_name="meetings", territory=TERRITORY, kafka_bootstrap_servers=broker.bootstrap
    )
    kafka = make_broker(settings)
    await kafka.start()
    try:
        assert await kafka.ping(timeout=10)
        await kafka.publish(b"{}", t(MEETINGS_INSTANCES), key=b"k")
        with pytest.raises(TopicAuthorizationFailedError):
            await kafka.publish(b"{}", t(REGISTRY_COUNCILS), key=b"k")
    finally:
        await kafka.stop()


# ------------------------------------------------------------------------------------ operator


async def test_the_operator_reads_everything_including_dead_letters(seeded: SecuredBroker) -> None:
    for base in ALL_TOPICS:
        assert await read(seeded, OPS, t(base)) >= 1
        assert await read(seeded, OPS, dlq_topic(t(base))) >= 1


async def test_the_operator_may_replay_and_sees_every_groups_lag(
    seeded: SecuredBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A replay: read the dead letter in the replay group, republish it to its origin topic.
    assert await read(seeded, OPS, dlq_topic(t(REGISTRY_MEMBERS)), group=f"{TERRITORY}.ops.dlq-replay") >= 1
    await write(seeded, OPS, t(REGISTRY_MEMBERS))
    # ... but never commits in a service's group.
    with pytest.raises(GroupAuthorizationFailedError):
        await read(seeded, OPS, t(REGISTRY_MEMBERS), group=f"{TERRITORY}.meetings.registry-read-model")
    # `conseils ops status` (the flows module) as the operator, from CONSEILS_KAFKA_*.
    from conseils_runtime.flows.status import collect_status

    await read(seeded, "meetings", t(REGISTRY_MEMBERS), group=f"{TERRITORY}.meetings.lag-test")
    for name, value in seeded.security(OPS).env().items():
        monkeypatch.setenv(name, value)
    report = await collect_status(seeded.bootstrap, TERRITORY, window=0)
    assert {f"{TERRITORY}.meetings.lag-test", f"{TERRITORY}.ops.dlq-replay"} <= {
        lag.group for lag in report.groups
    }
    assert all(stats.exists for stats in report.topics)


async def test_the_operator_cannot_create_topics(broker: SecuredBroker) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, **broker.security(OPS).aiokafka_kwargs())
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(f"{TERRITORY}.ops.extra", 1, 1)])
        assert [code for _name, code, *_ in response.topic_errors] == [29]
    finally:
        await admin.close()


# ---------------------------------------------------------------------------------- integrator


async def test_the_integrator_reads_the_facts_in_its_own_groups(seeded: SecuredBroker) -> None:
    for base in ALL_TOPICS:
        if base != REGISTRY_MEMBER_CONTACTS:
            assert await read(seeded, INTEGRATOR, t(base), group=f"{TERRITORY}.integrator.app") >= 1


async def test_the_integrator_cannot_read_contacts_nor_any_dead_letter(seeded: SecuredBroker) -> None:
    # Both hold a record (seeded) that the operator reads (test above).
    await assert_cannot_read(seeded, INTEGRATOR, t(REGISTRY_MEMBER_CONTACTS))
    for base in ALL_TOPICS:
        await assert_cannot_read(seeded, INTEGRATOR, dlq_topic(t(base)))


async def test_the_integrator_writes_nothing_and_joins_no_service_group(seeded: SecuredBroker) -> None:
    for base in (MEETINGS_INSTANCES, REGISTRY_MEMBERS, STAFF_ALERTS):
        with pytest.raises(TopicAuthorizationFailedError):
            await write(seeded, INTEGRATOR, t(base), idempotent=False)
    with pytest.raises(ClusterAuthorizationFailedError):
        await write(seeded, INTEGRATOR, t(MEETINGS_INSTANCES))
    with pytest.raises(GroupAuthorizationFailedError):
        await read(seeded, INTEGRATOR, t(MEETINGS_INSTANCES), group=f"{TERRITORY}.notifications.meetings")


def test_a_new_integrator_gets_the_integrators_rights(seeded: SecuredBroker) -> None:
    """`conseils kafka add-integrator` (docs/operations.md): a new principal, read-only, no contacts."""
    security = launcher.add_integrator(seeded.state_dir, "open-data", [TERRITORY])
    assert security.sasl_username == "open-data"

    async def check() -> None:
        assert await read(seeded, "open-data", t(MEETINGS_INSTANCES), group=f"{TERRITORY}.open-data.app") >= 1
        await assert_cannot_read(seeded, "open-data", t(REGISTRY_MEMBER_CONTACTS))
        await assert_cannot_read(seeded, "open-data", dlq_topic(t(MEETINGS_INSTANCES)))
        with pytest.raises(TopicAuthorizationFailedError):
            await write(seeded, "open-data", t(MEETINGS_INSTANCES), idempotent=False)

    asyncio.run(check())
