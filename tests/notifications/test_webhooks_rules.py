"""The webhook rules without a broker: the secret's format, the stable message id, the spec's
retry schedule, what an answer means, the SSRF refusals (outside a demo, over the real API),
and the signature and body as outside libraries read them (`standardwebhooks`, CloudEvents SDK)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks import Webhook, WebhookVerificationError

from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.webhook_addresses import destination_refusal
from conseils_notifications.webhook_domain import (
    RETRY_SCHEDULE_SECONDS,
    WEBHOOK_EVENT_TYPES,
    WebhookRefused,
    check_url,
    chosen_event_types,
    cloudevent_body,
    message_uuid,
    new_secret,
    next_delay,
    outcome_of,
    refused_address,
    retry_after,
)
from conseils_notifications.webhook_records import EndpointRecord, MessageRecord
from conseils_notifications.webhook_sender import signed_headers
from conseils_runtime.auth import issue_token
from conseils_runtime.territory import default_territory_path
from conseils_schemas import (
    EventMetadata,
    InstanceCancelled,
    MemberContactCard,
    MemberJoined,
    RegistrationConfirmed,
)

from .helpers import scheduled

NOW = datetime.now(UTC).replace(microsecond=0)


def test_secret_is_whsec_base64_of_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_message_id_is_stable_per_endpoint_and_event() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert message_uuid(a, "e1") == message_uuid(a, "e1")
    assert len({message_uuid(a, "e1"), message_uuid(a, "e2"), message_uuid(b, "e1")}) == 3


def test_the_schedule_is_the_specs_example_spanning_75_hours() -> None:
    delays = [next_delay(n, scale=1, jitter=0) for n in range(1, len(RETRY_SCHEDULE_SECONDS))]
    assert [d.total_seconds() for d in delays if d is not None] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        50400,
        72000,
        86400,
    ]
    assert sum(RETRY_SCHEDULE_SECONDS) == 75 * 3600 + 35 * 60 + 5
    assert next_delay(len(RETRY_SCHEDULE_SECONDS), scale=1, jitter=0) is None  # then it is given up
    assert next_delay(2, scale=1, jitter=1) == timedelta(seconds=330)  # +10 % jitter at most
    assert next_delay(2, scale=1, jitter=-1) == timedelta(seconds=270)
    assert next_delay(1, scale=1, jitter=0, asked=timedelta(minutes=2)) == timedelta(minutes=2)  # Retry-After
    assert next_delay(2, scale=0.001, jitter=0) == timedelta(seconds=0.3)  # compressed in tests


def test_what_an_answer_means() -> None:
    assert [outcome_of(code) for code in (200, 202, 204, 299)] == ["delivered"] * 4
    assert outcome_of(410) == "gone"
    assert {outcome_of(code) for code in (301, 302, 307, 400, 404, 429, 500, 502, 503, 504)} == {"retry"}
    assert retry_after("120", NOW) == timedelta(seconds=120)
    assert retry_after("999999", NOW) == timedelta(hours=24)
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW) == timedelta(0)  # a date in the past
    assert retry_after("n'importe quoi", NOW) is None


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",  # noqa: S104
     "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_private_loopback_and_link_local_addresses_are_refused(address: str) -> None:
    assert refused_address(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refused_address(address) is None


def test_url_form() -> None:
    assert (
        check_url(" https://hooks.example.org/conseils ", allow_http=False)
        == "https://hooks.example.org/conseils"
    )
    for bad in ("http://hooks.example.org/", "ftp://x.example/", "https://user:pw@x.example/", "https:///x"):
        with pytest.raises(WebhookRefused):
            check_url(bad, allow_http=False)
    assert check_url("http://127.0.0.1:8080/hook", allow_http=True)  # a demo


async def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    async def dns(host: str, _port: int) -> list[str]:
        return {"evil.example": ["93.184.216.34", "10.0.0.5"], "good.example": ["93.184.216.34"]}[host]

    refusal = await destination_refusal("https://evil.example/x", allow_private=False, resolver=dns)
    assert refusal is not None
    assert "10.0.0.5" in refusal
    assert await destination_refusal("https://good.example/x", allow_private=False, resolver=dns) is None
    assert await destination_refusal("https://evil.example/x", allow_private=True, resolver=dns) is None


def test_only_public_facts_may_leave() -> None:
    for private in (MemberContactCard, MemberJoined, RegistrationConfirmed):
        assert private.event_type not in WEBHOOK_EVENT_TYPES
    with pytest.raises(WebhookRefused):
        chosen_event_types([MemberContactCard.event_type])


def _message(body: str) -> MessageRecord:
    return MessageRecord(
        message_id=uuid.uuid4(), endpoint_id=uuid.uuid4(), event_id="e", event_type="t", event_time=NOW,
        body=body, status="pending", attempts=0, next_attempt_at=NOW, last_status_code=None, last_error=None,
        created_at=NOW, delivered_at=None,
    )  # fmt: skip


def _endpoint(secret: str, previous: str | None = None, until: datetime | None = None) -> EndpointRecord:
    return EndpointRecord(
        endpoint_id=uuid.uuid4(), url="https://x.example/", description="", event_types=[], secret=secret,
        previous_secret=previous, previous_secret_until=until, status="active", disabled_reason=None,
        created_at=NOW, disabled_at=None, last_success_at=None,
    )  # fmt: skip


def test_signature_and_body_as_outside_libraries_read_them() -> None:
    # Now, not the module's NOW: the receiver's library refuses a timestamp over 5 minutes old, and a
    # full run reaches this test long after collection.
    now = datetime.now(UTC).replace(microsecond=0)
    event = scheduled()
    metadata = EventMetadata.for_event(event, source="/conseils/plaine-commune/meetings")
    body = cloudevent_body(metadata, event.model_dump(mode="json"))
    old, new = new_secret(), new_secret()

    headers = signed_headers(_endpoint(new, old, now + timedelta(hours=1)), _message(body), now)
    assert Webhook(new).verify(body.encode(), headers)["id"] == metadata.id  # the library's own check
    assert Webhook(old).verify(body.encode(), headers)["id"] == metadata.id  # during the rotation
    later = signed_headers(_endpoint(new, old, now - timedelta(seconds=1)), _message(body), now)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body.encode(), later)  # after the overlap, the old secret no longer signs
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace("Emploi", "Emploi!").encode(), headers)  # tampered
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))

    cloud = from_structured(HTTPMessage(headers, body.encode()), JSONFormat(), CloudEvent)
    assert cloud.get_type() == InstanceScheduledType
    assert cloud.get_dataschema() == metadata.dataschema
    assert cloud.get_data()["instance_id"] == str(event.instance_id)  # type: ignore[index]
    assert json.loads(body)["datacontenttype"] == "application/json"


InstanceScheduledType = "fr.conseils.meetings.instance.scheduled.v1"


@pytest.fixture
def public_territory(tmp_path: Path) -> Path:
    text = default_territory_path().read_text(encoding="utf-8").replace("\ndemo: true\n", "\ndemo: false\n")
    assert "demo: false" in text
    path = tmp_path / "territoire.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_outside_a_demo_the_api_refuses_http_private_and_loopback_urls(public_territory: Path) -> None:
    settings = NotificationsSettings(territory_file=public_territory, log_json=False)
    app = create_app(settings)
    staff = issue_token(settings.auth_secret, subject="agent", role="staff", audience="notifications")
    someone = str(uuid.uuid4())
    councillor = issue_token(
        settings.auth_secret, subject=someone, role="councillor", audience="notifications"
    )
    scheduled_type = [InstanceScheduledType]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:

        async def post(url: str, token: str = staff, types: list[str] = scheduled_type) -> httpx.Response:
            return await client.post(
                "/notifications/webhooks",
                json={"url": url, "event_types": types},
                headers={"Authorization": f"Bearer {token}"},
            )

        refused = [
            "http://hooks.example.org/x",
            "https://127.0.0.1/x",
            "https://10.0.0.8/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://localhost/x",
        ]
        for url in refused:
            response = await post(url)
            assert response.status_code == 422, (url, response.text)
            assert "secret" not in response.text
        assert (
            await post("https://hooks.example.org/x", types=[MemberContactCard.event_type])
        ).status_code == 422
        assert (await post("https://hooks.example.org/x", token=councillor)).status_code == 403


def test_the_receiver_of_the_integrators_guide_verifies_and_dedupes() -> None:
    """The receiver printed in docs/integrators.md § Webhooks, run as written on signed requests."""
    guide = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"
    found = re.search(
        r"<!-- integrators-snippet-webhook:.*?-->\n```python\n(.*?)```",
        guide.read_text(encoding="utf-8"),
        re.S,
    )
    assert found is not None
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), str(guide), "exec"), namespace)  # noqa: S102 - our own documentation
    secret = new_secret()
    event = InstanceCancelled(
        instance_id=uuid.uuid4(), reason="Salle indisponible", sequence=1, title="Copil"
    )
    body = cloudevent_body(
        EventMetadata.for_event(event, source="/conseils/t/meetings"), event.model_dump(mode="json")
    )
    headers = signed_headers(_endpoint(secret), _message(body), datetime.now(UTC))

    status, received = namespace["receive"](body.encode(), headers, secret)
    assert status == 204
    assert received["data"]["reason"] == "Salle indisponible"
    assert namespace["receive"](body.encode(), headers, secret) == (200, None)  # the same webhook-id
    assert namespace["receive"](body.encode(), headers, new_secret())[0] == 400  # another secret
