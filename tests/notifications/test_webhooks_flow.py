"""Outgoing webhooks end to end: the notifications service on the real broker, endpoints
registered over its API by staff, facts published as the meetings service would, and a real
HTTP receiver (http.server) that checks every signature with the `standardwebhooks` library
and reads the body with the official CloudEvents SDK.

- an instance scheduled reaches the receiver once, signed, as a structured CloudEvent; the same
  event redelivered, and again across a restart of the service, is not sent again;
- a fact that is not public (a registration) is never sent;
- a receiver that is down gets the event after a retry, with the same `webhook-id`;
- a 410 Gone disables the endpoint (staff alert); a receiver that fails for the whole
  (compressed) schedule gets its endpoint disabled with an alert; a rotated secret still
  verifies with the previous one during the overlap."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.core.bindings.http import HTTPMessage, from_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from fastapi import FastAPI
from sqlalchemy import func, select
from standardwebhooks import Webhook

from conseils_notifications import tables as t
from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime.auth import issue_token
from conseils_schemas import InstanceCancelled, RegistrationConfirmed

from .helpers import scheduled
from .test_flow import Publisher
from .webhook_receiver import Receiver

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCHEDULED = "fr.conseils.meetings.instance.scheduled.v1"
CANCELLED = "fr.conseils.meetings.instance.cancelled.v1"


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _settings(
    kafka: str, territory: str, tmp_path: Path, scale: float, database_url: str | None = None
) -> NotificationsSettings:
    return NotificationsSettings(
        territory=territory,
        kafka_bootstrap_servers=kafka,
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
        public_base_url="https://conseils.example",
        retry_backoff_seconds=0.05,
        webhooks_poll_seconds=0.1,
        webhooks_schedule_scale=scale,
        webhooks_timeout_seconds=5,
        log_json=False,
    )


class Staff:
    """The staff's calls to the running app's webhook API."""

    def __init__(self, app: FastAPI, settings: NotificationsSettings) -> None:
        token = issue_token(settings.auth_secret, subject="agent-1", role="staff", audience="notifications")
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        )

    async def register(self, url: str, types: list[str]) -> dict[str, Any]:
        response = await self.client.post("/notifications/webhooks", json={"url": url, "event_types": types})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get(self, path: str) -> Any:
        response = await self.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    async def endpoint(self, endpoint_id: str) -> dict[str, Any]:
        found: dict[str, Any] = next(
            e for e in await self.get("/notifications/webhooks") if e["endpoint_id"] == endpoint_id
        )
        return found


async def eventually(check: Callable[[], Any], timeout: float = 40) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def messages(app: FastAPI, *where: Any) -> int:
    async with app.state.runtime.database.sessionmaker() as session:
        query = select(func.count()).select_from(t.webhook_messages).where(*where)
        return int(await session.scalar(query) or 0)


def _check_cloudevent(got: Any, event_id: str, event_type: str) -> dict[str, Any]:
    assert got.error is None, got.error
    assert got.verified is not None  # standardwebhooks verified it
    assert got.headers["content-type"].startswith("application/cloudevents+json")
    assert got.headers["webhook-id"].startswith("msg_")
    cloud = from_structured(HTTPMessage(got.headers, got.body), JSONFormat(), CloudEvent)  # the official SDK
    assert cloud.get_id() == event_id
    assert cloud.get_type() == event_type
    assert cloud.get_specversion() == "1.0"
    assert cloud.get_datacontenttype() == "application/json"
    data = cloud.get_data()
    assert isinstance(data, dict)
    return data


async def test_signed_once_redelivery_and_restart_retry_after_receiver_down(
    kafka_bootstrap: str, territory: str, tmp_path: Path, producer: AIOKafkaProducer, receiver: Receiver
) -> None:
    settings = _settings(kafka_bootstrap, territory, tmp_path, scale=0.01)  # 5 s -> 50 ms, 5 min -> 3 s
    publish = Publisher(producer, territory)
    instance = scheduled(starts_in_days=20)

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        staff = Staff(app, settings)
        endpoint = await staff.register(receiver.url("/hook"), [SCHEDULED, CANCELLED])
        secret = endpoint["secret"]
        assert secret.startswith("whsec_")
        assert "secret" not in (await staff.get("/notifications/webhooks"))[0]
        receiver.secrets["/hook"] = [secret]

        event_id = await publish.send(instance)
        (got,) = await receiver.wait_for("/hook", 1)
        data = _check_cloudevent(got, event_id, SCHEDULED)
        assert data["instance_id"] == str(instance.instance_id)
        assert data["title"] == instance.title
        first_id = got.headers["webhook-id"]

        # Redelivered (same ce_id), and a fact nobody may receive by webhook: nothing more is sent.
        await publish.send(instance, event_id=event_id)
        registration = RegistrationConfirmed(
            registration_id=uuid.uuid4(), instance_id=instance.instance_id, member_id=uuid.uuid4(),
            council_id=uuid.uuid4(), mode="participant",
        )  # fmt: skip
        await publish.send(registration)
        marker = await publish.send(scheduled(starts_in_days=21))  # read after both on the consumer
        await receiver.wait_for("/hook", 2)
        assert [r.verified["id"] for r in receiver.at("/hook")] == [event_id, marker]

    # A restart of the service (its webhook consumer and sender): the event read again is not sent again.
    await publish.send(instance, event_id=event_id)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        staff = Staff(app, settings)
        last = await publish.send(scheduled(starts_in_days=22))
        await receiver.wait_for("/hook", 3)
        assert [r.verified["id"] for r in receiver.at("/hook")] == [event_id, marker, last]

        # The receiver goes down: the cancellation fails, is retried on the schedule, arrives when it is up.
        receiver.stop()
        cancel = InstanceCancelled(instance_id=instance.instance_id, reason="Salle indisponible", sequence=1)
        cancelled_id = await publish.send(cancel)
        await eventually(lambda: messages(app, t.webhook_messages.c.attempts >= 2))
        receiver.start()
        received = await receiver.wait_for("/hook", 4)
        data = _check_cloudevent(received[-1], cancelled_id, CANCELLED)
        assert data["reason"] == "Salle indisponible"
        assert received[-1].headers["webhook-id"] != first_id

        log = await staff.get(f"/notifications/webhooks/{endpoint['endpoint_id']}/messages")
        newest = log[0]
        assert newest["event_id"] == cancelled_id
        assert newest["status"] == "delivered"
        assert newest["webhook_id"] == received[-1].headers["webhook-id"]
        outcomes = [attempt["outcome"] for attempt in newest["history"]]
        assert outcomes[-1] == "delivered"
        assert outcomes[:-1]
        assert set(outcomes[:-1]) == {"retry"}
        assert all("connexion impossible" in a["error"] for a in newest["history"][:-1])
        # the others too, once their own retry (if the receiver's outage caught one) has gone out
        messages_url = f"/notifications/webhooks/{endpoint['endpoint_id']}/messages"

        async def all_delivered() -> bool:
            return all(entry["status"] == "delivered" for entry in await staff.get(messages_url))

        # an earlier message caught by the outage more than twice waits its next attempt on the
        # scaled schedule (2 h -> 72 s, with jitter): wait for it rather than 40 s
        await eventually(all_delivered, timeout=120)
        log = await staff.get(messages_url)
        assert "body" not in json.dumps(log)  # the log keeps outcomes, not bodies

        # Rotation: the new secret signs, the previous one still verifies during the overlap.
        rotation = await staff.client.post(f"/notifications/webhooks/{endpoint['endpoint_id']}/secret")
        rotated = rotation.json()
        assert rotated["secret"] != secret
        assert rotated["rotating"] is True
        receiver.secrets["/hook"] = [rotated["secret"]]
        again = await publish.send(scheduled(starts_in_days=23))
        received = await receiver.wait_for("/hook", 5)
        assert received[-1].verified["id"] == again
        assert len(received[-1].headers["webhook-signature"].split(" ")) == 2  # both secrets sign
        receiver.secrets["/hook"] = [secret]
        assert Webhook(secret).verify(received[-1].body, received[-1].headers)["id"] == again


async def test_gone_disables_and_a_failing_receiver_is_disabled_after_the_schedule(  # noqa: PLR0917
    kafka_bootstrap: str,
    territory: str,
    tmp_path: Path,
    producer: AIOKafkaProducer,
    receiver: Receiver,
    database_url: str,  # SQLite and PostgreSQL (claims FOR UPDATE SKIP LOCKED there)
) -> None:
    settings = _settings(kafka_bootstrap, territory, tmp_path, scale=0.00001, database_url=database_url)
    publish = Publisher(producer, territory)
    receiver.answers.update({"/gone": 410, "/broken": 500})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        staff = Staff(app, settings)
        gone = await staff.register(receiver.url("/gone"), [SCHEDULED])
        broken = await staff.register(receiver.url("/broken"), [SCHEDULED])
        fine = await staff.register(receiver.url("/fine"), [SCHEDULED])
        for path, created in (("/gone", gone), ("/broken", broken), ("/fine", fine)):
            receiver.secrets[path] = [created["secret"]]

        first = await publish.send(scheduled(starts_in_days=10))
        await receiver.wait_for("/fine", 1)
        await receiver.wait_for("/gone", 1)
        await eventually(lambda: _status(staff, gone["endpoint_id"], "disabled"))
        assert "410" in (await staff.endpoint(gone["endpoint_id"]))["disabled_reason"]

        # /broken answers 500 to each of the 10 attempts of the schedule, then is disabled.
        await receiver.wait_for("/broken", 10)
        await eventually(lambda: _status(staff, broken["endpoint_id"], "disabled"))
        assert len(receiver.at("/broken")) == 10
        assert len({r.headers["webhook-id"] for r in receiver.at("/broken")}) == 1  # one message, retried
        assert all(r.verified["id"] == first for r in receiver.at("/broken"))
        (log,) = await staff.get(f"/notifications/webhooks/{broken['endpoint_id']}/messages")
        assert log["status"] == "failed"
        assert log["attempts"] == 10
        assert log["last_status_code"] == 500

        alerts = await staff.get("/notifications/alerts")
        disabled = {a["subject_id"] for a in alerts if a["kind"] == "webhook_disabled"}
        assert disabled == {gone["endpoint_id"], broken["endpoint_id"]}

        # Disabled endpoints get nothing more; the other one still does.
        await publish.send(scheduled(starts_in_days=11))
        await receiver.wait_for("/fine", 2)
        await asyncio.sleep(0.5)
        assert len(receiver.at("/gone")) == 1
        assert len(receiver.at("/broken")) == 10

        # Sending again a period of a disabled endpoint is refused; one of the fine one is sent again.
        replay = await staff.client.post(
            f"/notifications/webhooks/{fine['endpoint_id']}/replay",
            json={"webhook_id": receiver.at("/fine")[0].headers["webhook-id"]},
        )
        assert replay.json() == {"queued": 1}
        again = await receiver.wait_for("/fine", 3)
        assert again[-1].headers["webhook-id"] == again[0].headers["webhook-id"]  # the receiver dedupes


async def _status(staff: Staff, endpoint_id: str, status: str) -> bool:
    return bool((await staff.endpoint(endpoint_id))["status"] == status)
