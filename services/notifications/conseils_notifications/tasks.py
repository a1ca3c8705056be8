"""Background tasks started in the app lifespan, like the outbox relay:
the delivery sender (pending deliveries -> SMTP/SMS, with retries) and the
scheduler (due reminders, staff checks, the weekly digest)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from conseils_notifications import repository as repo
from conseils_notifications.domain import retry_delay
from conseils_notifications.mail import MailSettings, build_email, sms_text, subject_for
from conseils_notifications.service import NotificationsService
from conseils_notifications.transport import MailTransport, PermanentFailure, SmsGateway, TemporaryFailure
from conseils_runtime import Database
from conseils_runtime.logs import get_logger
from conseils_runtime.tasks import WorkerLoop
from conseils_schemas import NotificationFailed, NotificationSent

log = get_logger(__name__)

_DIGEST_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class DeliverySender(WorkerLoop):
    """Sends pending deliveries; outcome and outbox event are written in one transaction."""

    name = "delivery-sender"

    def __init__(
        self, database: Database, service: NotificationsService, transport: MailTransport, sms: SmsGateway
    ) -> None:
        settings = service.settings
        super().__init__(settings.sender_poll_seconds)
        self._database = database
        self._service = service
        self._transport = transport
        self._sms = sms
        self._settings = settings
        self._mail = MailSettings(
            sender=settings.resolved_mail_sender(),
            public_base_url=settings.resolved_public_base_url(),
            territory=settings.territory,
            secret=settings.auth_secret,
        )
        self._slots = asyncio.Semaphore(settings.smtp_concurrency)

    async def stop(self) -> None:
        await super().stop()
        await self._transport.close()

    async def run_once(self) -> int:
        now = self._service.clock()
        lease = now + timedelta(seconds=self._settings.sender_lease_seconds)
        async with self._database.sessionmaker() as session, session.begin():
            batch = await repo.claim_due_deliveries(
                session,
                now=now,
                lease_until=lease,
                limit=self._settings.sender_batch_size,
                lock=not self._database.is_sqlite,
            )
        if batch:
            outcomes = await asyncio.gather(*(self._deliver(row) for row in batch), return_exceptions=True)
            errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
            if errors:  # the database went away mid-batch: those rows come back when their lease ends
                raise errors[0]
        return len(batch)

    async def _deliver(self, row: dict[str, Any]) -> None:
        async with self._slots:
            async with self._database.sessionmaker() as session:
                contact = await repo.contact(session, row["member_id"])
            if contact is None:
                await self._no_contact(row)
                return
            try:
                await self._send(row, contact)
            except TemporaryFailure as error:
                await self._temporary(row, str(error))
            except PermanentFailure as error:
                await self._failed(row, str(error), permanent=True)
            except Exception as error:  # e.g. an address that cannot be encoded: retrying will not help
                log.exception("delivery could not be built or sent", delivery_id=str(row["delivery_id"]))
                await self._failed(row, f"erreur interne : {type(error).__name__}", permanent=True)
            else:
                await self._sent(row)

    async def _send(self, row: dict[str, Any], contact: dict[str, Any]) -> None:
        if row["channel"] == "sms":
            if not contact["phone"]:
                raise PermanentFailure("pas de numéro de téléphone")
            await self._sms.send(
                contact["phone"], sms_text(row["kind"], row["context"], self._mail.public_base_url)
            )
            return
        message = build_email(
            self._mail,
            delivery_id=row["delivery_id"],
            kind=row["kind"],
            category=row["category"],
            reason=row["reason"],
            context=row["context"],
            member_id=row["member_id"],
            display_name=contact["display_name"],
            email=contact["email"],
            now=self._service.clock(),
        )
        await self._transport.send(message)

    async def _sent(self, row: dict[str, Any]) -> None:
        now = self._service.clock()
        async with self._database.sessionmaker() as session, session.begin():
            await repo.update_delivery(
                session,
                row["delivery_id"],
                status="sent",
                sent_at=now,
                attempts=row["attempts"] + 1,
                last_error=None,
                subject=subject_for(row["kind"], row["context"]),
            )
            await self._service.outbox.add(
                session,
                NotificationSent(
                    delivery_id=row["delivery_id"],
                    member_id=row["member_id"],
                    channel=row["channel"],
                    category=row["category"],
                    source_event_id=row["source_event_id"],
                    sent_at=now,
                ),
            )

    async def _temporary(self, row: dict[str, Any], error: str) -> None:
        attempts = row["attempts"] + 1
        if attempts >= self._settings.sender_max_attempts:
            await self._failed(row, f"abandon après {attempts} tentatives : {error}", permanent=False)
            return
        delay = retry_delay(attempts, self._settings.sender_backoff_seconds)
        log.info(
            "delivery failed temporarily, will retry", delivery_id=str(row["delivery_id"]), attempts=attempts
        )
        async with self._database.sessionmaker() as session, session.begin():
            await repo.update_delivery(
                session,
                row["delivery_id"],
                status="pending",
                attempts=attempts,
                next_attempt_at=self._service.clock() + delay,
                last_error=error[:2000],
            )

    async def _no_contact(self, row: dict[str, Any]) -> None:
        # The contact card may simply not have arrived yet (another topic): wait a little.
        if row["attempts"] + 1 >= self._settings.missing_contact_attempts:
            await self._failed(row, "aucune coordonnée connue pour ce membre", permanent=True)
        else:
            await self._temporary(row, "coordonnées pas encore reçues")

    async def _failed(self, row: dict[str, Any], error: str, *, permanent: bool) -> None:
        now = self._service.clock()
        log.warning("delivery failed", delivery_id=str(row["delivery_id"]), permanent=permanent)
        async with self._database.sessionmaker() as session, session.begin():
            await repo.update_delivery(
                session,
                row["delivery_id"],
                status="failed",
                attempts=row["attempts"] + 1,
                last_error=error[:2000],
            )
            await self._service.outbox.add(
                session,
                NotificationFailed(
                    delivery_id=row["delivery_id"],
                    member_id=row["member_id"],
                    channel=row["channel"],
                    category=row["category"],
                    source_event_id=row["source_event_id"],
                    error=error[:500],
                    permanent=permanent,
                    failed_at=now,
                ),
            )


class Scheduler(WorkerLoop):
    """Due reminders and staff checks, and the weekly digest on the territory's digest day."""

    name = "notification-scheduler"

    def __init__(
        self, database: Database, service: NotificationsService, on_work: Callable[[], None] | None = None
    ) -> None:
        super().__init__(service.settings.scheduler_poll_seconds)
        self._database = database
        self._service = service
        self._on_work = on_work

    async def run_once(self) -> int:
        async with self._database.sessionmaker() as session, session.begin():
            done = await self._service.run_due_reminders(session)
        digests = await self.run_digest_if_due()
        if (done or digests) and self._on_work is not None:
            self._on_work()
        return done

    async def run_digest_if_due(self) -> int:
        now = self._service.clock().astimezone(UTC)
        weekday = _DIGEST_WEEKDAYS.index(self._service.territory.notifications.digest_weekday)
        if now.weekday() != weekday or now.hour < 8:
            return 0
        year, week, _ = now.isocalendar()
        async with self._database.sessionmaker() as session, session.begin():
            return await self._service.run_weekly_digest(session, f"{year}-W{week:02d}")
