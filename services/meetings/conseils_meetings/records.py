"""What the repository returns: typed, immutable records of the meetings tables (no SQLAlchemy
row leaves `repository.py`). Datetimes are aware (UTC). `as_dict()` gives the fields by name,
as the HTTP models (`api_models.py`) read them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from conseils_meetings.domain import InstanceAggregate, Mode, RegistrationStatus, Seat
from conseils_runtime.times import as_utc


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if isinstance(value, datetime) else value


def _required(value: datetime | None) -> datetime:
    aware = _aware(value)
    assert aware is not None
    return aware


@dataclass(frozen=True)
class InstanceRecord:
    """A row of `instances`: an instance as its facts made it."""

    id: uuid.UUID
    instance_type: str
    title: str
    theme: str | None
    city_code: str | None
    council_id: uuid.UUID | None
    scope: str
    starts_at: datetime
    ends_at: datetime
    location: str
    status: str
    is_political: bool
    is_evening: bool
    observers_allowed: bool
    sequence: int
    policy_warnings: tuple[str, ...]
    created_at: datetime
    scheduled_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    held_at: datetime | None
    dossier_version: int
    first_dossier_published_at: datetime | None
    dossier_published_at: datetime | None
    dossier_late_alerted_at: datetime | None
    minutes_summary: str | None
    minutes_published_at: datetime | None
    waitlist_counter: int

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> InstanceRecord:
        return cls(
            id=row["id"],
            instance_type=row["instance_type"],
            title=row["title"],
            theme=row["theme"],
            city_code=row["city_code"],
            council_id=row["council_id"],
            scope=row["scope"],
            starts_at=_required(row["starts_at"]),
            ends_at=_required(row["ends_at"]),
            location=row["location"],
            status=row["status"],
            is_political=bool(row["is_political"]),
            is_evening=bool(row["is_evening"]),
            observers_allowed=bool(row["observers_allowed"]),
            sequence=int(row["sequence"]),
            policy_warnings=tuple(row["policy_warnings"] or ()),
            created_at=_required(row["created_at"]),
            scheduled_at=_aware(row["scheduled_at"]),
            cancelled_at=_aware(row["cancelled_at"]),
            cancel_reason=row["cancel_reason"],
            held_at=_aware(row["held_at"]),
            dossier_version=int(row["dossier_version"]),
            first_dossier_published_at=_aware(row["first_dossier_published_at"]),
            dossier_published_at=_aware(row["dossier_published_at"]),
            dossier_late_alerted_at=_aware(row["dossier_late_alerted_at"]),
            minutes_summary=row["minutes_summary"],
            minutes_published_at=_aware(row["minutes_published_at"]),
            waitlist_counter=int(row["waitlist_counter"]),
        )

    def aggregate(self) -> InstanceAggregate:
        """The instance as the domain's aggregate sees it (its state and counters)."""
        return InstanceAggregate(
            status=self.status,
            sequence=self.sequence,
            dossier_version=self.dossier_version,
            first_dossier_published_at=self.first_dossier_published_at,
        )

    def as_dict(self) -> dict[str, Any]:
        values = _fields(self)
        values["policy_warnings"] = list(self.policy_warnings)
        return values


@dataclass(frozen=True)
class RegistrationRecord:
    """A row of `registrations`; `position` is her rank on the waiting list when it was asked for."""

    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: Mode
    status: RegistrationStatus
    waitlist_seq: int
    created_at: datetime
    updated_at: datetime
    position: int | None = None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> RegistrationRecord:
        return cls(
            id=row["id"],
            instance_id=row["instance_id"],
            member_id=row["member_id"],
            council_id=row["council_id"],
            mode=row["mode"],
            status=row["status"],
            waitlist_seq=int(row["waitlist_seq"]),
            created_at=_required(row["created_at"]),
            updated_at=_required(row["updated_at"]),
        )

    def seat(self) -> Seat:
        return Seat(self.id, self.council_id, self.mode, self.status, self.waitlist_seq)

    def as_dict(self) -> dict[str, Any]:
        return _fields(self)


@dataclass(frozen=True)
class MemberRegistrationRecord:
    """One of her registrations, with the instance it is for."""

    registration: RegistrationRecord
    title: str
    starts_at: datetime
    instance_status: str

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> MemberRegistrationRecord:
        return cls(
            registration=RegistrationRecord.of(row),
            title=row["title"],
            starts_at=_required(row["starts_at"]),
            instance_status=row["instance_status"],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.registration.as_dict(),
            "title": self.title,
            "starts_at": self.starts_at,
            "instance_status": self.instance_status,
        }


def _fields(record: Any) -> dict[str, Any]:
    return {field.name: getattr(record, field.name) for field in fields(record)}


@dataclass(frozen=True)
class InstanceDetail:
    """An instance with what its page shows: its type's name, the councils concerned, the
    registration counts and closing time, the latest documents of its dossier and minutes."""

    instance: InstanceRecord
    instance_type_name: str
    concerned_council_ids: list[uuid.UUID]
    counts: dict[str, int]
    registration_closes_at: datetime
    dossier_documents: list[dict[str, Any]]
    minutes_documents: list[dict[str, Any]]
    dossier_notice_days_required: int

    @property
    def id(self) -> uuid.UUID:
        return self.instance.id

    @property
    def status(self) -> str:
        return self.instance.status

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.instance.as_dict(),
            "instance_type_name": self.instance_type_name,
            "concerned_council_ids": self.concerned_council_ids,
            "counts": self.counts,
            "registration_closes_at": self.registration_closes_at,
            "dossier_documents": self.dossier_documents,
            "minutes_documents": self.minutes_documents,
            "dossier_notice_days_required": self.dossier_notice_days_required,
        }
