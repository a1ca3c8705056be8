"""``conseils ops`` on the real broker: status, trace and dead-letter replay of one territory."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from typer.testing import CliRunner

from conseils_cli.main import app
from conseils_cli.ops import commands
from conseils_runtime import flows
from conseils_runtime.topics import ensure_topics
from conseils_schemas import (
    ALL_TOPICS,
    EventMetadata,
    InstanceScheduled,
    NotificationSent,
    RegistrationConfirmed,
    dlq_topic,
    to_kafka_headers,
    topic_name,
)

pytestmark = pytest.mark.kafka


@dataclass
class Seeded:
    """What :func:`seed` published: one instance's chain, noise, and one dead letter."""

    instance_id: str
    scheduling_correlation: str
    registration_correlation: str
    member_id: str
    other_instance_id: str
    dead_ce_id: str


async def publish(  # noqa: PLR0917 (a test helper read as a sentence)
    producer: AIOKafkaProducer,
    territory: str,
    base: str,
    event_type: str,
    key: str,
    correlation: str,
    *,
    extra_headers: list[tuple[str, bytes]] | None = None,
    topic: str | None = None,
) -> tuple[str, Any]:
    meta = EventMetadata(
        source=f"/conseils/{territory}/tests", type=event_type, subject=key, correlationid=correlation
    )
    body = json.dumps({"id": key, "type": event_type}).encode()
    sent = await producer.send_and_wait(
        topic or topic_name(territory, base),
        body,
        key=key.encode(),
        headers=to_kafka_headers(meta) + (extra_headers or []),
    )
    return meta.id, sent


async def add_dead_letter(producer: AIOKafkaProducer, territory: str, key: str) -> str:
    """A dead letter as the runtime writes it: original CloudEvents headers plus dlq_* origin headers."""
    origin = topic_name(territory, "meetings.instances")
    ce_id, _ = await publish(
        producer,
        territory,
        "meetings.instances",
        InstanceScheduled.event_type,
        key,
        str(uuid.uuid4()),
        topic=dlq_topic(origin),
        extra_headers=[
            ("dlq_origin_topic", origin.encode()),
            ("dlq_origin_partition", b"1"),
            ("dlq_origin_offset", b"0"),
            ("dlq_consumer_group", f"{territory}.notifications.instances".encode()),
            ("dlq_error", b"RuntimeError('SMTP indisponible')"),
            ("dlq_attempts", b"5"),
        ],
    )
    return ce_id


async def seed(kafka: str, territory: str) -> Seeded:
    await ensure_topics(kafka, territory)
    seeded = Seeded(
        instance_id=str(uuid.uuid4()),
        scheduling_correlation=str(uuid.uuid4()),
        registration_correlation=str(uuid.uuid4()),
        member_id=str(uuid.uuid4()),
        other_instance_id=str(uuid.uuid4()),
        dead_ce_id="",
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True)
    await producer.start()
    try:
        i, c1, c2 = seeded.instance_id, seeded.scheduling_correlation, seeded.registration_correlation
        instances = "meetings.instances"
        await publish(producer, territory, instances, InstanceScheduled.event_type, i, c1)
        # The delivery caused by the scheduling: other topic, member key, same correlation id.
        await publish(
            producer, territory, "notifications.deliveries", NotificationSent.event_type, seeded.member_id, c1
        )
        await publish(producer, territory, "meetings.registrations", RegistrationConfirmed.event_type, i, c2)
        for _ in range(2):  # noise on the same topic
            await publish(
                producer, territory, instances, InstanceScheduled.event_type, seeded.other_instance_id, "c-x"
            )
        seeded.dead_ce_id = await add_dead_letter(producer, territory, seeded.other_instance_id)
    finally:
        await producer.stop()
    return seeded


async def consume_part(kafka: str, territory: str, group: str, count: int) -> None:
    """A consumer group that read and committed ``count`` messages of meetings.instances."""
    topic = topic_name(territory, "meetings.instances")
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        read = 0
        while read < count:
            record = await asyncio.wait_for(consumer.getone(), 30)
            tp = TopicPartition(record.topic, record.partition)
            await consumer.commit({tp: record.offset + 1})
            read += 1
    finally:
        await consumer.stop()


async def read_all(kafka: str, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka, auto_offset_reset="earliest")
    await consumer.start()
    try:
        records: list[Any] = []
        while batch := await consumer.getmany(timeout_ms=1500):
            for partition_records in batch.values():
                records.extend(partition_records)
        return records
    finally:
        await consumer.stop()


def test_status_command_counts_messages_lag_and_dead_letters(kafka_bootstrap: str, territory: str) -> None:
    seeded_at = datetime.now(UTC) - timedelta(seconds=1)  # Kafka timestamps are in milliseconds
    asyncio.run(seed(kafka_bootstrap, territory))
    group = f"{territory}.tests.reader"
    asyncio.run(consume_part(kafka_bootstrap, territory, group, 1))
    runner = CliRunner()
    common = ["--bootstrap", kafka_bootstrap, "--territory", territory, "--window", "0.3"]

    result = runner.invoke(app, ["ops", "status", *common, "--json", "--fail-on-dead-letters"])

    assert result.exit_code == 1, result.output  # a dead letter is waiting
    status = json.loads(result.stdout)
    topics = {t["topic"]: t for t in status["topics"]}
    instances = topic_name(territory, "meetings.instances")
    assert topics[instances]["messages"] == 3
    assert topics[instances]["partitions"] == 3
    assert topics[topic_name(territory, "meetings.registrations")]["messages"] == 1
    assert topics[dlq_topic(instances)]["dead_letter"] is True
    assert status["dead_letters"][dlq_topic(instances)] == 1
    assert sum(status["dead_letters"].values()) == 1
    assert status["dead_letters_not_replayed"][dlq_topic(instances)] == 1
    (reader,) = [g for g in status["consumer_groups"] if g["group"] == group]
    assert reader["lag_messages"] == 2
    (lag,) = reader["topics"]
    assert lag["topic"] == instances
    assert lag["lag_messages"] == 2
    oldest = datetime.fromisoformat(lag["oldest_unconsumed_at"])
    assert seeded_at <= oldest <= datetime.now(UTC)
    assert 0 <= lag["lag_seconds"] <= (datetime.now(UTC) - seeded_at).total_seconds()

    human = runner.invoke(app, ["ops", "status", *common])
    assert human.exit_code == 0, human.output
    assert "Lettres mortes" in human.stdout
    assert "tests.reader" in human.stdout


async def test_trace_finds_the_chain_by_instance_id_and_by_correlation_id(
    kafka_bootstrap: str, territory: str
) -> None:
    seeded = await seed(kafka_bootstrap, territory)
    progress: list[tuple[int, int]] = []

    chain = await flows.trace(
        kafka_bootstrap, territory, seeded.instance_id, progress=lambda d, t: progress.append((d, t))
    )

    assert [(e.topic.removeprefix(f"{territory}."), e.ce_type) for e in chain] == [
        ("meetings.instances", InstanceScheduled.event_type),
        ("notifications.deliveries", NotificationSent.event_type),
        ("meetings.registrations", RegistrationConfirmed.event_type),
    ]
    assert chain[1].key == seeded.member_id
    assert progress[-1] == (6, 6)  # every message of the territory, dead letter included

    by_correlation = await flows.trace(kafka_bootstrap, territory, seeded.registration_correlation)
    assert [e.ce_type for e in by_correlation] == [RegistrationConfirmed.event_type]

    other = await flows.trace(kafka_bootstrap, territory, seeded.other_instance_id)
    assert [e.topic.endswith(".dlq") for e in other] == [False, False, True]
    assert other[-1].ce_id == seeded.dead_ce_id


def test_trace_command_prints_a_timeline(
    kafka_bootstrap: str, territory: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands.out, "width", 160)  # an operator's terminal, not 80 columns
    seeded = asyncio.run(seed(kafka_bootstrap, territory))
    runner = CliRunner()
    args = [
        "ops",
        "trace",
        seeded.scheduling_correlation,
        "--bootstrap",
        kafka_bootstrap,
        "--territory",
        territory,
    ]

    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "meetings.instance.scheduled.v1" in result.stdout
    assert "notifications.delivery.sent.v1" in result.stdout
    assert "2 événement(s), 1 chaîne(s) de corrélation." in result.stdout

    missing = runner.invoke(app, [*args[:2], "inconnu", *args[3:], "--json"])
    assert missing.exit_code == 1
    assert json.loads(missing.stdout)["events"] == []


async def test_dlq_list_show_and_replay_once(kafka_bootstrap: str, territory: str) -> None:
    seeded = await seed(kafka_bootstrap, territory)
    origin = topic_name(territory, "meetings.instances")
    dlq = dlq_topic(origin)

    (listed,) = await flows.list_dead_letters(kafka_bootstrap, territory, topic="meetings.instances")
    assert (listed.topic, listed.count, listed.not_replayed) == (dlq, 1, 1)
    (letter,) = listed.last
    assert not letter.replayed
    assert letter.headers["dlq_error"] == "RuntimeError('SMTP indisponible')"
    assert letter.origin_topic == origin
    shown = await flows.show_dead_letter(
        kafka_bootstrap, territory, dlq, letter.offset, partition=letter.partition
    )
    assert shown.to_json()["body"] == {"id": seeded.other_instance_id, "type": InstanceScheduled.event_type}

    plan = await flows.plan_replay(kafka_bootstrap, territory, dlq)
    assert plan.pending == 1
    first = await flows.replay_dead_letters(kafka_bootstrap, territory, plan)
    assert [r["ce_id"] for r in first.replayed] == [seeded.dead_ce_id]
    assert first.skipped == []

    replayed = [
        r for r in await read_all(kafka_bootstrap, origin) if dict(r.headers).get("dlq_replayed_from")
    ]
    assert len(replayed) == 1
    record = replayed[0]
    headers = {name: value.decode() for name, value in record.headers}
    assert headers["ce_id"] == seeded.dead_ce_id
    assert headers["ce_type"] == InstanceScheduled.event_type
    assert headers["dlq_replayed_from"] == f"{dlq}:{letter.partition}:{letter.offset}"
    assert not [name for name in headers if name.startswith("dlq_") and name != "dlq_replayed_from"]
    assert record.key == seeded.other_instance_id.encode()
    assert json.loads(record.value) == {"id": seeded.other_instance_id, "type": InstanceScheduled.event_type}

    (after,) = await flows.list_dead_letters(kafka_bootstrap, territory, topic=dlq)
    assert (after.count, after.not_replayed, after.last[0].replayed) == (1, 0, True)
    again = await flows.plan_replay(kafka_bootstrap, territory, dlq)
    assert again.pending == 0
    assert (await flows.replay_dead_letters(kafka_bootstrap, territory, again)).replayed == []

    # A new dead letter: the next replay publishes it, and only it.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        newer = await add_dead_letter(producer, territory, seeded.instance_id)
    finally:
        await producer.stop()
    third = await flows.replay_dead_letters(
        kafka_bootstrap, territory, await flows.plan_replay(kafka_bootstrap, territory, dlq)
    )
    assert [r["ce_id"] for r in third.replayed] == [newer]
    all_replayed = [
        r for r in await read_all(kafka_bootstrap, origin) if dict(r.headers).get("dlq_replayed_from")
    ]
    assert sorted(dict(r.headers)["ce_id"].decode() for r in all_replayed) == sorted(
        [seeded.dead_ce_id, newer]
    )


def test_dlq_replay_command_twice(kafka_bootstrap: str, territory: str) -> None:
    seeded = asyncio.run(seed(kafka_bootstrap, territory))
    runner = CliRunner()
    args = [
        "ops",
        "dlq",
        "replay",
        "meetings.instances",
        "--bootstrap",
        kafka_bootstrap,
        "--territory",
        territory,
    ]

    refused = runner.invoke(app, args, input="n\n")
    assert refused.exit_code == 1
    assert "Rejouer 1 lettre(s) morte(s)" in refused.output

    first = runner.invoke(app, [*args, "--yes", "--json"])
    assert first.exit_code == 0, first.output
    assert [r["ce_id"] for r in json.loads(first.stdout)["replayed"]] == [seeded.dead_ce_id]

    second = runner.invoke(app, [*args, "--yes"])
    assert second.exit_code == 0, second.output
    assert "Rien à rejouer" in second.stdout

    everything = runner.invoke(app, [*args, "--yes", "--all", "--json"])
    assert everything.exit_code == 0, everything.output
    assert [r["ce_id"] for r in json.loads(everything.stdout)["replayed"]] == [seeded.dead_ce_id]


def test_a_territory_without_topics_is_reported_not_crashed(kafka_bootstrap: str, territory: str) -> None:
    runner = CliRunner()
    common = ["--bootstrap", kafka_bootstrap, "--territory", territory]

    status = runner.invoke(app, ["ops", "status", *common, "--window", "0", "--json"])
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    assert [t["exists"] for t in report["topics"]] == [False] * 2 * len(
        ALL_TOPICS
    )  # each and its dead letters
    assert (report["consumer_groups"], report["dead_letters"]) == ([], {})

    trace = runner.invoke(app, ["ops", "trace", "abc", *common])
    assert trace.exit_code == 1
    assert f"Aucun événement pour « abc » dans le territoire {territory}." in trace.stdout

    replay = runner.invoke(app, ["ops", "dlq", "replay", "alerts.staff", *common, "--yes"])
    assert replay.exit_code == 2
    assert "n'existe pas" in replay.output
