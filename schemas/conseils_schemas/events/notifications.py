"""Events of the notifications service: deliveries and staff alerts."""

from __future__ import annotations

import re
from typing import ClassVar, Final, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    Field,
    field_validator,
)

from .. import topics
from .base import (
    TYPE_PREFIX,
    Event,
)

# --------------------------------------------------------------------------- notifications.deliveries

_EMAIL_IN_TEXT_RE: Final = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+")
_PHONE_IN_TEXT_RE: Final = re.compile(r"(?<!\d)(?:\+\d{1,3}[ .-]?|0)[1-9](?:[ .-]?\d{2}){4}(?!\d)")


class _DeliveryEvent(Event):
    topic: ClassVar[str] = topics.NOTIFICATIONS_DELIVERIES
    key_field: ClassVar[str] = "member_id"

    delivery_id: UUID
    member_id: UUID
    channel: Literal["email", "sms"]
    category: Literal["scheduling", "dossier", "reminder", "minutes", "digest", "alert", "signin"]
    source_event_id: str = Field(description="ce_id of the event that caused the notification.")


class NotificationSent(_DeliveryEvent):
    """A notification was handed over to the email/SMS gateway."""

    event_type: ClassVar[str] = TYPE_PREFIX + "notifications.delivery.sent.v1"

    sent_at: AwareDatetime


class NotificationFailed(_DeliveryEvent):
    """A notification could not be delivered. Addresses in ``error`` are redacted."""

    event_type: ClassVar[str] = TYPE_PREFIX + "notifications.delivery.failed.v1"

    error: str
    permanent: bool
    failed_at: AwareDatetime

    @field_validator("error")
    @classmethod
    def _redact(cls, value: str) -> str:
        # SMTP errors often echo the recipient; keep contact data out of the event log.
        value = _EMAIL_IN_TEXT_RE.sub("<redacted-email>", value)
        return _PHONE_IN_TEXT_RE.sub("<redacted-phone>", value)


# --------------------------------------------------------------------------- alerts.staff


class StaffAlertRaised(Event):
    """A rule was broken; territory staff should act. ``message_fr`` must not name people."""

    event_type: ClassVar[str] = TYPE_PREFIX + "alerts.staff_alert.raised.v1"
    topic: ClassVar[str] = topics.STAFF_ALERTS
    key_field: ClassVar[str] = "subject_id"

    alert_id: UUID
    kind: Literal[
        "dossier_late",
        "daytime_political_instance",
        "short_notice",
        "theme_without_referent",
        "council_over_quota",
        "nobody_registered",
        "need_unbooked",
        "easy_read_missing",
        "participation_changed",
        "rota_without_member",
        "webhook_disabled",
        "webhook_failed",
    ]
    subject_id: UUID = Field(
        description="Id of the instance, council or member concerned (of the webhook endpoint for "
        "webhook_disabled and webhook_failed)."
    )
    message_fr: str
    raised_at: AwareDatetime
