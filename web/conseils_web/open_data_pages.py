"""The public open-data feed of the instances (issue 16): `/donnees-ouvertes` describes the
dataset and lists the upcoming instances; `agenda.jsonld` (schema.org Event) and `agenda.csv`
are the files. Anyone may read them, signed in or not.

Where the data comes from: the site replays `meetings.instances` (and `registry.councils`, for
the councils' public names) from the beginning at every start, without a consumer group
(nothing to commit, no ACL beyond read), and keeps reading: a change is published within
seconds, and a restart rebuilds the same feed from the retained history (fact topics keep it).
The meetings API was not used: it keeps no earlier start dates (schema.org `previousStartDate`)
and no place. The facts are applied by `conseils_schemas.open_data`, the rules the third-party
example applies too. Until the replay has caught up, the files answer 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_runtime.kafka_security import aiokafka_kwargs
from conseils_runtime.logs import get_logger
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import open_data
from conseils_schemas.envelope import InvalidEnvelope, from_kafka_headers
from conseils_schemas.events import CouncilRegistered, CouncilUpdated
from conseils_schemas.registry import parse_event
from conseils_schemas.topics import MEETINGS_INSTANCES, REGISTRY_COUNCILS, topic_name
from conseils_web.agendas import territory_feed
from conseils_web.background import BackgroundReader
from conseils_web.context import render, site

log = get_logger(__name__)
router = APIRouter()
PAGE = "/donnees-ouvertes"
COUNCIL_TYPES = frozenset({CouncilRegistered.event_type, CouncilUpdated.event_type})
FILE_HEADERS = {"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"}


class OpenDataFeed(BackgroundReader):
    """The agenda entries, kept in memory from the replayed facts."""

    task_name = "site-open-data"

    def __init__(self, bootstrap: str, territory: str, *, retry_seconds: float = 5.0) -> None:
        self.bootstrap = bootstrap
        self.topics = [topic_name(territory, MEETINGS_INSTANCES), topic_name(territory, REGISTRY_COUNCILS)]
        self.retry_seconds = retry_seconds
        self.entries: dict[str, open_data.AgendaEntry] = {}
        self.councils: dict[str, str] = {}
        self.ready = False  # the replay has reached the end of the topics once
        self._ends: dict[TopicPartition, int] | None = None

    async def run(self) -> None:
        """Reads for ever; a broker that cannot be reached is tried again every few seconds."""
        while True:
            consumer = AIOKafkaConsumer(
                *self.topics,
                bootstrap_servers=self.bootstrap,
                group_id=None,  # every partition, from the beginning, nothing committed
                client_id="conseils-site-open-data",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                request_timeout_ms=15000,
                **aiokafka_kwargs(),
            )
            try:
                await consumer.start()
                await self._consume(consumer)
            except (KafkaError, OSError) as error:
                log.warning("open data: broker unreachable", error=type(error).__name__)
            finally:
                with contextlib.suppress(KafkaError, OSError):
                    await consumer.stop()
            await asyncio.sleep(self.retry_seconds)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        idle = 0
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
            for records in batches.values():
                for record in records:
                    self.apply(record.headers, record.value)
            if not self.ready:
                idle = 0 if batches else idle + 1
                await self._check_caught_up(consumer, idle)

    async def _check_caught_up(self, consumer: AIOKafkaConsumer, idle: int) -> None:
        assigned = list(consumer.assignment())
        if not assigned:
            self.ready = idle >= 3  # no topic yet: nothing to wait for
            return
        if self._ends is None:
            self._ends = await consumer.end_offsets(assigned)
        positions = {tp: await consumer.position(tp) for tp in assigned}
        self.ready = all(positions[tp] >= end for tp, end in self._ends.items() if tp in positions)

    def apply(self, headers: Any, value: bytes | None) -> bool:
        """Apply one record (True when the feed changed); anything unreadable is skipped."""
        names = dict(headers) if isinstance(headers, list | tuple) else {}
        kind = names.get("ce_type")
        kind = kind.decode() if isinstance(kind, bytes) else None
        if value is None or kind not in open_data.HANDLED_TYPES | COUNCIL_TYPES:
            return False
        try:
            meta = from_kafka_headers(headers)
            event = parse_event(meta.type, value)
        except (InvalidEnvelope, ValueError) as error:  # a read-only projection skips it
            log.warning("open data: record skipped", type=kind, error=type(error).__name__)
            return False
        if isinstance(event, CouncilRegistered | CouncilUpdated):
            if event.name is None:
                return False
            self.councils[str(event.council_id)] = event.name
            return True
        key = event.partition_key()
        new = open_data.apply(self.entries.get(key), event, meta.time)
        if new is None:
            return False
        self.entries[key] = new
        return True

    def publisher(self, territory: TerritoryConfig, base_url: str) -> open_data.Publisher:
        return open_data.Publisher(
            territory=territory.territory.slug,
            territory_name=territory.territory.name,
            base_url=base_url,
            timezone=territory.territory.timezone,
            cities={city.code: city.name for city in territory.cities},
            councils=dict(self.councils),
            instance_types={kind.slug: kind.name for kind in territory.instance_types},
            themes={theme.slug: theme.name for theme in territory.themes},
            page_path=PAGE,
        )


def feed(request: Request) -> OpenDataFeed:
    value: OpenDataFeed = request.app.state.open_data
    return value


def _not_ready() -> Response:
    return Response(
        "Les données ouvertes sont en cours de chargement : réessayez dans quelques secondes.\n",
        status_code=503,
        media_type="text/plain; charset=utf-8",
        headers={"Retry-After": "10"},
    )


@router.get(PAGE, response_class=HTMLResponse)
async def open_data_page(request: Request) -> HTMLResponse:
    ctx, data = site(request), feed(request)
    publisher = data.publisher(ctx.territory, ctx.public_base_url)
    now = ctx.clock()
    upcoming = sorted(
        (entry for entry in data.entries.values() if entry.ends_at >= now and entry.status != "held"),
        key=lambda entry: (entry.starts_at, entry.instance_id),
    )
    rows = [_row(entry, publisher) for entry in upcoming]
    linked = open_data.agenda_jsonld(upcoming, publisher)
    response = render(
        request,
        "donnees-ouvertes.html",
        title="Données ouvertes",
        active="donnees-ouvertes",
        licence=ctx.territory.legal.open_data_licence,
        publisher=publisher,
        rows=rows,
        ready=data.ready,
        configured=bool(data.bootstrap),
        total=len(data.entries),
        headers=open_data.CSV_HEADERS,
        ics=territory_feed(ctx.public_base_url, ctx.territory.territory.name),
        jsonld=json.dumps(linked, ensure_ascii=False).replace("<", "\\u003c"),
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _row(entry: open_data.AgendaEntry, publisher: open_data.Publisher) -> dict[str, Any]:
    previous: list[datetime] = list(entry.previous_starts_at)
    return {
        "entry": entry,
        "anchor": f"instance-{entry.instance_id}",
        "type": publisher.instance_types.get(entry.instance_type, entry.instance_type),
        "city": publisher.cities.get(entry.city_code, "") if entry.city_code else "",
        "councils": publisher.council_names(entry),
        "previous": previous,
        "status": {"cancelled": "Annulée", "held": "Tenue"}.get(
            entry.status, "Déplacée" if previous else "Programmée"
        ),
    }


@router.get(f"{PAGE}/agenda.jsonld")
async def agenda_jsonld(request: Request) -> Response:
    ctx, data = site(request), feed(request)
    if not data.ready:
        return _not_ready()
    publisher = data.publisher(ctx.territory, ctx.public_base_url)
    document = open_data.agenda_jsonld(data.entries.values(), publisher)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/ld+json",
        headers=FILE_HEADERS,
    )


@router.get(f"{PAGE}/agenda.csv")
async def agenda_csv(request: Request) -> Response:
    ctx, data = site(request), feed(request)
    if not data.ready:
        return _not_ready()
    text = open_data.agenda_csv(data.entries.values(), data.publisher(ctx.territory, ctx.public_base_url))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={**FILE_HEADERS, "Content-Disposition": 'inline; filename="agenda.csv"'},
    )
