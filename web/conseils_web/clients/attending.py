"""The meetings service's barriers-to-attending endpoints as the site uses them: her needs to
come and the organiser's checklist, cost claims and their decisions, the finance CSV, the
attestation and its check, the easy-to-read documents, the bilan of the barriers lifted."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import (
    DOWNLOAD,
    ApiModel,
    Caller,
    Download,
    Endpoint,
    RequestModel,
    ServiceClient,
)


class Need(ApiModel):
    id: uuid.UUID
    kind: str
    label: str
    children: int | None = None
    ages: list[int] = Field(default_factory=list)
    detail: str | None = None
    booked: bool


class NeedLine(Need):
    member_id: uuid.UUID
    book_by: datetime
    booked_at: datetime | None = None
    registration_status: str | None = None


class NeedIn(RequestModel):
    kind: str
    children: int | None = None
    ages: list[int] = Field(default_factory=list)
    detail: str | None = None


class NeedsIn(RequestModel):
    needs: list[NeedIn]


class Booked(RequestModel):
    booked: bool


class Claim(ApiModel):
    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID | None = None
    kind: str
    kind_label: str
    amount: str
    hours: float | None = None
    status: str
    status_label: str
    reason: str | None = None
    submitted_at: datetime


class ClaimLine(Claim):
    instance_title: str
    instance_type: str
    starts_at: datetime
    has_receipt: bool


class ClaimRules(ApiModel):
    eligible: list[str]
    childcare_per_hour: str
    childcare_per_instance: str
    transport_per_instance: str
    approved_by: str
    window_days: int
    max_receipt_bytes: int


class Decision(RequestModel):
    decision: str
    reason: str | None = None


class AttestationRequest(RequestModel):
    name: str
    verify_url: str


class AttestationCheck(RequestModel):
    code: str
    name: str | None = None


class AttestationResult(ApiModel):
    valid: bool
    instance_title: str | None = None
    instance_type: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    name_matches: bool | None = None


class EasyReadDocument(ApiModel):
    id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    published_at: datetime | None = None


class AttendingClient(ServiceClient):
    service = "meetings"

    MY_NEEDS = Endpoint("GET", "/instances/{instance_id}/needs/me", TypeAdapter(list[Need]))
    DECLARE_NEEDS = Endpoint(
        "PUT", "/instances/{instance_id}/needs/me", TypeAdapter(list[Need]), body=NeedsIn
    )
    CHECKLIST = Endpoint("GET", "/instances/{instance_id}/needs", TypeAdapter(list[NeedLine]))
    BOOKED = Endpoint(
        "PUT", "/instances/{instance_id}/needs/{need_id}/booked", TypeAdapter(list[NeedLine]), body=Booked
    )
    RULES = Endpoint("GET", "/claims/rules", TypeAdapter(ClaimRules))
    CLAIM = Endpoint(
        "POST",
        "/instances/{instance_id}/claims",
        TypeAdapter(Claim),
        form=("kind", "amount", "hours", "receipt"),
    )
    MY_CLAIMS = Endpoint("GET", "/me/claims", TypeAdapter(list[ClaimLine]))
    CLAIMS = Endpoint("GET", "/claims", TypeAdapter(list[ClaimLine]), query=("status",))
    CLAIMS_CSV = Endpoint("GET", "/claims/export.csv", DOWNLOAD, query=("from", "to"), raw=True)
    DECIDE = Endpoint("POST", "/claims/{claim_id}/decision", TypeAdapter(Claim), body=Decision)
    RECEIPT = Endpoint("GET", "/claims/{claim_id}/receipt", DOWNLOAD, raw=True)
    ATTESTATION = Endpoint(
        "POST", "/me/attestations/{instance_id}", DOWNLOAD, body=AttestationRequest, raw=True
    )
    CHECK = Endpoint("POST", "/attestations/check", TypeAdapter(AttestationResult), body=AttestationCheck)
    EASY_READ = Endpoint("GET", "/instances/{instance_id}/easy-read", TypeAdapter(list[EasyReadDocument]))
    BILAN = Endpoint("GET", "/bilan/attending", TypeAdapter(dict[str, object]), query=("from", "to"))

    async def my_needs(self, token: Caller, instance_id: object) -> list[Need]:
        return await self.call(self.MY_NEEDS, token, path={"instance_id": instance_id})

    async def declare_needs(self, token: Caller, instance_id: object, needs: list[NeedIn]) -> list[Need]:
        return await self.call(
            self.DECLARE_NEEDS, token, path={"instance_id": instance_id}, body=NeedsIn(needs=needs)
        )

    async def checklist(self, token: Caller, instance_id: object) -> list[NeedLine]:
        return await self.call(self.CHECKLIST, token, path={"instance_id": instance_id})

    async def set_booked(
        self, token: Caller, instance_id: object, need_id: object, booked: bool
    ) -> list[NeedLine]:
        path = {"instance_id": instance_id, "need_id": need_id}
        return await self.call(self.BOOKED, token, path=path, body=Booked(booked=booked))

    async def rules(self, token: Caller) -> ClaimRules:
        return await self.call(self.RULES, token)

    async def claim(
        self,
        token: Caller,
        instance_id: object,
        fields: dict[str, str],
        receipt: tuple[str, bytes, str] | None,
    ) -> Claim:
        files = {"receipt": receipt} if receipt is not None else None
        return await self.call(self.CLAIM, token, path={"instance_id": instance_id}, form=fields, files=files)

    async def my_claims(self, token: Caller) -> list[ClaimLine]:
        return await self.call(self.MY_CLAIMS, token)

    async def claims(self, token: Caller, status: str | None = None) -> list[ClaimLine]:
        return await self.call(self.CLAIMS, token, query={"status": status} if status else None)

    async def claims_csv(self, token: Caller, start: str, end: str) -> Download:
        return await self.call(self.CLAIMS_CSV, token, query={"from": start, "to": end})

    async def decide(self, token: Caller, claim_id: object, decision: str, reason: str | None) -> Claim:
        body = Decision(decision=decision, reason=reason)
        return await self.call(self.DECIDE, token, path={"claim_id": claim_id}, body=body)

    async def receipt(self, token: Caller, claim_id: object) -> Download:
        return await self.call(self.RECEIPT, token, path={"claim_id": claim_id})

    async def attestation(self, token: Caller, instance_id: object, name: str, verify_url: str) -> Download:
        body = AttestationRequest(name=name, verify_url=verify_url)
        return await self.call(self.ATTESTATION, token, path={"instance_id": instance_id}, body=body)

    async def check(self, token: Caller, code: str, name: str | None) -> AttestationResult:
        return await self.call(self.CHECK, token, body=AttestationCheck(code=code, name=name))

    async def easy_read(self, token: Caller, instance_id: object) -> list[EasyReadDocument]:
        return await self.call(self.EASY_READ, token, path={"instance_id": instance_id})

    async def bilan(self, token: Caller, start: str, end: str) -> dict[str, object]:
        return await self.call(self.BILAN, token, query={"from": start, "to": end})
