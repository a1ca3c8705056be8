"""Deliveries after they are planned: the sender's steps (claim due rows under a lease, read the
contact, record the outcome and its event in one transaction), a member's inbox, and the
delivery log for staff (with names) and operators (without)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from conseils_notifications.records import ContactRecord, DeliveryRecord
from conseils_notifications.sent_rows import SentRows
from conseils_notifications.sms import plan_fallback
from conseils_notifications.use_cases import NotificationsCore
from conseils_runtime.auth import Role
from conseils_runtime.outbox import emit_all
from conseils_runtime.write_queue import write_queue
from conseils_schemas import NotificationFailed, NotificationSent


@dataclass(frozen=True)
class LoggedDelivery:
    """A line of the delivery log; `display_name` only for the territory's staff."""

    delivery: DeliveryRecord
    display_name: str | None


class Deliveries(NotificationsCore):
    """Sending, inbox and delivery log."""

    async def claim_due_deliveries(self, *, limit: int, lease: timedelta, lock: bool) -> list[DeliveryRecord]:
        """Due deliveries, marked `sending` until the lease ends (then due again if the sender died).
        `lock` (PostgreSQL): the rows are claimed `FOR UPDATE SKIP LOCKED`, so a row is never
        claimed by two senders at once: an email goes out at most once per event and recipient."""
        now = self.clock()
        async with write_queue(self.units.database), self.units.begin() as unit:
            return await unit.repo.claim_due_deliveries(
                now=now, lease_until=now + lease, limit=limit, lock=lock
            )

    async def contacts_of(self, member_ids: Iterable[UUID]) -> dict[UUID, ContactRecord]:
        """The contact cards of a claimed batch, in one read (the sender reads them once per batch)."""
        async with self.units.reading() as repo:
            return await repo.contacts(member_ids)

    async def mark_sent(self, delivery: DeliveryRecord, subject: str) -> None:
        await self.mark_sent_many([(delivery, subject)])

    async def mark_sent_many(self, sent: Sequence[tuple[DeliveryRecord, str]]) -> None:
        """`sent` and its NotificationSent for each delivery, all in one transaction (the sender's
        group commit): each delivery row is still recorded exactly once, with its own event."""
        now = self.clock()
        events = [
            NotificationSent(
                delivery_id=delivery.delivery_id,
                member_id=delivery.member_id,
                channel=delivery.channel,
                category=delivery.category,
                source_event_id=delivery.source_event_id,
                sent_at=now,
            )
            for delivery, _ in sent
        ]
        async with write_queue(self.units.database), self.units.begin() as unit:
            # One UPDATE and one outbox INSERT for the whole group (executemany), not one per row.
            await SentRows(unit.session).mark_sent(sent, sent_at=now)
            await emit_all(unit, events)

    async def mark_without_consent(self, delivery: DeliveryRecord) -> None:
        """She did not agree to be contacted: nothing goes out, staff see "pas de consentement"."""
        async with write_queue(self.units.database), self.units.begin() as unit:
            await unit.repo.update_delivery(
                delivery.delivery_id, status="no_consent", last_error="pas de consentement"
            )

    async def retry_later(
        self, delivery: DeliveryRecord, *, attempts: int, delay: timedelta, error: str
    ) -> None:
        async with write_queue(self.units.database), self.units.begin() as unit:
            await unit.repo.update_delivery(
                delivery.delivery_id,
                status="pending",
                attempts=attempts,
                next_attempt_at=self.clock() + delay,
                last_error=error[:2000],
            )

    async def mark_failed(self, delivery: DeliveryRecord, error: str, *, permanent: bool) -> None:
        now = self.clock()
        async with write_queue(self.units.database), self.units.begin() as unit:
            await unit.repo.update_delivery(
                delivery.delivery_id, status="failed", attempts=delivery.attempts + 1, last_error=error[:2000]
            )
            await unit.emit(
                NotificationFailed(
                    delivery_id=delivery.delivery_id,
                    member_id=delivery.member_id,
                    channel=delivery.channel,
                    category=delivery.category,
                    source_event_id=delivery.source_event_id,
                    error=error[:500],
                    permanent=permanent,
                    failed_at=now,
                )
            )
            # Her other channel, in the same transaction (sms.py: bounce -> SMS, SMS -> email).
            await plan_fallback(self, unit, delivery, permanent=permanent)

    async def inbox(self, member_id: UUID, limit: int = 50) -> list[DeliveryRecord]:
        """What was sent to her, newest first; `limit` is kept between 1 and 200."""
        async with self.units.reading() as repo:
            return await repo.deliveries(
                member_id=member_id, status="sent", newest="sent_at", limit=min(max(limit, 1), 200)
            )

    async def delivery_log(
        self,
        role: Role,
        *,
        instance_id: UUID | None = None,
        member_id: UUID | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[LoggedDelivery]:
        """Who got what, when, with which outcome. Names are shown to staff, never to operators."""
        async with self.units.reading() as repo:
            rows = await repo.deliveries(
                instance_id=instance_id, member_id=member_id, status=status, limit=min(max(limit, 1), 1000)
            )
            names = await repo.display_names({row.member_id for row in rows}) if role == "staff" else {}
        return [LoggedDelivery(row, names.get(row.member_id)) for row in rows]
