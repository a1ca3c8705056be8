"""Outgoing webhooks (Standard Webhooks): staff register endpoints per event type; each public
fact read from the bus becomes one message per subscribed endpoint (the sender's outbox,
written in the consumer's transaction, so a redelivered event queues nothing more); the sender
(webhook_sender.py) signs and posts it, and its outcome is recorded here: delivered, retried on
the schedule, failed with a staff alert, or the endpoint disabled (410 Gone, or a message that
failed for the whole schedule while nothing got through)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal
from uuid import UUID

from conseils_notifications.alert_mails import AlertMails
from conseils_notifications.records import StaffAlertRecord
from conseils_notifications.repository import NotificationsRepository
from conseils_notifications.use_cases import Unit
from conseils_notifications.webhook_addresses import destination_refusal
from conseils_notifications.webhook_domain import (
    WEBHOOK_EVENT_TYPES,
    WebhookRefused,
    check_url,
    chosen_event_types,
    cloudevent_body,
    message_uuid,
    new_secret,
    next_delay,
    outcome_of,
)
from conseils_notifications.webhook_records import AttemptRecord, EndpointRecord, MessageRecord
from conseils_notifications.webhook_repository import WebhooksRepository
from conseils_runtime.errors import NotFound
from conseils_runtime.unit_of_work import UnitOfWork, UnitsOfWork
from conseils_runtime.write_queue import write_queue
from conseils_schemas import Event, EventMetadata, StaffAlertRaised

WebhookUnit = UnitOfWork[WebhooksRepository]
WebhookAlertKind = Literal["webhook_disabled", "webhook_failed"]


@dataclass(frozen=True)
class Attempted:
    """What one HTTP attempt gave: a status code, or our word for why there was none."""

    status_code: int | None
    error: str | None
    duration_ms: int
    retry_after: timedelta | None = None


@dataclass(frozen=True)
class LoggedMessage:
    """A line of an endpoint's delivery log, with its attempts."""

    message: MessageRecord
    attempts: list[AttemptRecord]


class Webhooks(AlertMails):
    """Endpoints, their messages and the outcome of each attempt."""

    @cached_property
    def webhook_units(self) -> UnitsOfWork[WebhooksRepository]:
        return UnitsOfWork(self.units.database, self.units.outbox, WebhooksRepository)

    @property
    def webhooks_allow_http(self) -> bool:
        """http:// only in a demo (the receiver of the tests listens on 127.0.0.1)."""
        return self.territory.demo

    @property
    def webhooks_allow_private(self) -> bool:
        return self.territory.demo or self.settings.webhooks_allow_private_addresses

    # ----------------------------------------------------------------- staff

    async def register_endpoint(
        self, url: str, event_types: list[str], description: str = ""
    ) -> EndpointRecord:
        """A new endpoint, active at once; its secret is in the answer, and never again."""
        url = check_url(url, allow_http=self.webhooks_allow_http)
        refusal = await destination_refusal(url, allow_private=self.webhooks_allow_private)
        if refusal is not None:
            raise WebhookRefused(f"Adresse refusée : {refusal}.")
        endpoint = EndpointRecord(
            endpoint_id=uuid.uuid4(),
            url=url,
            description=description.strip()[:200],
            event_types=chosen_event_types(event_types),
            secret=new_secret(),
            previous_secret=None,
            previous_secret_until=None,
            status="active",
            disabled_reason=None,
            created_at=self.clock(),
            disabled_at=None,
            last_success_at=None,
        )
        async with self.webhook_units.begin() as unit:
            await unit.repo.add_endpoint(endpoint)
        return endpoint

    async def webhook_endpoints(self) -> list[EndpointRecord]:
        async with self.webhook_units.reading() as repo:
            return await repo.endpoints()

    async def rotate_webhook_secret(self, endpoint_id: UUID) -> EndpointRecord:
        """A new secret (shown once); the previous one still signs, beside it, for the overlap."""
        now = self.clock()
        async with self.webhook_units.begin() as unit:
            endpoint = await self._endpoint(unit.repo, endpoint_id, lock=True)
            overlap = timedelta(hours=self.settings.webhooks_rotation_overlap_hours)
            rotated = replace(
                endpoint,
                secret=new_secret(),
                previous_secret=endpoint.secret,
                previous_secret_until=now + overlap,
            )
            await unit.repo.update_endpoint(
                endpoint_id,
                secret=rotated.secret,
                previous_secret=rotated.previous_secret,
                previous_secret_until=rotated.previous_secret_until,
            )
        return rotated

    async def disable_webhook(
        self, endpoint_id: UUID, reason: str = "désactivé par l'équipe"
    ) -> EndpointRecord:
        async with self.webhook_units.begin() as unit:
            endpoint = await self._endpoint(unit.repo, endpoint_id, lock=True)
            if endpoint.status != "disabled":
                await self._disable(unit, endpoint, reason)
            found = await unit.repo.endpoint(endpoint_id)
        assert found is not None
        return found

    async def webhook_log(self, endpoint_id: UUID, limit: int = 50) -> list[LoggedMessage]:
        """The endpoint's latest messages (newest first) and their attempts."""
        async with self.webhook_units.reading() as repo:
            await self._endpoint(repo, endpoint_id)
            messages = await repo.messages(endpoint_id, min(max(limit, 1), 500))
            attempts = await repo.attempts([message.message_id for message in messages])
        return [
            LoggedMessage(message, [a for a in attempts if a.message_id == message.message_id])
            for message in messages
        ]

    async def replay_webhooks(
        self,
        endpoint_id: UUID,
        *,
        message_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Send again one message, or those whose event happened in [since, until): a new round
        of the schedule, same `webhook-id` (the receiver dedupes what it already has)."""
        if message_id is None and since is None:
            raise WebhookRefused("Indiquez le message ou le début de la période à renvoyer.")
        async with self.webhook_units.begin() as unit:
            endpoint = await self._endpoint(unit.repo, endpoint_id)
            if endpoint.status != "active":
                raise WebhookRefused("Ce point de réception est désactivé : rien n'est renvoyé.")
            count = await unit.repo.replay(
                endpoint_id, now=self.clock(), message_id=message_id, since=since, until=until
            )
        return count

    # ----------------------------------------------------------------- the consumer

    async def queue_webhooks(self, unit: Unit, event: Event, metadata: EventMetadata) -> int:
        """One message per active endpoint that subscribed to the event's type, in the
        consumer's transaction: a redelivered event (same id) adds nothing."""
        if metadata.type not in WEBHOOK_EVENT_TYPES:
            return 0
        repo = WebhooksRepository(unit.session)
        wanted = [e for e in await repo.endpoints(active_only=True) if metadata.type in e.event_types]
        if not wanted:
            return 0
        body = cloudevent_body(metadata, event.model_dump(mode="json"))
        now, queued = self.clock(), 0
        for endpoint in wanted:
            queued += await repo.add_message_once(
                MessageRecord(
                    message_id=message_uuid(endpoint.endpoint_id, metadata.id),
                    endpoint_id=endpoint.endpoint_id,
                    event_id=metadata.id,
                    event_type=metadata.type,
                    event_time=metadata.time,
                    body=body,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    last_status_code=None,
                    last_error=None,
                    created_at=now,
                    delivered_at=None,
                )
            )
        return queued

    # ----------------------------------------------------------------- the sender's steps

    async def claim_due_webhooks(
        self, *, limit: int, lease: timedelta, lock: bool
    ) -> list[tuple[MessageRecord, EndpointRecord]]:
        now = self.clock()
        async with write_queue(self.webhook_units.database), self.webhook_units.begin() as unit:
            return await unit.repo.claim_due(now=now, lease_until=now + lease, limit=limit, lock=lock)

    async def webhook_attempted(
        self, message: MessageRecord, endpoint: EndpointRecord, result: Attempted
    ) -> str:
        """Record one attempt and what follows from it; returns the message's new status."""
        now, attempt = self.clock(), message.attempts + 1
        outcome: str = outcome_of(result.status_code) if result.status_code is not None else "retry"
        delay = None
        if outcome == "retry":
            jitter = random.uniform(-1, 1)  # spreads retries (not a secret)
            scale = self.settings.webhooks_schedule_scale
            delay = next_delay(attempt, scale=scale, jitter=jitter, asked=result.retry_after)
            outcome = "retry" if delay is not None else "failed"
        async with self.webhook_units.begin() as unit:
            repo = unit.repo
            await repo.add_attempt(
                message_id=message.message_id,
                endpoint_id=endpoint.endpoint_id,
                attempt=attempt,
                at=now,
                duration_ms=result.duration_ms,
                status_code=result.status_code,
                outcome=outcome,
                error=(result.error or "")[:500] or None,
            )
            seen = {"attempts": attempt, "last_status_code": result.status_code, "last_error": result.error}
            if outcome == "delivered":
                await repo.update_message(message.message_id, status="delivered", delivered_at=now, **seen)
                await repo.update_endpoint(endpoint.endpoint_id, last_success_at=now)
                return "delivered"
            if outcome == "retry" and delay is not None:
                await repo.update_message(
                    message.message_id, status="pending", next_attempt_at=now + delay, **seen
                )
                return "pending"
            await repo.update_message(message.message_id, status="failed", **seen)
            if outcome == "gone":
                await self._disable(
                    unit, endpoint, "le destinataire a répondu 410 Gone : il ne veut plus d'envois"
                )
                return "failed"
            await self._given_up(unit, endpoint, message, attempt)
            return "failed"

    async def _given_up(
        self, unit: WebhookUnit, endpoint: EndpointRecord, message: MessageRecord, attempts: int
    ) -> None:
        """The whole schedule failed: a staff alert; the endpoint is disabled too when nothing
        got through to it since this message was queued (days of failures)."""
        current = await unit.repo.endpoint(endpoint.endpoint_id, lock=True)
        if current is None or current.status != "active":
            return
        if current.last_success_at is None or current.last_success_at < message.created_at:
            await self._disable(unit, current, f"aucun envoi réussi pendant {attempts} tentatives")
            return
        await self._webhook_alert(
            unit,
            endpoint,
            "webhook_failed",
            f"Un envoi vers le point de réception {endpoint.url} a échoué {attempts} fois "
            f"({message.event_type}) : il est abandonné ; vous pouvez le renvoyer.",
        )

    # ----------------------------------------------------------------- shared steps

    async def _endpoint(
        self, repo: WebhooksRepository, endpoint_id: UUID, *, lock: bool = False
    ) -> EndpointRecord:
        endpoint = await repo.endpoint(endpoint_id, lock=lock)
        if endpoint is None:
            raise NotFound("Ce point de réception n'existe pas.")
        return endpoint

    async def _disable(self, unit: WebhookUnit, endpoint: EndpointRecord, reason: str) -> None:
        await unit.repo.update_endpoint(
            endpoint.endpoint_id, status="disabled", disabled_reason=reason, disabled_at=self.clock()
        )
        await unit.repo.cancel_open_messages(endpoint.endpoint_id, f"point de réception désactivé : {reason}")
        await self._webhook_alert(
            unit,
            endpoint,
            "webhook_disabled",
            f"Le point de réception {endpoint.url} est désactivé : {reason}.",
        )

    async def _webhook_alert(
        self, unit: WebhookUnit, endpoint: EndpointRecord, kind: WebhookAlertKind, text: str
    ) -> None:
        """A staff alert like every other: published on the alerts topic with this transaction,
        and kept and emailed at once (urgent: per each agent's choice) in it too, so that the
        page shows it at once; when the fact comes back from the topic it is kept already and
        adds nothing. The daily digest tells it like the others."""
        alert = StaffAlertRecord(
            alert_id=uuid.uuid4(),
            kind=kind,
            subject_id=endpoint.endpoint_id,
            message_fr=text,
            raised_at=self.clock(),
        )
        await unit.emit(StaffAlertRaised(**alert.__dict__))
        alerts = UnitOfWork(
            unit.session, NotificationsRepository(unit.session), unit.outbox, unit.correlation_id
        )
        if await alerts.repo.keep_staff_alert(alert):
            await self._tell_at_once(alerts, alert)
