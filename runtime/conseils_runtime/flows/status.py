"""Counts and rates per topic, lag per consumer group, dead letters not replayed yet."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from conseils_runtime.flows.clients import (
    POLL_MS,
    connect_admin,
    log_bounds,
    new_consumer,
    start_consumer,
    topic_partitions,
)
from conseils_runtime.flows.names import iso_ms, replay_group, territory_topics
from conseils_schemas.topics import DLQ_SUFFIX


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
    consumer = new_consumer(bootstrap)
    await start_consumer(consumer)
    try:
        for starts in rounds:
            consumer.assign(list(starts))
            for tp, offset in starts.items():
                consumer.seek(tp, offset)
            waiting = set(starts)
            deadline = time.monotonic() + 10
            while waiting and time.monotonic() < deadline:
                batch = await consumer.getmany(*waiting, timeout_ms=POLL_MS)
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
    admin = await connect_admin(bootstrap)
    try:
        partitions = await topic_partitions(admin, topics)
        group_offsets = await _group_offsets(admin, territory)
        # A group may also read topics outside the catalogue: measure those too.
        extra = sorted({tp.topic for offsets in group_offsets.values() for tp in offsets} - set(partitions))
        partitions.update(await topic_partitions(admin, extra))
    finally:
        await admin.close()
    consumer = new_consumer(bootstrap)
    await start_consumer(consumer)
    try:
        every = [tp for tps in partitions.values() for tp in tps]
        beginning, end = await log_bounds(consumer, every)
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
                oldest_unconsumed_at=iso_ms(oldest_ms),
                lag_seconds=round(max(now_ms - oldest_ms, 0) / 1000, 1) if oldest_ms is not None else None,
            )
        )
    return report
