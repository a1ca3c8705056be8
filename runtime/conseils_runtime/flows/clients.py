"""Kafka clients of the operator views (a consumer that never commits by itself, an admin
client, the replay producer), and the bounded scan of partitions every view reads through.

On a secured broker they authenticate as the principal of ``CONSEILS_KAFKA_*`` (the operator
principal ``ops`` for ``conseils ops``, ``conseils bilan`` and the site's operator pages; see
:mod:`conseils_runtime.kafka_security`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from conseils_runtime.kafka_security import aiokafka_kwargs

Progress = Callable[[int, int], None]
"""Called with (records done, records in total) during long scans."""

POLL_MS = 500
CLIENT_ID = "conseils-ops"


class OpsError(RuntimeError):
    """An operation cannot be done; the message is in French, for the operator."""


def new_consumer(bootstrap: str, group_id: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=CLIENT_ID,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=15000,
        **aiokafka_kwargs(),
    )


def new_producer(bootstrap: str) -> AIOKafkaProducer:
    """An idempotent producer (acks=all), for replays."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=CLIENT_ID,
        enable_idempotence=True,
        acks="all",
        **aiokafka_kwargs(),
    )


async def start_consumer(consumer: AIOKafkaConsumer) -> AIOKafkaConsumer:
    await consumer.start()
    # aiokafka (0.14) fails to stop a consumer whose internal commit-reset task has
    # not run yet (CancelledError from stop()): let it run once.
    await asyncio.sleep(0)
    return consumer


async def log_bounds(
    consumer: AIOKafkaConsumer, tps: Sequence[TopicPartition]
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """The beginning and end offsets of ``tps``. The partitions are assigned (and paused: nothing
    is fetched) first, so that the consumer asks the metadata of all their topics at once: asked
    cold, aiokafka learns the unknown topics one at a time, a metadata round trip and a 100 ms
    backoff each (a second or more for a territory's 30 topics; /exploitation took 3.5 s)."""
    if not tps:
        return {}, {}
    consumer.assign(list(tps))
    consumer.pause(*tps)
    beginning: dict[TopicPartition, int] = await consumer.beginning_offsets(list(tps))
    end: dict[TopicPartition, int] = await consumer.end_offsets(list(tps))
    return beginning, end


async def topic_partitions(
    admin: AIOKafkaAdminClient, topics: Sequence[str]
) -> dict[str, list[TopicPartition]]:
    """Partitions of each existing topic among ``topics`` (missing topics are left out)."""
    existing = set(await admin.list_topics())
    wanted = [topic for topic in topics if topic in existing]
    if not wanted:
        return {}
    described = await admin.describe_topics(wanted)
    result: dict[str, list[TopicPartition]] = {}
    for topic in described:
        if topic["error_code"]:
            continue
        result[topic["topic"]] = sorted(
            (TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]),
            key=lambda tp: tp.partition,
        )
    return result


async def connect_admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id=CLIENT_ID, request_timeout_ms=15000, **aiokafka_kwargs()
    )
    try:
        await admin.start()
    except Exception as error:
        await admin.close()
        raise OpsError(f"Broker Kafka injoignable sur {bootstrap} : {error}") from error
    return admin


@dataclass
class ScannedRecord:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes | None


async def scan(
    bootstrap: str,
    tps: Sequence[TopicPartition],
    *,
    starts: dict[TopicPartition, int] | None = None,
    progress: Progress | None = None,
    keep_values: bool = False,
) -> list[ScannedRecord]:
    """Every record of ``tps`` from ``starts`` (default: the beginning) to the end
    offsets captured when the scan starts: messages arriving meanwhile are left out."""
    if not tps:
        if progress:
            progress(0, 0)
        return []
    consumer = new_consumer(bootstrap)
    await start_consumer(consumer)
    records: list[ScannedRecord] = []
    try:
        consumer.assign(list(tps))
        beginning: dict[TopicPartition, int] = await consumer.beginning_offsets(list(tps))
        end: dict[TopicPartition, int] = await consumer.end_offsets(list(tps))
        first = {tp: max((starts or {}).get(tp, beginning[tp]), beginning[tp]) for tp in tps}
        total = sum(max(end[tp] - first[tp], 0) for tp in tps)
        pending = {tp for tp in tps if end[tp] > first[tp]}
        for tp in tps:
            if tp in pending:
                consumer.seek(tp, first[tp])
            else:
                consumer.pause(tp)
        done: dict[TopicPartition, int] = dict.fromkeys(tps, 0)
        if progress:
            progress(0, total)
        idle_deadline = time.monotonic() + 30
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=POLL_MS)
            if batch:
                idle_deadline = time.monotonic() + 30
            elif time.monotonic() > idle_deadline:
                raise OpsError("Lecture interrompue : le broker ne renvoie plus de messages.")
            for tp, batch_records in batch.items():
                for record in batch_records:
                    if record.offset >= end[tp]:
                        break
                    records.append(
                        ScannedRecord(
                            topic=record.topic,
                            partition=record.partition,
                            offset=record.offset,
                            timestamp=record.timestamp,
                            key=record.key,
                            headers=list(record.headers or ()),
                            value=record.value if keep_values else None,
                        )
                    )
                position = await consumer.position(tp)
                # Offsets may jump (compaction, transaction markers): progress follows the position.
                done[tp] = min(position, end[tp]) - first[tp]
                if position >= end[tp]:
                    pending.discard(tp)
                    consumer.pause(tp)
            if progress:
                progress(sum(done.values()), total)
    finally:
        await consumer.stop()
    return records
