"""One flow on the real broker, as the rest of the system sees it: registry
events published to the territory's topics build the read model; staff
schedule, a councillor registers, the dossier is published, attendance is
recorded; a third-party consumer reads the events with their CloudEvents
headers; and a database rebuilt from the events alone gives the same bilan."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from conseils_meetings.app import create_app
from conseils_meetings.cli import render_bilan
from conseils_meetings.replay import read_log, rebuild
from conseils_meetings.reports import load_bilan
from conseils_meetings.repository import Repository
from conseils_meetings.service import MeetingsService
from conseils_meetings.tables import metadata
from conseils_runtime import Database
from conseils_schemas import (
    AttendanceRecorded,
    CouncilRegistered,
    DossierPublished,
    Event,
    EventMetadata,
    InstanceHeld,
    InstanceScheduled,
    MemberJoined,
    ReferentDesignated,
    RegistrationConfirmed,
    to_kafka_headers,
    topic_name,
)

from .conftest import NOW, STAFF, Clock, auth, meetings_settings
from .test_api import EVENING, instance_body

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def publish_as_registry(kafka: str, territory: str, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            metadata = EventMetadata(
                source=f"/conseils/{territory}/registry",
                type=event.event_type,
                subject=event.partition_key(),
                correlationid=str(uuid.uuid4()),
            )
            await producer.send_and_wait(
                topic_name(territory, event.topic),
                event.to_json_bytes(),
                key=event.partition_key().encode(),
                headers=list(to_kafka_headers(metadata)),
            )
    finally:
        await producer.stop()


async def read_events(kafka: str, topics: list[str], count: int, timeout: float = 60) -> list[Any]:
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=kafka,
        group_id=f"third-party-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < count and asyncio.get_running_loop().time() < deadline:
            for partition_records in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def wait_for_member(service: MeetingsService, member_id: uuid.UUID, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with service.database.sessionmaker() as session:
            if await Repository(session).member(member_id) is not None:
                return
        await asyncio.sleep(0.2)
    raise AssertionError("the read model never received the member")


async def test_registry_events_to_registration_seen_by_a_third_party(
    kafka_bootstrap: str, territory: str, tmp_path: Path
) -> None:
    council_id, member_id = uuid.uuid4(), uuid.uuid4()
    await publish_as_registry(
        kafka_bootstrap,
        territory,
        [
            CouncilRegistered(
                council_id=council_id,
                territory=territory,
                city="Saint-Denis",
                city_code="93066",
                neighbourhood="Franc-Moisin",
                name="Conseil citoyen Franc-Moisin",
            ),
            ReferentDesignated(
                council_id=council_id, theme="emploi", member_id=member_id, since=date(2026, 9, 1)
            ),
            MemberJoined(
                member_id=member_id, council_id=council_id, college="habitants", joined_on=date(2026, 9, 1)
            ),
        ],
    )
    settings = meetings_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.db'}",
        tmp_path,
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        outbox_poll_seconds=0.2,
    )
    app = create_app(settings)
    service: MeetingsService = app.state.service
    service.clock = Clock(NOW)
    async with app.router.lifespan_context(app):
        await wait_for_member(service, member_id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            scheduled = await client.post("/instances", json=instance_body("copil", EVENING), headers=STAFF)
            assert scheduled.status_code == 201, scheduled.text
            assert scheduled.json()["concerned_council_ids"] == [str(council_id)]
            instance_id = scheduled.json()["id"]
            registered = await client.post(
                f"/instances/{instance_id}/registrations",
                json={"mode": "participant"},
                headers=auth("councillor", member_id),
            )
            assert registered.json()["status"] == "confirmed"
            upload = await client.post(
                f"/instances/{instance_id}/documents",
                files={"file": ("odj.pdf", b"%PDF-1.4 ordre du jour", "application/pdf")},
                headers=STAFF,
            )
            assert upload.status_code == 201
            service.clock = Clock(EVENING - timedelta(days=11))
            assert (
                await client.post(f"/instances/{instance_id}/dossier/publish", headers=STAFF)
            ).status_code == 200
            service.clock = Clock(EVENING + timedelta(hours=2))
            held = await client.post(
                f"/instances/{instance_id}/attendance",
                json={"present_member_ids": [str(member_id)]},
                headers=STAFF,
            )
            assert held.json()["status"] == "held"
            records = await read_events(
                kafka_bootstrap,
                [
                    topic_name(territory, "meetings.instances"),
                    topic_name(territory, "meetings.registrations"),
                ],
                5,
            )
            async with service.database.sessionmaker() as session:
                live = await load_bilan(
                    session, settings.territory_config, date(2027, 1, 1), date(2027, 12, 31)
                )

    # The bilan is the same on a database rebuilt from the events alone.
    rebuilt = Database(f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}")
    try:
        await rebuilt.create_all(metadata)
        log = await read_log(kafka_bootstrap, territory)
        assert await rebuild(rebuilt, settings.territory_config, log) == 3 + 5
        async with rebuilt.sessionmaker() as session:
            replayed = await load_bilan(
                session, settings.territory_config, date(2027, 1, 1), date(2027, 12, 31)
            )
    finally:
        await rebuilt.dispose()
    assert replayed.as_dict() == live.as_dict()
    csv = await render_bilan(settings, date(2027, 1, 1), date(2027, 12, 31), "csv", replay=True)
    assert "total;total;Ensemble du territoire;1;1;1;" in csv  # what `conseils bilan --replay` writes
    assert (live.total.instances_held, live.total.registered, live.total.present) == (1, 1, 1)
    assert live.total.average_dossier_notice_days == 11.0
    assert live.total.evening_share == 1.0

    by_type = {dict(r.headers)["ce_type"].decode(): r for r in records}
    assert set(by_type) == {
        InstanceScheduled.event_type,
        RegistrationConfirmed.event_type,
        DossierPublished.event_type,
        AttendanceRecorded.event_type,
        InstanceHeld.event_type,
    }
    for record in records:
        headers = {name: value.decode() for name, value in record.headers}
        assert headers["ce_specversion"] == "1.0"
        assert uuid.UUID(headers["ce_id"])
        assert headers["ce_source"] == f"/conseils/{territory}/meetings"
        assert record.key == instance_id.encode()
    scheduled_event = InstanceScheduled.model_validate(
        json.loads(by_type[InstanceScheduled.event_type].value)
    )
    assert scheduled_event.council_ids == [council_id]
    assert scheduled_event.is_evening is True
    assert scheduled_event.starts_at == EVENING
    confirmed = RegistrationConfirmed.model_validate(
        json.loads(by_type[RegistrationConfirmed.event_type].value)
    )
    assert (confirmed.member_id, confirmed.council_id, confirmed.mode) == (
        member_id,
        council_id,
        "participant",
    )
    assert str(confirmed.instance_id) == instance_id
    assert timedelta(days=21) < EVENING - NOW
