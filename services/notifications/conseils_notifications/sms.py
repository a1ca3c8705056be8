"""Use cases of the SMS channel: what the contact card says (her number's hash), the answers
people send (STOP honoured at once), delivery reports (applied once per message), and the
fallback to her other channel when one fails (an email refused for good -> SMS if she has a
phone and consented; an SMS that cannot be sent -> email)."""

from __future__ import annotations

from uuid import UUID

from conseils_notifications.domain import PlannedDelivery
from conseils_notifications.records import DeliveryRecord
from conseils_notifications.sms_repository import SmsMessageRecord, SmsRepository
from conseils_notifications.sms_rules import (
    START_REPLY,
    STOP_REPLY,
    SmsStanding,
    check_report_signature,
    is_start,
    is_stop,
    mask_phone,
    may_text,
    phone_key,
)
from conseils_notifications.use_cases import NotificationsCore, Unit
from conseils_runtime.database import after_commit
from conseils_runtime.errors import DomainError
from conseils_runtime.logs import get_logger
from conseils_schemas import MemberContactCard

log = get_logger(__name__)

REPORTS = {1: "delivered", 2: "undeliverable", 16: "rejected"}
"""Kannel's final `%d` values; 4 (buffered) and 8 (submitted to the SMSC) are not final."""


def _key(secret: str, phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return phone_key(secret, phone)
    except DomainError:
        return None


async def record_sms_card(core: NotificationsCore, unit: Unit, card: MemberContactCard) -> None:
    """Called with every contact card (read_model.py): her number's hash."""
    await SmsRepository(unit.session).save_card(
        card.member_id, phone_key=_key(core.settings.auth_secret, card.phone), now=core.clock()
    )


async def forget_sms(unit: Unit, member_id: UUID) -> None:
    """Tombstone or erasure: the SMS channel forgets her too."""
    await SmsRepository(unit.session).forget(member_id)


async def plan_fallback(
    core: NotificationsCore, unit: Unit, delivery: DeliveryRecord, *, permanent: bool
) -> bool:
    """In the transaction that records `delivery` as failed: the same message on her other
    channel, when it may go there. Once per (event, member, channel), like every delivery."""
    contact = await unit.repo.contact(delivery.member_id)
    if contact is None:
        return False
    if delivery.channel == "email":
        if not permanent:  # a mail server away for hours is not a bounce
            return False
        standing = await SmsRepository(unit.session).standing(delivery.member_id)
        consented = contact.consent_given_at is not None
        if may_text(standing, has_phone=bool(contact.phone), consented=consented) is not None:
            return False
        channel = "sms"
    elif delivery.channel == "sms" and contact.email:
        channel = "email"
    else:
        return False
    added = await unit.repo.add_deliveries(
        source_event_id=delivery.source_event_id,
        kind=delivery.kind,
        category=delivery.category,
        instance_id=delivery.instance_id,
        planned=[PlannedDelivery(delivery.member_id, channel, delivery.reason, False)],  # type: ignore[arg-type]
        context=delivery.context,
        now=core.clock(),
    )
    if added:
        log.info("fallback planned", delivery_id=str(delivery.delivery_id), channel=channel)
        for callback in core.on_new_deliveries:
            after_commit(unit.session, callback)
    return bool(added)


class SmsMessages(NotificationsCore):
    """Answers, delivery reports, standing."""

    async def sms_standing(self, member_id: UUID) -> SmsStanding:
        async with self.units.reading() as repo:
            return await SmsRepository(repo.session).standing(member_id)

    async def sms_answer(self, sender: str, text: str) -> str | None:
        """An answer from a phone (Kannel's sms-service): STOP opts every person with that
        number out of SMS at once (a send in progress checks before each message); START
        undoes it. Returns the reply to text back, or None."""
        key = _key(self.settings.auth_secret, sender)
        stop, start = is_stop(text), is_start(text)
        if key is None or not (stop or start):
            return None
        now = self.clock()
        async with self.units.begin() as unit:
            sms = SmsRepository(unit.session)
            members = await sms.members_with_phone(key)
            await sms.set_opted_out(members, now if stop else None, now)
        log.info("sms answer", sender=mask_phone(sender), stop=stop, people=len(members))
        if not members:
            return None
        return STOP_REPLY if stop else START_REPLY

    async def sms_submitted(self, delivery: DeliveryRecord, septets: int) -> None:
        """Before the gateway call: the row its delivery report will update."""
        async with self.units.begin() as unit:
            await SmsRepository(unit.session).add_message(
                delivery.delivery_id, delivery.member_id, septets, self.clock()
            )

    async def sms_report(self, delivery_id: UUID, signature: str, status: int) -> bool:
        """A delivery report from the gateway: True when it changed the log (the first final
        report of that message); a repeated or intermediate one changes nothing."""
        check_report_signature(self.settings.auth_secret, delivery_id, signature)
        report = REPORTS.get(status)
        if report is None:
            return False
        async with self.units.begin() as unit:
            applied = await SmsRepository(unit.session).apply_report(delivery_id, report, self.clock())
        log.info("sms delivery report", delivery_id=str(delivery_id), report=report, applied=applied)
        return applied

    async def sms_message(self, delivery_id: UUID) -> SmsMessageRecord | None:
        async with self.units.reading() as repo:
            return await SmsRepository(repo.session).message(delivery_id)
