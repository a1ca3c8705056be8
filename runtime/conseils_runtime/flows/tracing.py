"""One identifier (an instance, a member, a correlation id) followed across every topic of a territory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from conseils_runtime.flows.clients import (
    OpsError,
    Progress,
    ScannedRecord,
    connect_admin,
    scan,
    topic_partitions,
)
from conseils_runtime.flows.names import as_text, decode_headers, iso_ms, territory_topics
from conseils_schemas import CORRELATION_ID_HEADER, ID_HEADER, SUBJECT_HEADER, TIME_HEADER, TYPE_HEADER


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


def _entry(record: ScannedRecord) -> TraceEntry:
    headers = decode_headers(record.headers)
    return TraceEntry(
        time=headers.get(TIME_HEADER),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        ce_type=headers.get(TYPE_HEADER),
        ce_id=headers.get(ID_HEADER),
        key=as_text(record.key),
        subject=headers.get(SUBJECT_HEADER),
        correlation_id=headers.get(CORRELATION_ID_HEADER),
        source=headers.get("ce_source"),
        kafka_time=iso_ms(record.timestamp),
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
    admin = await connect_admin(bootstrap)
    try:
        partitions = await topic_partitions(admin, territory_topics(territory))
    finally:
        await admin.close()
    records = await scan(bootstrap, [tp for tps in partitions.values() for tp in tps], progress=progress)
    return select_chain((_entry(r) for r in records), ident)
