"""Background tasks started in the app lifespan, like the outbox relay:
the delivery sender (pending deliveries -> SMTP/SMS, with retries) and the
scheduler (due reminders, staff checks, the weekly digest)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage

from conseils_notifications.domain import retry_delay
from conseils_notifications.group_commit import GroupCommit
from conseils_notifications.mail import MailSettings, build_email, subject_for
from conseils_notifications.mail_builder import EmailJob, MailBuilder
from conseils_notifications.records import ContactRecord, DeliveryRecord
from conseils_notifications.service import NotificationsService
from conseils_notifications.sms_channel import SmsChannel
from conseils_notifications.sms_settings import SmsSettings
from conseils_notifications.transport import (
    MailTransport,
    PermanentFailure,
    SmsGateway,
    TemporaryFailure,
    WireMessage,
    WireTransport,
)
from conseils_runtime import Database
from conseils_runtime.logs import get_logger
from conseils_runtime.tasks import WorkerLoop

log = get_logger(__name__)


class DeliverySender(WorkerLoop):
    """Sends pending deliveries; outcome and outbox event are written in one transaction
    (the steps are use cases of deliveries.py; this loop only sends)."""

    name = "delivery-sender"

    def __init__(
        self,
        database: Database,
        service: NotificationsService,
        transport: MailTransport,
        sms: SmsGateway,
        sms_settings: SmsSettings | None = None,
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
            dkim=settings.dkim_key(),
        )
        if self._mail.dkim is None:
            log.warning("mail sent without DKIM signature (no CONSEILS_NOTIFICATIONS_DKIM_KEY_FILE)")
        self._slots = asyncio.Semaphore(settings.smtp_concurrency)
        # Emails built in worker processes when the transport sends prebuilt bytes (mail_builder.py).
        self._wire = transport if isinstance(transport, WireTransport) else None
        processes = settings.mail_build_processes if self._wire is not None else 0
        self._builder = MailBuilder(self._mail, processes) if processes else None
        self._warming: asyncio.Task[None] | None = None
        self._recorded = GroupCommit(service.mark_sent_many)
        self._sms_channel = SmsChannel(service, sms, sms_settings, public_base_url=self._mail.public_base_url)

    def start(self) -> None:
        super().start()
        if self._builder is not None and self._warming is None:
            self._warming = asyncio.get_running_loop().create_task(self._warm_up())

    async def _warm_up(self) -> None:
        assert self._builder is not None
        try:
            await self._builder.warm_up()
        except Exception:  # the first emails then start the processes (or are built on the loop)
            log.exception("mail build processes could not be started in advance")

    async def stop(self) -> None:
        await super().stop()
        if self._warming is not None:
            self._warming.cancel()
            self._warming = None
        if self._builder is not None:
            await self._builder.close()
        await self._transport.close()

    async def run_once(self) -> int:
        batch = await self._service.claim_due_deliveries(
            limit=self._settings.sender_batch_size,
            lease=timedelta(seconds=self._settings.sender_lease_seconds),
            lock=not self._database.is_sqlite,
        )
        if batch:
            # The batch's contact cards in one read: an erasure or a withdrawn consent consumed
            # while the batch is being sent applies from the next batch (docs/performance.md).
            contacts = await self._service.contacts_of(row.member_id for row in batch)
            outcomes = await asyncio.gather(
                *(self._deliver(row, contacts.get(row.member_id)) for row in batch), return_exceptions=True
            )
            errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
            if errors:  # the database went away mid-batch: those rows come back when their lease ends
                raise errors[0]
        return len(batch)

    async def _deliver(self, row: DeliveryRecord, contact: ContactRecord | None) -> None:
        if contact is None:
            await self._no_contact(row)
            return
        if contact.consent_given_at is None:  # RGPD: no consent, nothing on any channel
            await self._service.mark_without_consent(row)
            return
        if row.channel == "sms":  # --- seam: the SMS channel (sms_channel.py) sends and records
            async with self._slots:
                await self._sms_channel.deliver(row, contact, self._temporary, self._failed)
            return
        if not contact.email:  # her card lost its email since: her other channel (sms.py)
            await self._failed(row, "pas d'adresse électronique", permanent=True)
            return
        # Built before taking a slot (the batch's emails are built as its coroutines start, so the
        # sends then follow one another without CPU between them); in worker processes when there
        # are some, else on the loop, not in a thread: a thread was slower (each socket call waits
        # to take the GIL back, docs/performance.md).
        try:
            message = await self._build(row, contact)
        except PermanentFailure as error:  # no sender or no recipient: retrying will not help
            await self._failed(row, str(error), permanent=True)
            return
        except Exception as error:  # e.g. an address that cannot be encoded: retrying will not help
            log.exception("delivery could not be built", delivery_id=str(row.delivery_id))
            await self._failed(row, f"erreur interne : {type(error).__name__}", permanent=True)
            return
        # The slot is held until the outcome is committed: at most `smtp_concurrency` messages are
        # ever accepted by SMTP and not yet recorded (what a crash can re-send, same Message-ID).
        async with self._slots:
            try:
                if isinstance(message, WireMessage):
                    assert self._wire is not None, "only built as bytes for a wire transport"
                    await self._wire.send_wire(message)
                else:
                    await self._transport.send(message)
            except TemporaryFailure as error:
                await self._temporary(row, str(error))
            except PermanentFailure as error:
                await self._failed(row, str(error), permanent=True)
            except Exception as error:  # e.g. an address that cannot be encoded: retrying will not help
                log.exception("delivery could not be built or sent", delivery_id=str(row.delivery_id))
                await self._failed(row, f"erreur interne : {type(error).__name__}", permanent=True)
            else:
                await self._recorded.sent(row, subject_for(row.kind, row.context))

    async def _build(self, row: DeliveryRecord, contact: ContactRecord) -> EmailMessage | WireMessage:
        assert contact.email, "checked by _deliver"
        if self._builder is not None:
            return await self._builder.build(
                EmailJob(
                    delivery_id=row.delivery_id,
                    kind=row.kind,
                    category=row.category,
                    reason=row.reason,
                    context=dict(row.context),
                    member_id=row.member_id,
                    display_name=contact.display_name,
                    email=contact.email,
                    now=self._service.clock(),
                )
            )
        return build_email(
            self._mail,
            delivery_id=row.delivery_id,
            kind=row.kind,
            category=row.category,
            reason=row.reason,
            context=row.context,
            member_id=row.member_id,
            display_name=contact.display_name,
            email=contact.email,
            now=self._service.clock(),
        )

    async def _temporary(self, row: DeliveryRecord, error: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self._settings.sender_max_attempts:
            await self._failed(row, f"abandon après {attempts} tentatives : {error}", permanent=False)
            return
        delay = retry_delay(attempts, self._settings.sender_backoff_seconds)
        log.info(
            "delivery failed temporarily, will retry", delivery_id=str(row.delivery_id), attempts=attempts
        )
        await self._service.retry_later(row, attempts=attempts, delay=delay, error=error)

    async def _no_contact(self, row: DeliveryRecord) -> None:
        # The contact card may simply not have arrived yet (another topic): wait a little.
        if row.attempts + 1 >= self._settings.missing_contact_attempts:
            await self._failed(row, "aucune coordonnée connue pour ce membre", permanent=True)
        else:
            await self._temporary(row, "coordonnées pas encore reçues")

    async def _failed(self, row: DeliveryRecord, error: str, *, permanent: bool) -> None:
        log.warning("delivery failed", delivery_id=str(row.delivery_id), permanent=permanent)
        await self._service.mark_failed(row, error, permanent=permanent)


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
        async with self._service.units.begin() as unit:
            done = await self._service.run_due_reminders(unit)
        digests = await self.run_digest_if_due()
        if (done or digests) and self._on_work is not None:
            self._on_work()
        return done

    async def run_digest_if_due(self) -> int:
        week = self._service.digest_week_due()
        if week is None:
            return 0
        async with self._service.units.begin() as unit:
            return await self._service.run_weekly_digest(unit, week)
