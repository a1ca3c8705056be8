"""What the attending repository returns: a need declared, a cost claim, its receipt, an
attestation issued (frozen dataclasses; datetimes aware, UTC)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conseils_runtime.times import as_utc


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if isinstance(value, datetime) else value


def _required(value: datetime | None) -> datetime:
    aware = _aware(value)
    assert aware is not None
    return aware


@dataclass(frozen=True)
class NeedRecord:
    """A row of `needs`: what one councillor needs to come to one instance."""

    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    kind: str
    children: int | None
    children_ages: tuple[int, ...]
    detail: str | None
    booked_at: datetime | None
    alerted_at: datetime | None
    declared_at: datetime

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> NeedRecord:
        return cls(
            id=row["id"],
            instance_id=row["instance_id"],
            member_id=row["member_id"],
            kind=row["kind"],
            children=row["children"],
            children_ages=tuple(row["children_ages"] or ()),
            detail=row["detail"],
            booked_at=_aware(row["booked_at"]),
            alerted_at=_aware(row["alerted_at"]),
            declared_at=_required(row["declared_at"]),
        )


@dataclass(frozen=True)
class OpenNeed:
    """A need not booked yet, with its instance (the lead-time worker's input)."""

    need: NeedRecord
    instance_title: str
    instance_type: str
    starts_at: datetime


@dataclass(frozen=True)
class ClaimRecord:
    """A row of `cost_claims` (applied from the claim's events)."""

    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID | None
    kind: str
    amount_cents: int
    hours: float | None
    status: str
    reason: str | None
    submitted_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> ClaimRecord:
        return cls(
            id=row["id"],
            instance_id=row["instance_id"],
            member_id=row["member_id"],
            council_id=row["council_id"],
            kind=row["kind"],
            amount_cents=int(row["amount_cents"]),
            hours=float(row["hours"]) if row["hours"] is not None else None,
            status=row["status"],
            reason=row["reason"],
            submitted_at=_required(row["submitted_at"]),
            decided_at=_aware(row["decided_at"]),
            paid_at=_aware(row["paid_at"]),
        )


@dataclass(frozen=True)
class ClaimLine:
    """A claim with what the lists show of its instance."""

    claim: ClaimRecord
    instance_title: str
    instance_type: str
    starts_at: datetime
    has_receipt: bool


@dataclass(frozen=True)
class ReceiptRecord:
    claim_id: uuid.UUID
    member_id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    storage_name: str

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> ReceiptRecord:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class AttestationRecord:
    code: str
    instance_id: uuid.UUID
    member_id: uuid.UUID
    issued_at: datetime
