"""The staff's webhook pages end to end: the site in front of the real notifications service
(on the real broker), a real HTTP receiver. Staff add an endpoint on /equipe/webhooks, copy
the secret from the answer page (shown once: never on the list), an instance is scheduled on
the bus, the receiver verifies the signature with that secret (`standardwebhooks`), the
deliveries page says it was delivered; staff rotate the secret and disable the endpoint."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from conseils_web.site import create_site
from tests.notifications.helpers import scheduled
from tests.notifications.test_flow import Publisher
from tests.notifications.webhook_receiver import Receiver

from .helpers import CSRF_SEED, ENDPOINTS, SECRET, csrf_for, session_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


class ToApps(httpx.AsyncBaseTransport):
    """The site's calls to `notifications.test` go to the running service, in process."""

    def __init__(self, notifications: httpx.AsyncBaseTransport) -> None:
        self.notifications = notifications

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "notifications.test":
            raise httpx.ConnectError("service arrêté", request=request)
        return await self.notifications.handle_async_request(request)


async def test_staff_add_see_rotate_and_disable_a_webhook(
    kafka_bootstrap: str, territory: str, tmp_path: Path
) -> None:
    settings = NotificationsSettings(
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
        auth_secret=SECRET,
        webhooks_poll_seconds=0.1,
        log_json=False,
    )
    service = create_app(settings)
    site = create_site(
        load_territory(default_territory_path()),
        ENDPOINTS,
        None,
        auth_secret=SECRET,
        data_dir=tmp_path,
        http_transport=ToApps(httpx.ASGITransport(app=service)),
    )
    receiver = Receiver()
    receiver.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        async with (
            service.router.lifespan_context(service),
            site.router.lifespan_context(site),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=site), base_url="http://test") as browser,
        ):
            browser.cookies.set(SESSION_COOKIE, session_for("staff"))
            browser.cookies.set(CSRF_COOKIE, CSRF_SEED)
            page = await browser.get("/equipe/webhooks")
            assert page.status_code == 200
            assert "Aucun point de réception" in page.text
            assert "Instance programmée" in page.text

            missing = await browser.post(
                "/equipe/webhooks", data={"csrf": csrf_for(), "url": receiver.url("/x")}
            )
            assert missing.status_code == 400
            assert "Choisissez au moins un type" in missing.text

            added = await browser.post(
                "/equipe/webhooks",
                data={
                    "csrf": csrf_for(),
                    "url": receiver.url("/agenda"),
                    "description": "Agenda de la ville",
                    "event_types": ["fr.conseils.meetings.instance.scheduled.v1"],
                },
            )
            assert added.status_code == 200
            assert "il ne sera plus jamais affiché" in added.text
            assert added.headers["cache-control"] == "no-store"
            secret = re.search(r'value="(whsec_[A-Za-z0-9+/=]+)"', added.text)
            assert secret is not None
            receiver.secrets["/agenda"] = [secret.group(1)]
            listing = await browser.get("/equipe/webhooks")
            assert secret.group(1) not in listing.text  # shown once
            assert "Agenda de la ville" in listing.text
            endpoint_id = re.search(r'href="/equipe/webhooks/([0-9a-f-]{36})"', listing.text)
            assert endpoint_id is not None

            instance = scheduled(starts_in_days=15)
            event_id = await Publisher(producer, territory).send(instance)
            (got,) = await receiver.wait_for("/agenda", 1)
            assert got.verified is not None, got.error  # the secret copied from the page verifies it
            assert got.verified["id"] == event_id

            log = await browser.get(f"/equipe/webhooks/{endpoint_id.group(1)}")
            assert log.status_code == 200
            assert "Instance programmée" in log.text
            assert "remis" in log.text

            rotated = await browser.post(
                f"/equipe/webhooks/{endpoint_id.group(1)}/secret", data={"csrf": csrf_for()}
            )
            assert "Nouveau secret" in rotated.text
            assert secret.group(1) not in rotated.text

            disabled = await browser.post(
                f"/equipe/webhooks/{endpoint_id.group(1)}/desactiver",
                data={"csrf": csrf_for()},
                follow_redirects=True,
            )
            assert "désactivé" in disabled.text

            browser.cookies.set(SESSION_COOKIE, session_for("councillor"))
            councillor = await browser.get("/equipe/webhooks", follow_redirects=False)
            assert councillor.status_code in {302, 303, 403}
    finally:
        await producer.stop()
        receiver.stop()
