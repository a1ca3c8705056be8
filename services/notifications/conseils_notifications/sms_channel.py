"""The SMS channel as the delivery sender uses it (its one seam in tasks.py): for each pending
SMS delivery, just before sending, is she still reachable by SMS (consent, a number, no STOP),
is it quiet hours (deferred to their end, not dropped), is the number valid; then the
one-segment GSM-7 text with its short signed link, through the gateway with a delivery report.
The presence prompt's link is hers (`presence_short_link`: the short form of the signed action
link, straight to the page where she types the attendance code), and so is the J-1 reminder's
to a registrant (`confirm_short_link`: « Je viens », the email's first button); the others the
instance's.

Why only « Je viens » in the J-1 SMS: two short action links (about 90 characters each with
the site's address) cannot share one 160-character segment, no SMS answer cancels, and the
« Je viens » page is one action's credential (it offers no cancel button). She cancels as
before from the site (the page links to the instance once she signs in, by SMS code too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from conseils_notifications.mail import PRESENCE_ANSWER_DAYS, subject_for
from conseils_notifications.records import ContactRecord, DeliveryRecord
from conseils_notifications.service import NotificationsService
from conseils_notifications.sms_rules import (
    QuietHours,
    may_text,
    normalise_phone,
    report_signature,
    short_link_token,
)
from conseils_notifications.sms_settings import SmsSettings, territory_sms_rules
from conseils_notifications.sms_text import SEGMENT, septets, sms_body
from conseils_notifications.transport import PermanentFailure, SmsGateway, TemporaryFailure
from conseils_runtime.action_links import sign_short_action
from conseils_runtime.errors import DomainError
from conseils_runtime.logs import get_logger

log = get_logger(__name__)

OnTemporary = Callable[[DeliveryRecord, str], Awaitable[None]]


class OnFailed(Protocol):
    def __call__(self, row: DeliveryRecord, error: str, *, permanent: bool) -> Awaitable[None]: ...


def presence_short_link(public_base_url: str, secret: str, row: DeliveryRecord) -> str | None:
    """The presence prompt's link for her, short enough for one segment: the site's
    « Étiez-vous présent·e ? » page (`/presence/`), where she types the attendance code, valid
    as the email's (`PRESENCE_ANSWER_DAYS` after the end); None when it is not a prompt."""
    instance = row.context.get("instance")
    if row.kind != "presence" or not isinstance(instance, dict) or not instance.get("ends_at"):
        return None
    ends_at = datetime.fromisoformat(str(instance["ends_at"]))
    until = ends_at + timedelta(days=PRESENCE_ANSWER_DAYS)
    token = sign_short_action(secret, row.member_id, UUID(str(instance["instance_id"])), "present", until)
    return f"{public_base_url}/presence/{token}"


CONFIRM_LABEL = "Je viens :"
CONFIRM_ROOM = 40
"""Septets the J-1 SMS keeps for what and when besides « Je viens : <link> »: a longer public
address gets the instance's short link instead (never a text that says nothing)."""


def confirm_short_link(public_base_url: str, secret: str, row: DeliveryRecord, now: datetime) -> str | None:
    """The J-1 reminder's « Je viens » for a registrant, in one segment: the short form of the
    email's link (`/action/`, the same page and button, valid until the instance starts, to the
    end of that day), labelled; None when it is not that reminder, the instance has started, or
    the address is too long to leave room for the date."""
    instance = row.context.get("instance")
    if row.kind != "reminder" or row.reason != "registered" or row.context.get("days_before") != 1:
        return None
    if (
        not isinstance(instance, dict)
        or instance.get("status") == "cancelled"
        or not instance.get("starts_at")
    ):
        return None
    starts_at = datetime.fromisoformat(str(instance["starts_at"]))
    if now >= starts_at:
        return None
    token = sign_short_action(secret, row.member_id, UUID(str(instance["instance_id"])), "confirm", starts_at)
    labelled = f"{CONFIRM_LABEL} {public_base_url}/action/{token}"
    return labelled if septets(labelled) <= SEGMENT - CONFIRM_ROOM else None


def short_link(public_base_url: str, secret: str, instance_id: str | None) -> str:
    """The instance on the site, in 30 signed characters (the site forwards /notifications/s/)."""
    if not instance_id:
        return public_base_url
    return f"{public_base_url}/notifications/s/{short_link_token(secret, UUID(instance_id))}"


class SmsChannel:
    def __init__(
        self,
        service: NotificationsService,
        gateway: SmsGateway,
        settings: SmsSettings | None = None,
        *,
        public_base_url: str,
    ) -> None:
        self._service = service
        self._gateway = gateway
        self._settings = settings or SmsSettings()
        self._base = public_base_url.rstrip("/")
        territory = service.territory
        self.quiet: QuietHours = territory_sms_rules(territory).quiet_hours(territory.territory.timezone)

    def text(self, row: DeliveryRecord) -> str:
        instance = row.context.get("instance")
        instance_id = str(instance["instance_id"]) if isinstance(instance, dict) else None
        secret = self._service.settings.auth_secret
        link = (
            presence_short_link(self._base, secret, row)
            or confirm_short_link(self._base, secret, row, self._service.clock())
            or short_link(self._base, secret, instance_id)
        )
        return sms_body(row.kind, row.context, link=link, timezone=self._service.territory.territory.timezone)

    def report_url(self, row: DeliveryRecord) -> str:
        signature = report_signature(self._service.settings.auth_secret, row.delivery_id)
        base = self._settings.callback_base_url.rstrip("/")
        return f"{base}/notifications/sms/dlr?d={row.delivery_id}&sig={signature}&status=%d"

    async def deliver(
        self, row: DeliveryRecord, contact: ContactRecord, temporary: OnTemporary, failed: OnFailed
    ) -> None:
        """Sent, deferred, retried later (`temporary`) or failed (`failed`, then her other channel)."""
        service = self._service
        standing = await service.sms_standing(row.member_id)  # read now: a STOP during a send counts
        consented = contact.consent_given_at is not None
        refusal = may_text(standing, has_phone=bool(contact.phone), consented=consented)
        if refusal is not None:
            await failed(row, refusal, permanent=True)
            return
        now = service.clock()
        resume = self.quiet.next_allowed(now)
        if resume is not None:
            await service.retry_later(
                row, attempts=row.attempts, delay=resume - now, error="heures calmes : envoi différé"
            )
            return
        try:
            number = normalise_phone(contact.phone or "", self._settings.country_code)
        except DomainError:
            await failed(row, "numéro de téléphone invalide", permanent=True)
            return
        text = self.text(row)
        await service.sms_submitted(row, septets(text))
        try:
            if getattr(self._gateway, "reports_delivery", False):
                await self._gateway.send(number, text, dlr_url=self.report_url(row))  # type: ignore[call-arg]
            else:
                await self._gateway.send(number, text)
        except TemporaryFailure as error:
            await temporary(row, str(error))
        except PermanentFailure as error:
            await failed(row, str(error), permanent=True)
        else:
            await service.mark_sent(row, subject_for(row.kind, row.context))
