"""Event flows of one territory, read from Kafka: counts, rates, lag, traces and dead letters.

This module owns the Kafka side of ``conseils ops`` and knows nothing of the
terminal: every function takes a bootstrap address and a territory slug and
returns plain dataclasses (with ``to_json()``), so an operator web page can
reuse it as is. Long scans report progress through an optional
``(done, total)`` callback.

Only reads, except :func:`replay_dead_letters`, which publishes to the origin
topic and commits what it replayed in the consumer group
``<territory>.ops.dlq-replay``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from conseils_schemas import (
    ALL_TOPICS,
    CORRELATION_ID_HEADER,
    ID_HEADER,
    SUBJECT_HEADER,
    TIME_HEADER,
    TYPE_HEADER,
    dlq_topic,
    topic_name,
)
from conseils_schemas.topics import DLQ_ORIGIN_TOPIC, DLQ_REPLAYED_FROM, DLQ_SUFFIX, validate_territory_slug

__all__ = [
    "DLQ_HEADER_PREFIX",
    "ORIGIN_TOPIC_HEADER",
    "REPLAYED_FROM_HEADER",
    "DeadLetter",
    "DeadLetterTopic",
    "GroupLag",
    "OpsError",
    "ReplayPlan",
    "ReplayResult",
    "StatusReport",
    "TopicStats",
    "TraceEntry",
    "collect_status",
    "decode_headers",
    "list_dead_letters",
    "partition_lag",
    "plan_replay",
    "replay_dead_letters",
    "replay_group",
    "replay_headers",
    "resolve_dlq_topic",
    "select_chain",
    "show_dead_letter",
    "territory_topics",
    "trace",
]

DLQ_HEADER_PREFIX = "dlq_"
ORIGIN_TOPIC_HEADER = DLQ_ORIGIN_TOPIC
REPLAYED_FROM_HEADER = DLQ_REPLAYED_FROM

Progress = Callable[[int, int], None]
"""Called with (records done, records in total) during long scans."""

_POLL_MS = 500
_CLIENT_ID = "conseils-ops"


class OpsError(RuntimeError):
    """An operation cannot be done; the message is in French, for the operator."""


# --------------------------------------------------------------------------- names


def territory_topics(territory: str, *, dead_letters: bool = True) -> list[str]:
    """Physical topics of ``territory``: each catalogue topic, followed by its dead-letter topic."""
    validate_territory_slug(territory)
    names: list[str] = []
    for base in ALL_TOPICS:
        name = topic_name(territory, base)
        names.append(name)
        if dead_letters:
            names.append(dlq_topic(name))
    return names


def resolve_dlq_topic(territory: str, name: str) -> str:
    """The dead-letter topic an operator means by ``name``.

    Accepts the physical DLQ topic, its origin topic, or either without the
    territory prefix: ``meetings.instances`` → ``<territory>.meetings.instances.dlq``.
    """
    name = name.strip()
    if name.removesuffix(DLQ_SUFFIX) in ALL_TOPICS:
        name = topic_name(territory, name)
    return name if name.endswith(DLQ_SUFFIX) else dlq_topic(name)


def replay_group(territory: str) -> str:
    """Consumer group that records which dead letters were replayed."""
    return f"{territory}.ops.dlq-replay"


# --------------------------------------------------------------------------- records


def decode_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """Kafka headers as text (the last value wins for a repeated name)."""
    return {
        name: (bytes(value).decode("utf-8", "replace") if value is not None else "")
        for name, value in headers or ()
    }


def _text(value: bytes | None) -> str | None:
    return None if value is None else bytes(value).decode("utf-8", "replace")


def _iso_ms(timestamp_ms: int | None) -> str | None:
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat().replace("+00:00", "Z")


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


# --------------------------------------------------------------------------- clients


def _consumer(bootstrap: str, group_id: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=_CLIENT_ID,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=15000,
    )


async def _start(consumer: AIOKafkaConsumer) -> AIOKafkaConsumer:
    await consumer.start()
    # aiokafka (0.14) fails to stop a consumer whose internal commit-reset task has
    # not run yet (CancelledError from stop()): let it run once.
    await asyncio.sleep(0)
    return consumer


async def _partitions(admin: AIOKafkaAdminClient, topics: Sequence[str]) -> dict[str, list[TopicPartition]]:
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


async def _connect(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=_CLIENT_ID, request_timeout_ms=15000)
    try:
        await admin.start()
    except Exception as error:
        await admin.close()
        raise OpsError(f"Broker Kafka injoignable sur {bootstrap} : {error}") from error
    return admin


# --------------------------------------------------------------------------- status


@dataclass
class TopicStats:
    topic: str
    dead_letter: bool
    exists: bool
    partitions: int = 0
    messages: int = 0
    rate_per_second: float = 0.0


@dataclass
class GroupLag:
    """Lag of one consumer group on one topic."""

    group: str
    topic: str
    lag_messages: int
    oldest_unconsumed_at: str | None = None
    lag_seconds: float | None = None


@dataclass
class StatusReport:
    territory: str
    bootstrap: str
    window_seconds: float
    topics: list[TopicStats] = field(default_factory=list)
    groups: list[GroupLag] = field(default_factory=list)
    dead_letters_not_replayed: dict[str, int] = field(default_factory=dict)
    """Per dead-letter topic: messages ``dlq replay`` has not republished yet."""

    @property
    def dead_letters(self) -> dict[str, int]:
        """Message count of each existing dead-letter topic."""
        return {t.topic: t.messages for t in self.topics if t.dead_letter and t.exists}

    @property
    def has_dead_letters(self) -> bool:
        return any(count > 0 for count in self.dead_letters.values())

    def to_json(self) -> dict[str, Any]:
        groups: dict[str, list[dict[str, Any]]] = {}
        for lag in self.groups:
            entry = asdict(lag)
            del entry["group"]
            groups.setdefault(lag.group, []).append(entry)
        return {
            "territory": self.territory,
            "bootstrap": self.bootstrap,
            "window_seconds": self.window_seconds,
            "topics": [asdict(t) for t in self.topics],
            "consumer_groups": [
                {"group": group, "lag_messages": sum(t["lag_messages"] for t in topics), "topics": topics}
                for group, topics in groups.items()
            ],
            "dead_letters": self.dead_letters,
            "dead_letters_not_replayed": self.dead_letters_not_replayed,
        }


def partition_lag(committed: int | None, beginning: int, end: int) -> int:
    """Messages a group has still to consume on one partition.

    No committed offset means the group starts from the earliest message
    (the runtime's ``auto_offset_reset``); a committed offset below the
    beginning (deleted by retention) counts from the beginning.
    """
    start = beginning if committed is None or committed < 0 else max(committed, beginning)
    return max(end - start, 0)


async def _group_offsets(admin: AIOKafkaAdminClient, territory: str) -> dict[str, dict[TopicPartition, int]]:
    groups = sorted(
        group_id
        for group_id, *_ in await admin.list_consumer_groups()
        if group_id.startswith(f"{territory}.")
    )
    result: dict[str, dict[TopicPartition, int]] = {}
    for group in groups:
        offsets: dict[TopicPartition, OffsetAndMetadata] = await admin.list_consumer_group_offsets(group)
        result[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    return result


async def _first_timestamps(
    bootstrap: str, wanted: Iterable[tuple[TopicPartition, int]]
) -> dict[tuple[TopicPartition, int], int]:
    """Kafka timestamp (ms) of the first record at or after each (partition, offset).

    A consumer holds one position per partition, so the lookups go in rounds,
    each partition at most once per round."""
    rounds: list[dict[TopicPartition, int]] = []
    for tp, offset in sorted(set(wanted), key=lambda item: (item[0].topic, item[0].partition, item[1])):
        slot = next((r for r in rounds if tp not in r), None)
        if slot is None:
            slot = {}
            rounds.append(slot)
        slot[tp] = offset
    if not rounds:
        return {}
    found: dict[tuple[TopicPartition, int], int] = {}
    consumer = _consumer(bootstrap)
    await _start(consumer)
    try:
        for starts in rounds:
            consumer.assign(list(starts))
            for tp, offset in starts.items():
                consumer.seek(tp, offset)
            waiting = set(starts)
            deadline = time.monotonic() + 10
            while waiting and time.monotonic() < deadline:
                batch = await consumer.getmany(*waiting, timeout_ms=_POLL_MS)
                for tp, records in batch.items():
                    if records and tp in waiting:
                        found[(tp, starts[tp])] = records[0].timestamp
                        waiting.discard(tp)
                        consumer.pause(tp)
    finally:
        await consumer.stop()
    return found


async def collect_status(bootstrap: str, territory: str, *, window: float = 2.0) -> StatusReport:
    """Counts and rates per topic, lag per consumer group ``<territory>.*``, dead letters."""
    report = StatusReport(territory=territory, bootstrap=bootstrap, window_seconds=window)
    topics = territory_topics(territory)
    admin = await _connect(bootstrap)
    try:
        partitions = await _partitions(admin, topics)
        group_offsets = await _group_offsets(admin, territory)
        # A group may also read topics outside the catalogue: measure those too.
        extra = sorted({tp.topic for offsets in group_offsets.values() for tp in offsets} - set(partitions))
        partitions.update(await _partitions(admin, extra))
    finally:
        await admin.close()
    consumer = _consumer(bootstrap)
    await _start(consumer)
    try:
        every = [tp for tps in partitions.values() for tp in tps]
        beginning: dict[TopicPartition, int] = await consumer.beginning_offsets(every) if every else {}
        end: dict[TopicPartition, int] = await consumer.end_offsets(every) if every else {}
        if window > 0 and every:
            started = time.monotonic()
            await asyncio.sleep(window)
            later: dict[TopicPartition, int] = await consumer.end_offsets(every)
            elapsed = time.monotonic() - started
        else:
            later, elapsed = end, 1.0
    finally:
        await consumer.stop()

    for topic in topics:
        tps = partitions.get(topic, [])
        report.topics.append(
            TopicStats(
                topic=topic,
                dead_letter=topic.endswith(DLQ_SUFFIX),
                exists=topic in partitions,
                partitions=len(tps),
                messages=sum(end[tp] - beginning[tp] for tp in tps),
                rate_per_second=round(sum(later[tp] - end[tp] for tp in tps) / elapsed, 2),
            )
        )

    replayed = group_offsets.get(replay_group(territory), {})
    for stats in report.topics:
        if stats.dead_letter and stats.exists:
            report.dead_letters_not_replayed[stats.topic] = sum(
                partition_lag(replayed.get(tp), beginning[tp], end[tp]) for tp in partitions[stats.topic]
            )

    # Lag against the later end offsets: the newest picture of what is left to consume.
    lags: dict[tuple[str, str], list[tuple[TopicPartition, int, int]]] = {}
    for group, offsets in group_offsets.items():
        for topic in sorted({tp.topic for tp in offsets}):
            rows = lags.setdefault((group, topic), [])
            for tp in partitions.get(topic, []):
                behind = partition_lag(offsets.get(tp), beginning[tp], later[tp])
                if behind:
                    rows.append((tp, max(offsets.get(tp, beginning[tp]), beginning[tp]), behind))
    timestamps = await _first_timestamps(
        bootstrap, ((tp, start) for rows in lags.values() for tp, start, _ in rows)
    )
    now_ms = time.time() * 1000
    for (group, topic), rows in lags.items():
        oldest = [timestamps[(tp, start)] for tp, start, _ in rows if (tp, start) in timestamps]
        oldest_ms = min(oldest) if oldest else None
        report.groups.append(
            GroupLag(
                group=group,
                topic=topic,
                lag_messages=sum(behind for *_, behind in rows),
                oldest_unconsumed_at=_iso_ms(oldest_ms),
                lag_seconds=round(max(now_ms - oldest_ms, 0) / 1000, 1) if oldest_ms is not None else None,
            )
        )
    return report


# --------------------------------------------------------------------------- scans


@dataclass
class _Scanned:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes | None


async def _scan(
    bootstrap: str,
    tps: Sequence[TopicPartition],
    *,
    starts: dict[TopicPartition, int] | None = None,
    progress: Progress | None = None,
    keep_values: bool = False,
) -> list[_Scanned]:
    """Every record of ``tps`` from ``starts`` (default: the beginning) to the end
    offsets captured when the scan starts: messages arriving meanwhile are left out."""
    if not tps:
        if progress:
            progress(0, 0)
        return []
    consumer = _consumer(bootstrap)
    await _start(consumer)
    records: list[_Scanned] = []
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
            batch = await consumer.getmany(*pending, timeout_ms=_POLL_MS)
            if batch:
                idle_deadline = time.monotonic() + 30
            elif time.monotonic() > idle_deadline:
                raise OpsError("Lecture interrompue : le broker ne renvoie plus de messages.")
            for tp, batch_records in batch.items():
                for record in batch_records:
                    if record.offset >= end[tp]:
                        break
                    records.append(
                        _Scanned(
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


# --------------------------------------------------------------------------- trace


@dataclass
class TraceEntry:
    time: str | None
    topic: str
    partition: int
    offset: int
    ce_type: str | None
    ce_id: str | None
    key: str | None
    subject: str | None
    correlation_id: str | None
    source: str | None
    kafka_time: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _entry(record: _Scanned) -> TraceEntry:
    headers = decode_headers(record.headers)
    return TraceEntry(
        time=headers.get(TIME_HEADER),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        ce_type=headers.get(TYPE_HEADER),
        ce_id=headers.get(ID_HEADER),
        key=_text(record.key),
        subject=headers.get(SUBJECT_HEADER),
        correlation_id=headers.get(CORRELATION_ID_HEADER),
        source=headers.get("ce_source"),
        kafka_time=_iso_ms(record.timestamp),
    )


def _sort_key(entry: TraceEntry) -> tuple[datetime, str, str, int]:
    moment = datetime.min.replace(tzinfo=UTC)
    for text in (entry.time, entry.kafka_time):
        if text:
            try:
                moment = datetime.fromisoformat(text).astimezone(UTC)
                break
            except ValueError:
                continue
    return moment, entry.kafka_time or "", entry.topic, entry.offset


def select_chain(entries: Iterable[TraceEntry], ident: str) -> list[TraceEntry]:
    """The chain of events of ``ident``, ordered by ``ce_time``.

    Direct hits: key or ``ce_subject`` equal to ``ident`` (an instance, council or
    member id), or ``ce_correlationid`` equal to it. Then every event sharing a
    correlation id of a direct hit joins: what the services did because of them
    (registrations, deliveries…), whatever their key.
    """
    entries = list(entries)
    hits = [e for e in entries if ident in (e.key, e.subject, e.correlation_id)]
    correlations = {e.correlation_id for e in hits if e.correlation_id}
    chain = [e for e in entries if e in hits or e.correlation_id in correlations]
    return sorted(chain, key=_sort_key)


async def trace(
    bootstrap: str, territory: str, ident: str, *, progress: Progress | None = None
) -> list[TraceEntry]:
    """Scan every topic of ``territory`` (dead letters included) and return the chain of ``ident``."""
    ident = ident.strip()
    if not ident:
        raise OpsError("Identifiant vide : donnez un identifiant d'instance ou de corrélation.")
    admin = await _connect(bootstrap)
    try:
        partitions = await _partitions(admin, territory_topics(territory))
    finally:
        await admin.close()
    records = await _scan(bootstrap, [tp for tps in partitions.values() for tp in tps], progress=progress)
    return select_chain((_entry(r) for r in records), ident)


# --------------------------------------------------------------------------- dead letters


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


def _dead_letter(record: _Scanned, *, with_body: bool) -> DeadLetter:
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=_iso_ms(record.timestamp),
        key=_text(record.key),
        headers=decode_headers(record.headers),
        body=_text(record.value) if with_body else None,
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
    admin = await _connect(bootstrap)
    try:
        partitions = await _partitions(admin, dlqs)
        replayed = await _replayed_offsets(
            admin, territory, [tp for tps in partitions.values() for tp in tps]
        )
    finally:
        await admin.close()
    if topic and not partitions:
        raise OpsError(f"Le topic de lettres mortes {dlqs[0]} n'existe pas.")
    result: list[DeadLetterTopic] = []
    consumer = _consumer(bootstrap)
    await _start(consumer)
    try:
        every = [tp for tps in partitions.values() for tp in tps]
        beginning: dict[TopicPartition, int] = await consumer.beginning_offsets(every) if every else {}
        end: dict[TopicPartition, int] = await consumer.end_offsets(every) if every else {}
    finally:
        await consumer.stop()
    for dlq in dlqs:
        tps = partitions.get(dlq)
        if tps is None:
            continue
        count = sum(end[tp] - beginning[tp] for tp in tps)
        not_replayed = sum(partition_lag(replayed.get(tp), beginning[tp], end[tp]) for tp in tps)
        starts = {tp: max(end[tp] - last, beginning[tp]) for tp in tps}
        records = await _scan(bootstrap, tps, starts=starts) if last > 0 and count else []
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
    admin = await _connect(bootstrap)
    try:
        partitions = await _partitions(admin, [dlq])
    finally:
        await admin.close()
    if tp not in partitions.get(dlq, []):
        raise OpsError(f"La partition {partition} du topic {dlq} n'existe pas.")
    records = await _scan(bootstrap, [tp], starts={tp: offset}, keep_values=True)
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
    admin = await _connect(bootstrap)
    try:
        partitions = (await _partitions(admin, [dlq])).get(dlq)
        if partitions is None:
            raise OpsError(f"Le topic de lettres mortes {dlq} n'existe pas.")
        replayed = {} if include_replayed else await _replayed_offsets(admin, territory, partitions)
    finally:
        await admin.close()
    consumer = _consumer(bootstrap)
    await _start(consumer)
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


def _skip_reason(territory: str, dlq: str, origin: str | None) -> str | None:
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
    consumer = _consumer(bootstrap, group_id=plan.group)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=_CLIENT_ID, enable_idempotence=True, acks="all"
    )
    await _start(consumer)
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
            batch = await consumer.getmany(*pending, timeout_ms=_POLL_MS)
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
                    reason = _skip_reason(territory, plan.dlq_topic, origin)
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
