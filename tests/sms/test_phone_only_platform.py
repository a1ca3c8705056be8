"""Issue 19 item 4 on the real platform: staff create a councillor with a phone and no email
in the registry (its HTTP API, real broker); her card goes out as a v2 contact card; the
notifications service (real broker, PostgreSQL, over HTTP for Kannel's callbacks) sends her
invitation, her registration and her J-1 reminder by SMS through a real Kannel (bearerbox +
smsbox + fake SMSC), though her preferences were never set to SMS. No email is attempted."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer

from conseils_notifications import tables as t
from conseils_notifications.app import create_app as notifications_app
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.sms_settings import SmsSettings
from conseils_registry.app import create_app as registry_app
from conseils_registry.domain import council_id_for
from conseils_registry.seed import seed_territory
from conseils_registry.settings import RegistrySettings
from conseils_runtime.auth import issue_token
from conseils_runtime.territory import default_territory_path, load_territory
from conseils_schemas import InstanceScheduled, MemberContactCardV2, RegistrationConfirmed

from .conftest import StartKannel
from .test_sms_platform import Clock, Mails, Publisher, eventually, free_port, rows, texts_to

pytestmark = [pytest.mark.kafka, pytest.mark.e2e, pytest.mark.slow]

SECRET = "secret-de-test-sms-seul"  # noqa: S105 - signs test tokens only
FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")
MARIAMA = "+33612345678"


def next_tuesday_morning(now: datetime) -> datetime:
    """09:00 UTC (10:00 in Paris) on the next Tuesday: after every fact's time, outside quiet hours."""
    day = now.date() + timedelta(days=1)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def test_a_member_created_with_only_a_phone_gets_her_invitation_and_reminder_by_sms(
    *,
    kafka_bootstrap: str,
    postgres_url: str,
    territory: str,
    tmp_path: Path,
    start_kannel: StartKannel,
    producer: AIOKafkaProducer,
) -> None:
    port = free_port()
    gateway = start_kannel("")
    clock, mails = Clock(next_tuesday_morning(datetime.now(UTC))), Mails()
    registry = registry_app(
        RegistrySettings(
            territory=territory,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}",
            kafka_bootstrap_servers=kafka_bootstrap,
            auth_secret=SECRET,
            log_json=False,
        )
    )
    settings = NotificationsSettings(
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=postgres_url,
        auth_secret=SECRET,
        sender_poll_seconds=0.2,
        scheduler_poll_seconds=0.2,
        public_base_url="https://conseils.example",
        retry_backoff_seconds=0.05,
        log_json=False,
    )
    sms_settings = SmsSettings(
        sendsms_url=gateway.sendsms_url,
        username=gateway.username,
        password=gateway.password,
        callback_base_url=f"http://127.0.0.1:{port}",
        mo_token=uuid.uuid4().hex,
    )
    notifications = notifications_app(settings, clock=clock, transport=mails, sms_settings=sms_settings)
    server = uvicorn.Server(uvicorn.Config(notifications, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    publish = Publisher(producer, territory)
    staff = {
        "Authorization": "Bearer "
        + issue_token(SECRET, subject="agent-territoire", role="staff", audience="registry")
    }
    try:
        await eventually(lambda: asyncio.sleep(0, result=server.started), "notifications started")
        async with registry.router.lifespan_context(registry):
            demo = load_territory(default_territory_path()).model_copy(update={"directory": []})
            await seed_territory(registry.state.runtime, demo)
            transport = httpx.ASGITransport(app=registry)
            async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
                joined = await client.post(
                    "/members",
                    json={
                        "council_id": str(FRANC_MOISIN),
                        "display_name": "Mariama Traoré",
                        "phone": "06 12 34 56 78",
                        "consent": True,
                    },
                    headers=staff,
                )
                assert joined.status_code == 201, joined.text
                assert joined.json()["email"] is None
                member_id = uuid.UUID(joined.json()["id"])

            async def card_known() -> bool:
                found = [c for c in await rows(notifications, t.contacts) if c["member_id"] == member_id]
                return bool(found) and found[0]["phone"] == "06 12 34 56 78"

            await eventually(card_known, "her v2 card in the notifications' contacts copy")
            outbox = await rows(registry, registry.state.runtime.tables.outbox)
            types = [dict(r["headers"]).get("ce_type") for r in outbox if r["key"] == str(member_id)]
            assert MemberContactCardV2.event_type in types
            assert "fr.conseils.registry.member.contact_card.v1" not in types

        starts = clock.now + timedelta(days=2, hours=8)  # Thursday 17:00 UTC
        instance = InstanceScheduled(
            instance_id=uuid.uuid4(), instance_type="copil", title="Comité de pilotage",
            scope="territory",
            starts_at=starts, ends_at=starts + timedelta(hours=2), location="Mairie de Saint-Denis",
            is_political=False, is_evening=True,
        )  # fmt: skip
        await publish.send(instance)

        async def received(count: int) -> bool:
            return len(texts_to(gateway, MARIAMA)) >= count

        await eventually(lambda: received(1), "her invitation by SMS at the fake SMSC")
        (invitation,) = texts_to(gateway, MARIAMA)
        assert invitation.startswith("Conseils citoyens - nouvelle instance :")
        assert "https://conseils.example/notifications/s/" in invitation
        assert len(invitation) <= 160

        await publish.send(RegistrationConfirmed(
            registration_id=uuid.uuid4(), instance_id=instance.instance_id, member_id=member_id,
            council_id=FRANC_MOISIN, mode="participant"))  # fmt: skip
        await eventually(lambda: received(2), "her registration by SMS")
        clock.now = starts - timedelta(days=1)
        await eventually(lambda: received(3), "her J-1 reminder by SMS")
        assert texts_to(gateway, MARIAMA)[-1].startswith("Rappel : demain")

        hers = [d for d in await rows(notifications, t.deliveries) if d["member_id"] == member_id]
        assert {d["channel"] for d in hers} == {"sms"}  # never an email: she has none
        assert all("Mariama" not in str(m["To"]) for m in mails.sent)
    finally:
        server.should_exit = True
        await serving
