"""Retention and compaction are the platform's decision: the configs `ensure_topics` gives the
topics, read back from the real broker, the correction of an existing topic at start, and the
compaction of an erased contact card actually observed."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import ValidationError

from conseils_runtime.settings import MIN_FACT_RETENTION_DAYS, RetentionSettings, ServiceSettings
from conseils_runtime.topics import (
    TopicConfigError,
    describe_topic_configs,
    ensure_topics,
    topic_configs,
    wanted_topics,
)
from conseils_schemas import ALL_TOPICS, COMPACTED_TOPICS, REGISTRY_MEMBERS, dlq_topic, topic_name
from conseils_schemas.topics import REGISTRY_MEMBER_CONTACTS

DAY_MS = 86_400_000
SEVEN_DAYS_MS = str(7 * DAY_MS)


async def read_configs(kafka: str, topics: list[str]) -> dict[str, dict[str, str | None]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        found = await describe_topic_configs(admin, topics)
    finally:
        await admin.close()
    return {
        name: {key: value for key, (value, _dynamic) in entries.items()} for name, entries in found.items()
    }


async def eventually(kafka: str, topic: str, key: str, expected: str, within: float = 10.0) -> None:
    """The broker applies an accepted AlterConfigs a moment later (KRaft metadata): poll."""
    deadline = time.monotonic() + within
    while (value := (await read_configs(kafka, [topic]))[topic][key]) != expected:
        assert time.monotonic() < deadline, f"{topic} {key}={value}, expected {expected}"
        await asyncio.sleep(0.2)


async def create_raw(kafka: str, topics: dict[str, dict[str, str]], partitions: int = 1) -> None:
    """Topics created as a third party (or an older version) would: broker defaults or given configs."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, partitions, 1, topic_configs=configs) for name, configs in topics.items()]
        )
    finally:
        await admin.close()


# ------------------------------------------------------------------------------- the table


def test_every_fact_topic_keeps_its_history_by_default() -> None:
    for base in ALL_TOPICS:
        if base in COMPACTED_TOPICS:
            continue
        assert topic_configs(base, RetentionSettings()) == {
            "cleanup.policy": "delete",
            "retention.ms": "-1",
            "retention.bytes": "-1",
        }
        assert topic_configs(base, RetentionSettings(), dead_letters=True)["retention.ms"] == str(30 * DAY_MS)


def test_contacts_and_their_dead_letters_are_compacted_within_hours() -> None:
    for dead_letters in (False, True):
        configs = topic_configs(REGISTRY_MEMBER_CONTACTS, RetentionSettings(), dead_letters=dead_letters)
        assert configs["cleanup.policy"] == "compact"
        assert configs["min.compaction.lag.ms"] == "0"
        assert int(configs["segment.ms"]) <= 3_600_000
        assert int(configs["max.compaction.lag.ms"]) <= 3_600_000
        assert float(configs["min.cleanable.dirty.ratio"]) <= 0.01
        assert int(configs["delete.retention.ms"]) <= DAY_MS


def test_a_territory_may_choose_a_finite_retention_of_400_days_or_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONSEILS_FACT_RETENTION_DAYS", "730")
    assert RetentionSettings().fact_retention_days == 730
    assert ServiceSettings().fact_retention_days == 730  # services read the same variable
    assert topic_configs(REGISTRY_MEMBERS, RetentionSettings())["retention.ms"] == str(730 * DAY_MS)


def test_an_empty_variable_means_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSEILS_FACT_RETENTION_DAYS", "")  # docker-compose's ${FACT_RETENTION_DAYS:-}
    assert RetentionSettings().fact_retention_days is None
    assert topic_configs(REGISTRY_MEMBERS, RetentionSettings())["retention.ms"] == "-1"


@pytest.mark.parametrize("days", ["7", "399", "0", "-1"])
def test_a_retention_below_400_days_is_refused(monkeypatch: pytest.MonkeyPatch, days: str) -> None:
    monkeypatch.setenv("CONSEILS_FACT_RETENTION_DAYS", days)
    with pytest.raises(ValidationError) as refused:
        RetentionSettings()
    message = str(refused.value)
    assert f"au moins {MIN_FACT_RETENTION_DAYS} jours" in message
    assert f"at least {MIN_FACT_RETENTION_DAYS} days" in message
    with pytest.raises(ValidationError):
        ServiceSettings()
    with pytest.raises(ValidationError):
        RetentionSettings(fact_retention_days=int(days))


# --------------------------------------------------------------------------- on the broker


@pytest.mark.kafka
async def test_topics_are_created_with_the_platform_configs(kafka_bootstrap: str, territory: str) -> None:
    created = await ensure_topics(kafka_bootstrap, territory, partitions=1, settings=RetentionSettings())
    wanted = wanted_topics(territory, RetentionSettings())
    assert sorted(created) == sorted(wanted)
    configs = await read_configs(kafka_bootstrap, list(wanted))
    contacts = topic_name(territory, REGISTRY_MEMBER_CONTACTS)
    for name in (contacts, dlq_topic(contacts)):
        assert configs[name]["cleanup.policy"] == "compact"
        assert configs[name]["segment.ms"] == "3600000"
        assert configs[name]["min.compaction.lag.ms"] == "0"
        assert configs[name]["max.compaction.lag.ms"] == "3600000"
        assert configs[name]["min.cleanable.dirty.ratio"] == "0.01"
        assert configs[name]["delete.retention.ms"] == str(DAY_MS)
    for base in ALL_TOPICS:
        if base in COMPACTED_TOPICS:
            continue
        facts = configs[topic_name(territory, base)]
        assert (facts["cleanup.policy"], facts["retention.ms"], facts["retention.bytes"]) == (
            "delete",
            "-1",
            "-1",
        )
        dead = configs[dlq_topic(topic_name(territory, base))]
        assert (dead["cleanup.policy"], dead["retention.ms"]) == ("delete", str(30 * DAY_MS))
    # A second start finds everything right: nothing created, nothing to alter.
    assert await ensure_topics(kafka_bootstrap, territory, partitions=1, settings=RetentionSettings()) == []


@pytest.mark.kafka
async def test_a_topic_with_the_7_day_default_is_corrected_at_start(
    kafka_bootstrap: str, territory: str
) -> None:
    members = topic_name(territory, REGISTRY_MEMBERS)
    contacts = topic_name(territory, REGISTRY_MEMBER_CONTACTS)
    # As an older version (or broker auto-creation) left them: 7 days, contacts not compacted.
    await create_raw(
        kafka_bootstrap,
        {
            members: {"retention.ms": SEVEN_DAYS_MS, "max.message.bytes": "2000000"},
            dlq_topic(members): {},  # the broker's own default
            contacts: {"cleanup.policy": "delete"},
        },
    )
    before = await read_configs(kafka_bootstrap, [members, dlq_topic(members)])
    assert before[members]["retention.ms"] == SEVEN_DAYS_MS
    assert before[dlq_topic(members)]["retention.ms"] != str(30 * DAY_MS)

    created = await ensure_topics(kafka_bootstrap, territory, partitions=1, settings=RetentionSettings())

    assert members not in created
    assert contacts not in created
    corrected = {
        members: {"retention.ms": "-1", "retention.bytes": "-1"},
        dlq_topic(members): {"retention.ms": str(30 * DAY_MS)},
        contacts: {"cleanup.policy": "compact", "max.compaction.lag.ms": "3600000"},
    }
    for topic, configs in corrected.items():
        for key, value in configs.items():
            await eventually(kafka_bootstrap, topic, key, value)
    after = await read_configs(kafka_bootstrap, [members])
    assert after[members]["max.message.bytes"] == "2000000"  # an override we do not manage is kept

    # A territory that later chooses two years: the existing topics follow.
    two_years = RetentionSettings(fact_retention_days=730)
    await ensure_topics(kafka_bootstrap, territory, partitions=1, settings=two_years)
    await eventually(kafka_bootstrap, members, "retention.ms", str(730 * DAY_MS))


@pytest.mark.kafka
async def test_a_compacted_topic_is_never_silently_switched_to_delete(
    kafka_bootstrap: str, territory: str
) -> None:
    members = topic_name(territory, REGISTRY_MEMBERS)
    await create_raw(kafka_bootstrap, {members: {"cleanup.policy": "compact"}})
    with pytest.raises(TopicConfigError, match="an operator must decide"):
        await ensure_topics(kafka_bootstrap, territory, partitions=1, settings=RetentionSettings())
    assert (await read_configs(kafka_bootstrap, [members]))[members]["cleanup.policy"] == "compact"


@pytest.mark.kafka
async def test_a_correction_the_broker_refuses_stops_the_start(kafka_bootstrap: str, territory: str) -> None:
    await ensure_topics(kafka_bootstrap, territory, partitions=1, settings=RetentionSettings())
    with pytest.raises(TopicConfigError, match="refuses to correct"):
        await ensure_topics(
            kafka_bootstrap,
            territory,
            partitions=1,
            settings=RetentionSettings(),
            config_overrides={REGISTRY_MEMBER_CONTACTS: {"min.cleanable.dirty.ratio": "7"}},
        )


# ----------------------------------------------------------------------- compaction observed


async def read_all(kafka: str, topic: str) -> list[tuple[str, bytes | None]]:
    """Every record of the (single-partition) topic from its beginning: (key, value)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        records: list[tuple[str, bytes | None]] = []
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=1000)
            for record in batch.get(partition, []):
                assert record.key is not None
                records.append((record.key.decode(), record.value))
        return records
    finally:
        await consumer.stop()


@pytest.mark.kafka
@pytest.mark.slow
async def test_an_erased_card_and_then_its_tombstone_leave_the_contacts_topic(
    kafka_bootstrap: str, territory: str
) -> None:
    # Test-only override: the platform's segment.ms and max.compaction.lag.ms are one hour and
    # delete.retention.ms a day; seconds here, so the broker's log cleaner (which wakes every
    # log.cleaner.backoff.ms, 15 s by default) does the very same work within the test.
    fast = {"segment.ms": "1000", "max.compaction.lag.ms": "1000", "delete.retention.ms": "1000"}
    await ensure_topics(
        kafka_bootstrap,
        territory,
        partitions=1,
        settings=RetentionSettings(),
        config_overrides={REGISTRY_MEMBER_CONTACTS: fast},
    )
    topic = topic_name(territory, REGISTRY_MEMBER_CONTACTS)
    erased, kept = str(uuid.uuid4()), str(uuid.uuid4())
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"email": "erased@example.org"}', key=erased.encode())
        await producer.send_and_wait(topic, b'{"email": "kept@example.org"}', key=kept.encode())
        await producer.send_and_wait(topic, None, key=erased.encode())  # the erasure tombstone
        assert [key for key, _ in await read_all(kafka_bootstrap, topic)] == [erased, kept, erased]

        started = time.monotonic()
        card_gone_after: float | None = None
        records: list[tuple[str, bytes | None]] = []
        while time.monotonic() - started < 120:
            # Later writes roll the segment holding the tombstone (segment.ms) and keep the log
            # dirty, as other members' cards do in a live territory.
            await asyncio.sleep(1.5)
            await producer.send_and_wait(topic, b'{"email": "other@example.org"}', key=b"another-member")
            records = await read_all(kafka_bootstrap, topic)
            if (
                card_gone_after is None
                and (erased, None) in records
                and not any(key == erased and value is not None for key, value in records)
            ):
                card_gone_after = time.monotonic() - started
            if not any(key == erased for key, _ in records):
                break
    finally:
        await producer.stop()
    tombstone_gone_after = time.monotonic() - started
    print(f"card gone after {card_gone_after} s, tombstone after {tombstone_gone_after:.1f} s")
    assert not any(key == erased and value is not None for key, value in records), "the erased card remains"
    assert not any(key == erased for key, _ in records), "the tombstone was never removed"
    assert (kept, b'{"email": "kept@example.org"}') in records


def test_compose_gives_the_broker_and_every_topic_creating_service_the_same_retention() -> None:
    compose = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
    kafka = compose["services"]["kafka"]["environment"]
    assert str(kafka["KAFKA_LOG_RETENTION_MS"]) == "-1"
    assert str(kafka["KAFKA_LOG_RETENTION_BYTES"]) == "-1"
    for service in ("registry", "meetings", "notifications"):
        environment = compose["services"][service]["environment"]
        assert environment["CONSEILS_FACT_RETENTION_DAYS"] == "${FACT_RETENTION_DAYS:-}"
