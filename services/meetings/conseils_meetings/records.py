"""What the repository returns: typed, immutable records of the meetings tables (no SQLAlchemy
row leaves `repository.py`). Datetimes are aware (UTC). `as_dict()` gives the fields by name,
as the HTTP models (`api_models.py`) read them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from conseils_meetings.domain import (
    InstanceAggregate,
    Mode,
    RegistrationAccess,
    RegistrationStatus,
    Seat,
)
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
    description: str | None = None
    other_attendees: tuple[dict[str, Any], ...] = ()

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
            description=row.get("description"),
            other_attendees=tuple(row.get("other_attendees") or ()),
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
        values["other_attendees"] = list(self.other_attendees)
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
    ends_at: datetime | None = None
    cancel_reason: str | None = None
    minutes_published_at: datetime | None = None
    present: bool | None = None
    """Marked present at the instance; None until its attendance is recorded (or not asked)."""

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> MemberRegistrationRecord:
        return cls(
            registration=RegistrationRecord.of(row),
            title=row["title"],
            starts_at=_required(row["starts_at"]),
            instance_status=row["instance_status"],
            ends_at=_aware(row.get("ends_at")),
            cancel_reason=row.get("cancel_reason"),
            minutes_published_at=_aware(row.get("minutes_published_at")),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.registration.as_dict(),
            "title": self.title,
            "starts_at": self.starts_at,
            "instance_status": self.instance_status,
            "ends_at": self.ends_at,
            "cancel_reason": self.cancel_reason,
            "minutes_published_at": self.minutes_published_at,
            "present": self.present,
        }


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in fields(kind))
    return names


def _fields(record: Any) -> dict[str, Any]:
    """The record's fields by name (their names read once per class: `dataclasses.fields` was 12 %
    of the staff instance list's CPU)."""
    return {name: getattr(record, name) for name in _field_names(type(record))}


@dataclass(frozen=True)
class MemberRecord:
    """A row of the read model's `members` (her current state, from the registry's facts)."""

    member_id: uuid.UUID
    council_id: uuid.UUID | None
    role: str
    themes_followed: tuple[str, ...]
    active: bool
    erased: bool

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> MemberRecord:
        return cls(
            member_id=row["member_id"],
            council_id=row["council_id"],
            role=row["role"],
            themes_followed=tuple(row["themes_followed"] or ()),
            active=bool(row["active"]),
            erased=bool(row["erased"]),
        )


@dataclass(frozen=True)
class DocumentRecord:
    """A row of `documents`: one version of a file of a dossier or of the minutes."""

    id: uuid.UUID
    instance_id: uuid.UUID
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    storage_name: str
    version: int
    uploaded_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> DocumentRecord:
        return cls(
            id=row["id"],
            instance_id=row["instance_id"],
            kind=row["kind"],
            filename=row["filename"],
            media_type=row["media_type"],
            size_bytes=int(row["size_bytes"]),
            sha256=row["sha256"],
            storage_name=row["storage_name"],
            version=int(row["version"]),
            uploaded_at=_required(row["uploaded_at"]),
            published_at=_aware(row["published_at"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return _fields(self)


@dataclass(frozen=True)
class AttendanceRecord:
    """A row of `attendance`: she was present (her council then, whether she was registered)."""

    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID | None
    registered: bool

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> AttendanceRecord:
        return cls(row["instance_id"], row["member_id"], row["council_id"], bool(row["registered"]))

    def as_dict(self) -> dict[str, Any]:
        return _fields(self)


@dataclass(frozen=True)
class OutcomeUpdateRecord:
    """A row of `outcome_updates`: one step of an outcome's history."""

    id: uuid.UUID
    outcome_id: uuid.UUID
    position: int
    status: str
    note: str
    at: datetime

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> OutcomeUpdateRecord:
        return cls(
            id=row["id"],
            outcome_id=row["outcome_id"],
            position=int(row["position"]),
            status=row["status"],
            note=row["note"],
            at=_required(row["at"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return _fields(self)


@dataclass(frozen=True)
class OutcomeRecord:
    """A row of `outcomes` (a council's proposal or an elected official's commitment), with its
    history when it was read with it."""

    id: uuid.UUID
    kind: str
    text: str
    made_by: str
    made_on: date
    council_id: uuid.UUID | None
    instance_id: uuid.UUID | None
    theme: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    history: tuple[OutcomeUpdateRecord, ...] = ()

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> OutcomeRecord:
        return cls(
            id=row["id"],
            kind=row["kind"],
            text=row["text"],
            made_by=row["made_by"],
            made_on=row["made_on"],
            council_id=row["council_id"],
            instance_id=row["instance_id"],
            theme=row["theme"],
            status=row["status"],
            created_at=_required(row["created_at"]),
            updated_at=_required(row["updated_at"]),
        )

    def as_dict(self) -> dict[str, Any]:
        values = _fields(self)
        values["history"] = [update.as_dict() for update in self.history]
        return values


@dataclass(frozen=True)
class InstanceDetail:
    """An instance with what its page shows: its type's name, the councils concerned, the
    registration counts and closing time, the latest documents of its dossier and minutes."""

    instance: InstanceRecord
    instance_type_name: str
    concerned_council_ids: list[uuid.UUID]
    counts: dict[str, int]
    registration_closes_at: datetime
    dossier_documents: list[DocumentRecord]
    minutes_documents: list[DocumentRecord]
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
            "dossier_documents": [document.as_dict() for document in self.dossier_documents],
            "minutes_documents": [document.as_dict() for document in self.minutes_documents],
            "dossier_notice_days_required": self.dossier_notice_days_required,
        }


@dataclass(frozen=True)
class HistoryEntry:
    """A past instance in her history: her registration, her presence (None until recorded), the
    published minutes (summary and files) if any."""

    instance: InstanceRecord
    instance_type_name: str
    registration: MemberRegistrationRecord | None
    present: bool | None
    minutes_summary: str | None
    minutes_documents: list[DocumentRecord]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.instance.as_dict(),
            "instance_type_name": self.instance_type_name,
            "registration": None if self.registration is None else self.registration.as_dict(),
            "present": self.present,
            "minutes_summary": self.minutes_summary,
            "minutes_documents": [document.as_dict() for document in self.minutes_documents],
        }


@dataclass(frozen=True)
class MemberHistory:
    """Her past instances (newest first) and all her registrations (newest instance first)."""

    instances: list[HistoryEntry]
    registrations: list[MemberRegistrationRecord]


@dataclass(frozen=True)
class AgendaEntry:
    """An instance of a councillor's agenda: whether it concerns her council and who may
    register how."""

    instance: InstanceRecord
    her_council_concerned: bool
    access: RegistrationAccess

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.instance.as_dict(),
            "her_council_concerned": self.her_council_concerned,
            "access": self.access,
        }


@dataclass(frozen=True)
class MemberView:
    """One instance as the signed-in councillor sees it: who may register how, and her
    presence once attendance is recorded (None before, or for an instance not held)."""

    access: RegistrationAccess
    present: bool | None
