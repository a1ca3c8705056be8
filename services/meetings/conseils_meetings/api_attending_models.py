"""Request and response models of the barriers to attending: needs, the organiser's checklist,
cost claims, the attestation and its check."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from conseils_meetings.api_models import _In
from conseils_meetings.attending_records import ClaimLine, ClaimRecord, NeedRecord
from conseils_meetings.attending_rules import (
    CLAIM_LABELS,
    CLAIM_STATUS_LABELS,
    NEED_LABELS,
    NeedRequest,
    euros,
)
from conseils_meetings.attestation import AttestationCheck
from conseils_meetings.needs import NeedLine
from conseils_schemas.events import ClaimKind, NeedKind


class NeedIn(_In):
    kind: NeedKind
    children: int | None = Field(default=None, ge=1, le=10, description="Garde : nombre d'enfants.")
    ages: list[int] = Field(default_factory=list, max_length=10, description="Garde : âge de chaque enfant.")
    detail: str | None = Field(default=None, max_length=300, description="Précision (langue, autre besoin).")

    def request(self) -> NeedRequest:
        return NeedRequest(self.kind, self.children, tuple(self.ages), self.detail)


class NeedsIn(_In):
    needs: list[NeedIn] = Field(max_length=7, description="Tous ses besoins (une liste vide les retire).")


class NeedOut(BaseModel):
    id: uuid.UUID
    kind: str
    label: str
    children: int | None = None
    ages: list[int] = Field(default_factory=list)
    detail: str | None = None
    booked: bool

    @classmethod
    def of(cls, need: NeedRecord) -> NeedOut:
        return cls(
            id=need.id,
            kind=need.kind,
            label=NEED_LABELS.get(need.kind, need.kind),
            children=need.children,
            ages=list(need.children_ages),
            detail=need.detail,
            booked=need.booked_at is not None,
        )


class NeedLineOut(NeedOut):
    """A line of the organiser's checklist: whose need (member id), by when it must be booked."""

    member_id: uuid.UUID
    book_by: datetime
    booked_at: datetime | None = None
    registration_status: str | None = None

    @classmethod
    def of_line(cls, line: NeedLine) -> NeedLineOut:
        base = NeedOut.of(line.need).model_dump()
        return cls(
            **base,
            member_id=line.need.member_id,
            book_by=line.book_by,
            booked_at=line.need.booked_at,
            registration_status=line.registration_status,
        )


class BookedIn(_In):
    booked: bool


class ClaimOut(BaseModel):
    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID | None = None
    kind: str
    kind_label: str
    amount_cents: int
    amount: str = Field(description="Montant en toutes lettres, « 12,50 € ».")
    hours: float | None = None
    status: str
    status_label: str
    reason: str | None = None
    submitted_at: datetime
    decided_at: datetime | None = None
    paid_at: datetime | None = None

    @classmethod
    def of(cls, claim: ClaimRecord) -> ClaimOut:
        return cls(
            id=claim.id,
            instance_id=claim.instance_id,
            member_id=claim.member_id,
            council_id=claim.council_id,
            kind=claim.kind,
            kind_label=CLAIM_LABELS.get(claim.kind, claim.kind),
            amount_cents=claim.amount_cents,
            amount=euros(claim.amount_cents),
            hours=claim.hours,
            status=claim.status,
            status_label=CLAIM_STATUS_LABELS.get(claim.status, claim.status),
            reason=claim.reason,
            submitted_at=claim.submitted_at,
            decided_at=claim.decided_at,
            paid_at=claim.paid_at,
        )


class ClaimLineOut(ClaimOut):
    instance_title: str
    instance_type: str
    starts_at: datetime
    has_receipt: bool

    @classmethod
    def of_line(cls, line: ClaimLine) -> ClaimLineOut:
        return cls(
            **ClaimOut.of(line.claim).model_dump(),
            instance_title=line.instance_title,
            instance_type=line.instance_type,
            starts_at=line.starts_at,
            has_receipt=line.has_receipt,
        )


class DecisionIn(_In):
    decision: Literal["approved", "refused", "paid"]
    reason: str | None = Field(default=None, max_length=500)


class ClaimRules(BaseModel):
    """The territory's rules, shown on the claim form."""

    eligible: list[ClaimKind]
    childcare_per_hour: str
    childcare_per_instance: str
    transport_per_instance: str
    approved_by: str
    window_days: int
    max_receipt_bytes: int


class AttestationIn(_In):
    name: str = Field(min_length=2, max_length=200, description="Le nom imprimé (jamais conservé).")
    verify_url: str = Field(max_length=300, description="L'adresse publique de la page de vérification.")


class AttestationCheckIn(_In):
    code: str = Field(min_length=4, max_length=40)
    name: str | None = Field(default=None, max_length=200)


class AttestationCheckOut(BaseModel):
    valid: bool
    instance_title: str | None = None
    instance_type: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    name_matches: bool | None = Field(default=None, description="Nul quand aucun nom n'est donné.")

    @classmethod
    def of(cls, check: AttestationCheck) -> AttestationCheckOut:
        return cls(**vars(check))
