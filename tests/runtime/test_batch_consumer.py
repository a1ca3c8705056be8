"""The records of one poll are processed in one transaction, and one at a time around a failure.

Driven without a broker (`EventConsumer.handle_records` with the records of a poll and a
recording Kafka consumer) on the real databases, so each test knows what one poll holds:
one transaction and one offset commit for the poll, the commit after the effects, a poison
record isolated within its retry budget while its neighbours keep exactly one effect,
duplicates inside one poll, records to dead-letter at once between valid ones, tombstones,
and an unavailable dependency that rewinds every partition to its first unhandled record.
One test on the real broker: a record whose headers are not UTF-8 does not sink its poll.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime import EventContext, RetryLater
from conseils_runtime.consumer import EventConsumer, _parse_batch
from conseils_runtime.database import Database, RuntimeTables
from conseils_runtime.outbox import Outbox
from conseils_schemas import (
    REGISTRY_MEMBER_CONTACTS,
    CouncilRegistered,
    EventMetadata,
    MemberContactCard,
    dlq_topic,
    to_kafka_headers,
    topic_name,
    topics,
)
from tests.runtime.test_consumer_and_outbox import Probe, council, read_topic

TERRITORY = "tb"
SOURCE = topic_name(TERRITORY, "registry.councils")
CONTACTS = topic_name(TERRITORY, REGISTRY_MEMBER_CONTACTS)


class Broker:
    """Takes dead letters."""

    def __init__(self) -> None:
        self.published: list[tuple[Any, str, dict[str, str]]] = []

    async def publish(self, value: Any, topic: str, *, key: Any, headers: dict[str, str]) -> None:
        self.published.append((value, topic, headers))


class Kafka:
    """The aiokafka consumer as the consumer uses it: commits and seeks, recorded with the
    effects in the database at the time of each commit."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.commits: list[tuple[dict[TopicPartition, int], list[str]]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append((dict(offsets), await self.bench.effects()))

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))


class Bench:
    def __init__(self, url: str) -> None:
        self.metadata = MetaData()
        self.tables = RuntimeTables.define(self.metadata)
        self.effects_table = Table(
            "effects", self.metadata, Column("id", String(64), primary_key=True), Column("name", String(200))
        )
        self.database = Database(url)
        self.broker = Broker()
        self.kafka = Kafka(self)
        self.calls: list[str] = []
        self.session_objects: list[AsyncSession] = []  # kept alive: their ids stay distinct
        self.retry_later: set[str] = set()
        self.alone_only: set[str] = set()
        self.consumer = EventConsumer(
            "batch",
            group_id=f"{TERRITORY}.probe.batch",
            territory=TERRITORY,
            database=self.database,
            tables=self.tables,
            broker=self.broker,  # type: ignore[arg-type]
            outbox=Outbox(self.tables, territory=TERRITORY, service_name="probe"),
            max_attempts=3,
            retry_backoff_seconds=0,
            infrastructure_pause_seconds=0,
            commit_every_events=1,
        )

        @self.consumer.on(CouncilRegistered)
        async def record(event: CouncilRegistered, context: EventContext) -> None:
            self.calls.append(event.name)
            self.session_objects.append(context.session)
            context.session.info["events"] = context.session.info.get("events", 0) + 1
            if event.name in self.alone_only and context.session.info["events"] > 1:
                raise RuntimeError(f"{event.name} fails beside others")
            if event.name.startswith("poison"):
                raise RuntimeError(f"cannot handle {event.name}")
            if event.name in self.retry_later:
                raise RetryLater(event.name)
            await context.session.execute(
                insert(self.effects_table).values(id=str(uuid.uuid4()), name=event.name)
            )

        @self.consumer.on_tombstone(REGISTRY_MEMBER_CONTACTS)
        async def erased(key: str, session: AsyncSession) -> None:
            self.calls.append(f"tombstone {key}")
            self.session_objects.append(session)
            await session.execute(
                insert(self.effects_table).values(id=str(uuid.uuid4()), name=f"erased {key}")
            )

    @property
    def sessions(self) -> set[int]:
        return {id(session) for session in self.session_objects}

    async def effects(self) -> list[str]:
        async with self.database.sessionmaker() as session:
            rows = await session.execute(select(self.effects_table.c.name))
            return sorted(row[0] for row in rows)

    async def processed_count(self) -> int:
        processed = self.tables.processed_events
        async with self.database.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(processed)) or 0)

    async def poll(self, *records: ConsumerRecord[Any, Any]) -> None:
        await self.consumer.handle_records(records, self.kafka)


@pytest.fixture
async def bench(database_url: str) -> AsyncIterator[Bench]:
    probe = Bench(database_url)
    await probe.database.create_all(probe.metadata)
    try:
        yield probe
    finally:
        await probe.database.dispose()


def record(
    offset: int,
    name: str | None,
    *,
    partition: int = 0,
    event_id: str | None = None,
    topic: str = SOURCE,
    headers: list[tuple[str, bytes]] | None = None,
    key: bytes = b"k",
    ce_type: str = CouncilRegistered.event_type,
) -> ConsumerRecord[Any, Any]:
    value = None if name is None else council(name).model_dump_json().encode()
    if headers is None:
        metadata = EventMetadata(
            source="/tests",
            type=ce_type,
            correlationid="c",
            id=event_id or str(uuid.uuid4()),
        )
        headers = to_kafka_headers(metadata)
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value or b""),
        headers=headers,
    )


def offsets(*pairs: tuple[int, int], topic: str = SOURCE) -> dict[TopicPartition, int]:
    return {TopicPartition(topic, partition): offset for partition, offset in pairs}


async def test_one_poll_is_one_transaction_and_one_commit_after_its_effects(bench: Bench) -> None:
    poll = [record(offset, f"p0-{offset}") for offset in range(6)]
    poll += [record(offset, f"p1-{offset}", partition=1) for offset in range(10, 14)]
    await bench.poll(*poll)

    assert len(bench.sessions) == 1  # every handler ran on the poll's session
    assert len(bench.kafka.commits) == 1
    committed, effects_then = bench.kafka.commits[0]
    assert committed == offsets((0, 6), (1, 14))
    assert len(effects_then) == 10  # the offsets were committed after the effects were
    assert await bench.processed_count() == 10
    assert bench.kafka.seeks == []


async def test_a_poison_in_a_poll_is_isolated_within_its_budget_and_its_neighbours_have_one_effect(
    bench: Bench,
) -> None:
    await bench.poll(
        record(0, "before"), record(1, "poison"), record(2, "after"), record(0, "other", partition=1)
    )

    assert bench.calls.count("poison") == 3  # the batch attempt is its first one
    assert await bench.effects() == ["after", "before", "other"]
    [(_, topic, headers)] = bench.broker.published
    assert topic == dlq_topic(SOURCE)
    assert headers[topics.DLQ_ATTEMPTS] == "3"
    assert headers[topics.DLQ_ORIGIN_OFFSET] == "1"
    assert "cannot handle poison" in headers[topics.DLQ_ERROR]
    # Offsets only move forward, each one after its effect; all of the poll ends committed.
    seen: dict[TopicPartition, int] = {}
    for committed, _ in bench.kafka.commits:
        for partition, offset in committed.items():
            assert offset > seen.get(partition, -1)
            seen[partition] = offset
    assert seen == offsets((0, 3), (1, 1))
    assert await bench.processed_count() == 3


async def test_duplicates_inside_one_poll_and_across_polls_have_one_effect(bench: Bench) -> None:
    event_id = str(uuid.uuid4())
    await bench.poll(record(0, "once", event_id=event_id), record(1, "once", event_id=event_id))
    await bench.poll(record(2, "once", event_id=event_id), record(3, "next"))

    assert bench.calls == ["once", "next"]
    assert await bench.effects() == ["next", "once"]
    assert await bench.processed_count() == 2
    assert bench.kafka.commits[-1][0] == offsets((0, 4))


async def test_records_to_dead_letter_at_once_end_the_batch_before_them_and_order_is_kept(
    bench: Bench,
) -> None:
    invalid_payload = record(1, "x")
    invalid_payload = record(1, None, headers=invalid_payload.headers)
    await bench.poll(
        record(0, "first"),
        invalid_payload,
        record(2, "second"),
        record(3, "y", headers=[("no", b"envelope")]),
        record(4, "third"),
    )

    assert bench.calls == ["first", "second", "third"]
    assert [headers[topics.DLQ_ORIGIN_OFFSET] for _, _, headers in bench.broker.published] == ["1", "3"]
    assert all(headers[topics.DLQ_ATTEMPTS] == "1" for _, _, headers in bench.broker.published)
    committed = [pairs[TopicPartition(SOURCE, 0)] for pairs, _ in bench.kafka.commits]
    assert committed == sorted(committed)
    assert committed[-1] == 5


async def test_tombstones_run_in_the_polls_transaction(bench: Bench) -> None:
    await bench.poll(
        record(0, None, topic=CONTACTS, headers=[], key=b"member-1"),
        record(1, "card", topic=CONTACTS, ce_type=MemberContactCard.event_type),  # not handled here: ignored
        record(0, "council"),
    )

    assert bench.calls == ["tombstone member-1", "council"]
    assert len(bench.sessions) == 1
    assert await bench.effects() == ["council", "erased member-1"]
    [(committed, _)] = bench.kafka.commits
    assert committed == {**offsets((0, 2), topic=CONTACTS), **offsets((0, 1))}


async def test_an_unavailable_dependency_rewinds_every_partition_to_its_first_unhandled_record(
    bench: Bench,
) -> None:
    bench.retry_later.add("later")
    await bench.poll(record(0, "a"), record(1, "later"), record(2, "c"), record(5, "d", partition=1))

    assert await bench.effects() == ["a"]
    assert [committed for committed, _ in bench.kafka.commits] == [offsets((0, 1))]
    rewound = dict(bench.kafka.seeks)
    assert rewound == offsets((0, 1), (1, 5))
    assert "c" not in bench.calls  # nothing after it in its partition ran
    assert not bench.broker.published


async def test_a_record_that_fails_only_in_a_batch_is_processed_alone_once(bench: Bench) -> None:
    bench.alone_only.add("shy")
    await bench.poll(record(0, "a"), record(1, "shy"), record(2, "b"))

    assert bench.calls == ["a", "shy", "a", "shy", "b"]  # a again (rolled back), shy alone, b batched
    assert await bench.effects() == ["a", "b", "shy"]
    assert not bench.broker.published
    assert await bench.processed_count() == 3
    assert bench.kafka.commits[-1][0] == offsets((0, 3))


async def test_any_other_failure_of_the_batch_falls_back_to_one_record_at_a_time(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(chunk: Any) -> None:
        raise RuntimeError("commit refused")

    monkeypatch.setattr(bench.consumer, "_run_batch", refused)
    await bench.poll(record(0, "a"), record(1, "b"), record(0, "c", partition=1))

    assert bench.calls == ["a", "b", "c"]
    assert await bench.effects() == ["a", "b", "c"]
    assert len(bench.sessions) == 3  # one transaction each
    assert [committed for committed, _ in bench.kafka.commits] == [
        offsets((0, 1)),
        offsets((0, 2)),
        offsets((1, 1)),
    ]


async def test_the_batch_parser_survives_headers_that_are_not_utf8() -> None:
    records = (record(0, "a"), record(1, "b", headers=[("ce_id", b"\xff\xfe")]))
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    with pytest.raises(UnicodeDecodeError):
        await parser.parse_batch(records)
    message = await _parse_batch(records, parser.parse_batch)
    assert message.raw_message is records


@pytest.mark.kafka
async def test_a_record_with_undecodable_headers_is_dead_lettered_and_its_poll_processed(
    kafka_bootstrap: str, database_url: str, territory: str
) -> None:
    probe = Probe(kafka_bootstrap, database_url, territory)
    await probe.runtime.start()
    try:
        source = topic_name(territory, "registry.councils")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            event = council("before")
            metadata = EventMetadata(source="/tests", type=event.event_type, correlationid="c")
            await producer.send_and_wait(
                source, event.model_dump_json().encode(), key=b"k", headers=to_kafka_headers(metadata)
            )
            await producer.send_and_wait(source, b"{}", key=b"k", headers=[("ce_id", b"\xff\xfe")])
        finally:
            await producer.stop()
        async with probe.runtime.database.sessionmaker() as session, session.begin():
            await probe.runtime.outbox.add(session, council("after"))
        assert await probe.wait_for_effects(2) == ["after", "before"]
        dead = await read_topic(kafka_bootstrap, dlq_topic(source), 1)
        assert len(dead) == 1
        assert dict(dead[0].headers)[topics.DLQ_ERROR].startswith(b"invalid envelope")
    finally:
        await probe.runtime.stop()
