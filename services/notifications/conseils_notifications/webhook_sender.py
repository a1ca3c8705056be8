"""The webhook sender: a background worker that takes due messages from the webhook outbox,
signs each with the `standardwebhooks` library and posts it (CloudEvents structured mode),
never following a redirect, within a timeout, with a bounded number of requests at once; the
outcome of each attempt is a use case of webhooks.py. The consumer never waits for it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks import Webhook

from conseils_notifications.service import NotificationsService
from conseils_notifications.webhook_addresses import Resolver, destination_refusal, resolve
from conseils_notifications.webhook_domain import retry_after, webhook_id
from conseils_notifications.webhook_records import EndpointRecord, MessageRecord
from conseils_notifications.webhooks import Attempted
from conseils_runtime.logs import get_logger
from conseils_runtime.tasks import WorkerLoop

log = get_logger(__name__)

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
USER_AGENT = "conseils-webhooks/1.0 (+https://www.standardwebhooks.com)"


def signed_headers(endpoint: EndpointRecord, message: MessageRecord, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: the message's stable id, this attempt's time, and the
    signature of `id.timestamp.body` with the secret (and, during a rotation, the previous one)."""
    msg_id, now = webhook_id(message.message_id), now.astimezone(UTC)
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        secrets.append(endpoint.previous_secret)
    signature = " ".join(Webhook(secret).sign(msg_id, now, message.body) for secret in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
    }


class WebhookSender(WorkerLoop):
    """Posts due webhook messages; a slow or dead receiver only delays its own messages."""

    name = "webhook-sender"

    def __init__(
        self,
        service: NotificationsService,
        *,
        lock: bool,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        settings = service.settings
        super().__init__(settings.webhooks_poll_seconds)
        self._service = service
        self._settings = settings
        self._lock = lock
        self._resolver = resolver
        self._slots = asyncio.Semaphore(settings.webhooks_concurrency)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._settings.webhooks_timeout_seconds),
                follow_redirects=False,  # the spec: a 3xx is a failure, the URL must be updated
                transport=self._transport,
                trust_env=False,  # no proxy from the environment unless deployed on purpose
            )
        super().start()

    async def stop(self) -> None:
        await super().stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_once(self) -> int:
        batch = await self._service.claim_due_webhooks(
            limit=self._settings.webhooks_batch_size,
            lease=timedelta(seconds=self._settings.webhooks_lease_seconds),
            lock=self._lock,
        )
        if batch:
            outcomes = await asyncio.gather(*(self._deliver(m, e) for m, e in batch), return_exceptions=True)
            errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
            if errors:  # the database went away: those messages come back when their lease ends
                raise errors[0]
        return len(batch)

    async def _deliver(self, message: MessageRecord, endpoint: EndpointRecord) -> None:
        async with self._slots:
            result = await self._post(message, endpoint)
            status = await self._service.webhook_attempted(message, endpoint, result)
            log.info(
                "webhook attempt",
                endpoint_id=str(endpoint.endpoint_id),
                message=webhook_id(message.message_id),
                status_code=result.status_code,
                error=result.error,
                outcome=status,
            )

    async def _post(self, message: MessageRecord, endpoint: EndpointRecord) -> Attempted:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        refusal = await destination_refusal(
            endpoint.url, allow_private=self._service.webhooks_allow_private, resolver=self._resolver
        )
        if refusal is not None:
            return Attempted(status_code=None, error=f"adresse refusée : {refusal}", duration_ms=took())
        now = self._service.clock()
        headers = signed_headers(endpoint, message, now)
        assert self._client is not None, "started"
        try:
            # Streamed and closed unread: a receiver's answer body is never loaded or kept.
            async with self._client.stream(
                "POST", endpoint.url, content=message.body.encode("utf-8"), headers=headers
            ) as response:
                code = response.status_code
                asked = retry_after(response.headers.get("retry-after"), now)
        except httpx.TimeoutException:
            timeout = self._settings.webhooks_timeout_seconds
            return Attempted(status_code=None, error=f"pas de réponse en {timeout:g} s", duration_ms=took())
        except httpx.HTTPError as failure:
            reason = f"connexion impossible ({type(failure).__name__})"
            return Attempted(status_code=None, error=reason, duration_ms=took())
        said = None
        if 300 <= code < 400:
            said = f"redirection {code} non suivie : mettez à jour l'adresse"
        elif code >= 400:
            said = f"réponse {code}"
        return Attempted(status_code=code, error=said, duration_ms=took(), retry_after=asked)
