"""What the repository returns: typed, frozen records of the notifications tables (no
`RowMapping` or `dict[str, Any]` leaves the repository)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Self
from uuid import UUID

from conseils_notifications.alert_rules import AlertState
from conseils_notifications.domain import InstanceView


class _FromRow:
    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> Self:
        """The record of a table row (the columns it names; a row may have more)."""
        return cls(**{item.name: row[item.name] for item in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class ContactRecord(_FromRow):
    """A member's contact card, copied from the registry's compacted topic (personal data)."""

    member_id: UUID
    display_name: str
    email: str | None  # None: a v2 card, she is reached by SMS only
    phone: str | None
    language: str
    consent_given_at: datetime | None


@dataclass(frozen=True)
class InstanceRecord(_FromRow):
    """The local copy of an instance, as the meetings service announced it."""

    instance_id: UUID
    instance_type: str
    title: str
    theme: str | None
    city_code: str | None
    scope: str
    council_ids: tuple[UUID, ...]
    starts_at: datetime
    ends_at: datetime
    location: str
    sequence: int
    status: str
    dossier_published_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> Self:
        ids = tuple(UUID(str(value)) for value in row["council_ids"])  # JSON: strings
        return super().of({**row, "council_ids": ids})

    def view(self, *, open_pool: bool = False) -> InstanceView:
        """What the recipient rules need to know of it (`open_pool`: the territory's scenario)."""
        return InstanceView(
            instance_id=self.instance_id,
            scope=self.scope,  # type: ignore[arg-type]
            theme=self.theme,
            city_code=self.city_code,
            council_ids=self.council_ids,
            open_pool=open_pool,
        )


@dataclass(frozen=True)
class DeliveryRecord(_FromRow):
    """One message to one member on one channel about one source event (and its outcome)."""

    delivery_id: UUID
    source_event_id: str
    member_id: UUID
    channel: str
    category: str
    kind: str
    instance_id: UUID | None
    reason: str
    context: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    subject: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class DigestItem(_FromRow):
    """A delivery deferred to the weekly digest."""

    delivery_id: UUID
    member_id: UUID
    kind: str
    context: dict[str, Any]


@dataclass(frozen=True)
class ReminderRecord(_FromRow):
    """A reminder or staff check of an instance; a new `round` means a new reminder email."""

    reminder_id: UUID
    instance_id: UUID
    kind: str
    days_before: int
    due_at: datetime
    done_at: datetime | None
    round: int


@dataclass(frozen=True)
class StaffAlertRecord(_FromRow):
    """An alert for territory staff, raised here or by another service."""

    alert_id: UUID
    kind: str
    subject_id: UUID
    message_fr: str
    raised_at: datetime


@dataclass(frozen=True)
class StaffAlertView:
    """An alert as staff see it: the alert, and who acknowledged and resolved it, when."""

    alert: StaffAlertRecord
    state: AlertState


@dataclass(frozen=True)
class StaffAlertMailRecord(_FromRow):
    """An alert email to one staff address: one urgent alert, or a day's digest."""

    mail_id: UUID
    source: str
    email: str
    alert_ids: list[str]
    status: str
    attempts: int
