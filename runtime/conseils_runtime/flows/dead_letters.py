"""Dead letters: list them, show one, replay them to their origin topic.

Only :func:`replay_dead_letters` writes: it publishes to the origin topic and commits what it
replayed in the consumer group ``<territory>.ops.dlq-replay``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from conseils_runtime.flows.clients import (
    POLL_MS,
    OpsError,
    Progress,
    ScannedRecord,
    connect_admin,
    log_bounds,
    new_consumer,
    new_producer,
    scan,
    start_consumer,
    topic_partitions,
)
from conseils_runtime.flows.names import (
    DLQ_HEADER_PREFIX,
    ORIGIN_TOPIC_HEADER,
    REPLAYED_FROM_HEADER,
    as_text,
    decode_headers,
    iso_ms,
    replay_group,
    resolve_dlq_topic,
    territory_topics,
)
from conseils_runtime.flows.status import partition_lag
from conseils_schemas import ID_HEADER, TYPE_HEADER
from conseils_schemas.topics import DLQ_SUFFIX, DLQ_TRUNCATED


def replay_headers(
    headers: Iterable[tuple[str, bytes | None]], dlq: str, partition: int, offset: int
) -> list[tuple[str, bytes]]:
    """Headers of a replayed dead letter: the original ones (CloudEvents…), without any
    ``dlq_*`` header, plus ``dlq_replayed_from=<dlq topic>:<partition>:<offset>``."""
    kept = [
        (name, bytes(value) if value is not None else b"")
        for name, value in headers
        if not name.lower().startswith(DLQ_HEADER_PREFIX)
    ]
    kept.append((REPLAYED_FROM_HEADER, f"{dlq}:{partition}:{offset}".encode()))
    return kept


@dataclass
class DeadLetter:
    topic: str
    partition: int
    offset: int
    timestamp: str | None
    key: str | None
    headers: dict[str, str]
    body: str | None = None
    replayed: bool = False
    """Already republished by ``dlq replay`` (below the replay group's committed offset)."""

    @property
    def origin_topic(self) -> str | None:
        return self.headers.get(ORIGIN_TOPIC_HEADER)

    @property
    def truncated(self) -> bool:
        """Cut to fit in a broker record: the body shown is not the whole original value."""
        return self.headers.get(DLQ_TRUNCATED) == "true"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.body is not None:
            try:
                data["body"] = json.loads(self.body)
            except ValueError:
                pass
        return data


@dataclass
class DeadLetterTopic:
    topic: str
    count: int
    not_replayed: int
    last: list[DeadLetter] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "count": self.count,
            "not_replayed": self.not_replayed,
            "last": [d.to_json() for d in self.last],
        }


def _dead_letter(record: ScannedRecord, *, with_body: bool) -> DeadLetter:
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=iso_ms(record.timestamp),
        key=as_text(record.key),
        headers=decode_headers(record.headers),
        body=as_text(record.value) if with_body else None,
    )


async def _replayed_offsets(
    admin: AIOKafkaAdminClient, territory: str, tps: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """Committed offsets of the replay group: everything below was republished."""
    if not tps:
        return {}
    committed: dict[TopicPartition, OffsetAndMetadata] = await admin.list_consumer_group_offsets(
        replay_group(territory), partitions=tps
    )
    return {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}


async def list_dead_letters(
    bootstrap: str, territory: str, *, topic: str | None = None, last: int = 5
) -> list[DeadLetterTopic]:
    """Each existing dead-letter topic of ``territory`` (or only ``topic``): count and last messages."""
    dlqs = (
        [resolve_dlq_topic(territory, topic)]
        if topic
        else [t for t in territory_topics(territory) if t.endswith(DLQ_SUFFIX)]
    )
    admin = await connect_admin(bootstrap)
    try:
        partitions = await topic_partitions(admin, dlqs)
        replayed = await _replayed_offsets(
            admin, territory, [tp for tps in partitions.values() for tp in tps]
        )
    finally:
        await admin.close()
    if topic and not partitions:
        raise OpsError(f"Le topic de lettres mortes {dlqs[0]} n'existe pas.")
    result: list[DeadLetterTopic] = []
    consumer = new_consumer(bootstrap)
    await start_consumer(consumer)
    try:
        beginning, end = await log_bounds(consumer, [tp for tps in partitions.values() for tp in tps])
    finally:
        await consumer.stop()
    for dlq in dlqs:
        tps = partitions.get(dlq)
        if tps is None:
            continue
        count = sum(end[tp] - beginning[tp] for tp in tps)
        not_replayed = sum(partition_lag(replayed.get(tp), beginning[tp], end[tp]) for tp in tps)
        starts = {tp: max(end[tp] - last, beginning[tp]) for tp in tps}
        records = await scan(bootstrap, tps, starts=starts) if last > 0 and count else []
        records.sort(key=lambda r: (r.timestamp, r.partition, r.offset))
        letters = [_dead_letter(r, with_body=False) for r in records[-last:]] if last > 0 else []
        for letter in letters:
            letter.replayed = letter.offset < replayed.get(TopicPartition(dlq, letter.partition), 0)
        result.append(DeadLetterTopic(topic=dlq, count=count, not_replayed=not_replayed, last=letters))
    return result


async def show_dead_letter(
    bootstrap: str, territory: str, topic: str, offset: int, *, partition: int = 0
) -> DeadLetter:
    """One dead letter with its headers and body."""
    dlq = resolve_dlq_topic(territory, topic)
    tp = TopicPartition(dlq, partition)
    admin = await connect_admin(bootstrap)
    try:
        partitions = await topic_partitions(admin, [dlq])
    finally:
        await admin.close()
    if tp not in partitions.get(dlq, []):
        raise OpsError(f"La partition {partition} du topic {dlq} n'existe pas.")
    records = await scan(bootstrap, [tp], starts={tp: offset}, keep_values=True)
    for record in records:
        if record.offset == offset:
            return _dead_letter(record, with_body=True)
    raise OpsError(f"Aucun message à l'offset {offset} de {dlq} (partition {partition}).")


@dataclass
class ReplayPlan:
    """Dead letters of one DLQ topic not replayed yet."""

    dlq_topic: str
    group: str
    starts: dict[int, int]
    ends: dict[int, int]

    @property
    def pending(self) -> int:
        return sum(max(self.ends[p] - self.starts[p], 0) for p in self.ends)


@dataclass
class ReplayResult:
    dlq_topic: str
    replayed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def plan_replay(
    bootstrap: str, territory: str, topic: str, *, include_replayed: bool = False
) -> ReplayPlan:
    """What a replay of ``topic`` would publish: from the replay group's committed
    offsets (or the beginning, with ``include_replayed``) to the current end of each partition."""
    dlq = resolve_dlq_topic(territory, topic)
    group = replay_group(territory)
    admin = await connect_admin(bootstrap)
    try:
        partitions = (await topic_partitions(admin, [dlq])).get(dlq)
        if partitions is None:
            raise OpsError(f"Le topic de lettres mortes {dlq} n'existe pas.")
        replayed = {} if include_replayed else await _replayed_offsets(admin, territory, partitions)
    finally:
        await admin.close()
    consumer = new_consumer(bootstrap)
    await start_consumer(consumer)
    try:
        beginning: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        end: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    starts: dict[int, int] = {}
    for tp in partitions:
        starts[tp.partition] = max(replayed.get(tp, beginning[tp]), beginning[tp])
    return ReplayPlan(
        dlq_topic=dlq, group=group, starts=starts, ends={tp.partition: end[tp] for tp in partitions}
    )


def _skip_reason(territory: str, dlq: str, origin: str | None, *, truncated: bool = False) -> str | None:
    if truncated:  # its value was cut to fit in a broker record: replaying it would publish a wrong event
        return "lettre tronquée (trop grande pour le broker) : impossible de la rejouer telle quelle"
    if not origin:
        return f"en-tête {ORIGIN_TOPIC_HEADER} absent"
    if origin != dlq.removesuffix(DLQ_SUFFIX):
        return f"topic d'origine inattendu {origin} (attendu : {dlq.removesuffix(DLQ_SUFFIX)})"
    if not origin.startswith(f"{territory}."):
        return f"le topic d'origine {origin} n'appartient pas au territoire {territory}"
    return None


async def replay_dead_letters(
    bootstrap: str, territory: str, plan: ReplayPlan, *, progress: Progress | None = None
) -> ReplayResult:
    """Republish the dead letters of ``plan`` to their origin topic, with their original
    headers and key; each one is committed in the replay group right after it is
    published, so running it again publishes only newer dead letters. A message
    published but not committed (crash in between) would be published twice: the
    consumers are idempotent by ``ce_id``, so that costs nothing but a duplicate."""
    result = ReplayResult(dlq_topic=plan.dlq_topic)
    tps = [TopicPartition(plan.dlq_topic, p) for p in sorted(plan.ends)]
    pending = {tp for tp in tps if plan.ends[tp.partition] > plan.starts[tp.partition]}
    total = plan.pending
    if progress:
        progress(0, total)
    if not pending:
        return result
    consumer = new_consumer(bootstrap, group_id=plan.group)
    producer = new_producer(bootstrap)
    await start_consumer(consumer)
    await producer.start()
    done = 0
    try:
        consumer.assign(tps)
        for tp in tps:
            if tp in pending:
                consumer.seek(tp, plan.starts[tp.partition])
            else:
                consumer.pause(tp)
        idle_deadline = time.monotonic() + 30
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=POLL_MS)
            if batch:
                idle_deadline = time.monotonic() + 30
            elif time.monotonic() > idle_deadline:
                raise OpsError("Rejeu interrompu : le broker ne renvoie plus de messages.")
            for tp, records in batch.items():
                end = plan.ends[tp.partition]
                for record in records:
                    if record.offset >= end:
                        break
                    headers = decode_headers(record.headers)
                    where = {"partition": record.partition, "offset": record.offset}
                    origin = headers.get(ORIGIN_TOPIC_HEADER)
                    reason = _skip_reason(
                        territory, plan.dlq_topic, origin, truncated=headers.get(DLQ_TRUNCATED) == "true"
                    )
                    if reason is not None or origin is None:
                        result.skipped.append({**where, "reason": reason})
                    else:
                        sent = await producer.send_and_wait(
                            origin,
                            value=record.value,
                            key=record.key,
                            headers=replay_headers(
                                record.headers or (), plan.dlq_topic, record.partition, record.offset
                            ),
                        )
                        result.replayed.append(
                            {
                                **where,
                                "ce_id": headers.get(ID_HEADER),
                                "ce_type": headers.get(TYPE_HEADER),
                                "to_topic": origin,
                                "to_partition": sent.partition,
                                "to_offset": sent.offset,
                            }
                        )
                    await consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
                    done += 1
                    if progress:
                        progress(done, total)
                position = await consumer.position(tp)
                if position >= end:
                    pending.discard(tp)
                    consumer.pause(tp)
    finally:
        await producer.stop()
        await consumer.stop()
    return result
