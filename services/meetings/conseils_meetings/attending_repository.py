"""The SQL of the barriers to attending (needs, claims, receipts, attestations), on the caller's
session; records from `attending_records`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.attending_records import (
    AttestationRecord,
    ClaimLine,
    ClaimRecord,
    NeedRecord,
    OpenNeed,
    ReceiptRecord,
)
from conseils_meetings.attending_rules import NeedRequest
from conseils_meetings.attending_tables import attestations, claim_receipts, cost_claims, needs, needs_counts
from conseils_meetings.instance_rules import BEFORE_HELD
from conseils_meetings.presence_tables import presence_attempts
from conseils_runtime.times import as_utc

_OPEN = BEFORE_HELD


class AttendingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ needs

    async def needs_of(self, instance_id: uuid.UUID, member_id: uuid.UUID | None = None) -> list[NeedRecord]:
        query = select(needs).where(needs.c.instance_id == instance_id)
        if member_id is not None:
            query = query.where(needs.c.member_id == member_id)
        rows = (await self.session.execute(query.order_by(needs.c.declared_at, needs.c.kind))).mappings()
        return [NeedRecord.of(row) for row in rows]

    async def replace_needs(
        self, instance_id: uuid.UUID, member_id: uuid.UUID, wanted: Sequence[NeedRequest], now: datetime
    ) -> None:
        """Her needs for the instance, as a whole: a kind she keeps keeps its booking."""
        current = {need.kind: need for need in await self.needs_of(instance_id, member_id)}
        kinds = {request.kind for request in wanted}
        gone = [need.id for kind, need in current.items() if kind not in kinds]
        if gone:
            await self.session.execute(delete(needs).where(needs.c.id.in_(gone)))
        for request in wanted:
            values: dict[str, Any] = {
                "children": request.children,
                "children_ages": list(request.ages) or None,
                "detail": request.detail,
            }
            kept = current.get(request.kind)
            if kept is None:
                await self.session.execute(
                    needs.insert().values(
                        id=uuid.uuid4(),
                        instance_id=instance_id,
                        member_id=member_id,
                        kind=request.kind,
                        declared_at=now,
                        **values,
                    )
                )
            else:
                await self.session.execute(update(needs).where(needs.c.id == kept.id).values(**values))

    async def need(self, need_id: uuid.UUID) -> NeedRecord | None:
        row = (await self.session.execute(select(needs).where(needs.c.id == need_id))).mappings().first()
        return NeedRecord.of(row) if row is not None else None

    async def set_need(self, need_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(update(needs).where(needs.c.id == need_id).values(**values))

    async def open_needs(self, now: datetime) -> list[OpenNeed]:
        """Needs not booked nor alerted yet, of instances still to come."""
        inst = tables.instances
        query = (
            select(needs, inst.c.title, inst.c.instance_type, inst.c.starts_at)
            .join(inst, inst.c.id == needs.c.instance_id)
            .where(needs.c.booked_at.is_(None), needs.c.alerted_at.is_(None))
            .where(inst.c.status.in_(_OPEN), inst.c.starts_at > now)
            .order_by(inst.c.starts_at)
        )
        return [
            OpenNeed(NeedRecord.of(row), row["title"], row["instance_type"], as_utc(row["starts_at"]))
            for row in (await self.session.execute(query)).mappings()
        ]

    async def delete_needs_of_instances_ended_before(self, cutoff: datetime) -> int:
        ended = select(tables.instances.c.id).where(tables.instances.c.ends_at < cutoff)
        result = await self.session.execute(delete(needs).where(needs.c.instance_id.in_(ended)))
        return int(getattr(result, "rowcount", 0) or 0)

    async def save_needs_count(
        self, instance_id: uuid.UUID, requested: dict[str, int], booked: dict[str, int], at: datetime
    ) -> None:
        await self.session.execute(delete(needs_counts).where(needs_counts.c.instance_id == instance_id))
        await self.session.execute(
            needs_counts.insert().values(
                instance_id=instance_id, requested=requested, booked=booked, counted_at=at
            )
        )

    async def needs_counts(
        self, instance_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[dict[str, int], dict[str, int]]]:
        rows = await self.session.execute(
            select(needs_counts).where(needs_counts.c.instance_id.in_(instance_ids))
        )
        return {row["instance_id"]: (dict(row["requested"]), dict(row["booked"])) for row in rows.mappings()}

    # ------------------------------------------------------------------ claims

    async def attended(self, instance_id: uuid.UUID, member_id: uuid.UUID) -> bool:
        att = tables.attendance
        query = select(exists().where(att.c.instance_id == instance_id, att.c.member_id == member_id))
        return bool(await self.session.scalar(query))

    async def has_claim(self, instance_id: uuid.UUID, member_id: uuid.UUID, kind: str) -> bool:
        query = select(
            exists().where(
                cost_claims.c.instance_id == instance_id,
                cost_claims.c.member_id == member_id,
                cost_claims.c.kind == kind,
                cost_claims.c.status != "refused",
            )
        )
        return bool(await self.session.scalar(query))

    async def insert_claim(self, **values: Any) -> None:
        await self.session.execute(cost_claims.insert().values(**values))

    async def update_claim(self, claim_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(update(cost_claims).where(cost_claims.c.id == claim_id).values(**values))

    async def claim(self, claim_id: uuid.UUID, *, lock: bool = False) -> ClaimRecord | None:
        query = select(cost_claims).where(cost_claims.c.id == claim_id)
        if lock and self.session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return ClaimRecord.of(row) if row is not None else None

    async def claim_lines(
        self,
        *,
        member_id: uuid.UUID | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ClaimLine]:
        inst = tables.instances
        has_receipt = exists().where(claim_receipts.c.claim_id == cost_claims.c.id)
        query = select(
            cost_claims, inst.c.title, inst.c.instance_type, inst.c.starts_at, has_receipt.label("r")
        ).join(inst, inst.c.id == cost_claims.c.instance_id)
        if member_id is not None:
            query = query.where(cost_claims.c.member_id == member_id)
        if status is not None:
            query = query.where(cost_claims.c.status == status)
        if since is not None:
            query = query.where(inst.c.starts_at >= since)
        if until is not None:
            query = query.where(inst.c.starts_at < until)
        rows = await self.session.execute(query.order_by(inst.c.starts_at.desc(), cost_claims.c.submitted_at))
        return [
            ClaimLine(
                ClaimRecord.of(row),
                row["title"],
                row["instance_type"],
                as_utc(row["starts_at"]),
                bool(row["r"]),
            )
            for row in rows.mappings()
        ]

    async def insert_receipt(self, receipt: ReceiptRecord) -> None:
        await self.session.execute(claim_receipts.insert().values(**receipt.__dict__))

    async def receipt(self, claim_id: uuid.UUID) -> ReceiptRecord | None:
        query = select(claim_receipts).where(claim_receipts.c.claim_id == claim_id)
        row = (await self.session.execute(query)).mappings().first()
        return ReceiptRecord.of(row) if row is not None else None

    async def council_names(self) -> dict[uuid.UUID, str]:
        rows = await self.session.execute(select(tables.councils.c.council_id, tables.councils.c.name))
        return {row.council_id: row.name for row in rows}

    # ------------------------------------------------------------------ attestations, erasure

    async def attestation(self, code: str) -> AttestationRecord | None:
        row = (
            (await self.session.execute(select(attestations).where(attestations.c.code == code)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return AttestationRecord(row["code"], row["instance_id"], row["member_id"], as_utc(row["issued_at"]))

    async def save_attestation(self, record: AttestationRecord) -> None:
        if await self.attestation(record.code) is None:
            await self.session.execute(attestations.insert().values(**record.__dict__))

    async def erase_member(self, member_id: uuid.UUID) -> list[str]:
        """Her needs, attestations, receipts and wrong attendance codes go (the claims stay: ids
        and amounts, for the accounts); the receipts' stored file names are returned, to delete
        the files."""
        names = list(
            await self.session.scalars(
                select(claim_receipts.c.storage_name).where(claim_receipts.c.member_id == member_id)
            )
        )
        await self.session.execute(delete(needs).where(needs.c.member_id == member_id))
        await self.session.execute(delete(attestations).where(attestations.c.member_id == member_id))
        await self.session.execute(delete(claim_receipts).where(claim_receipts.c.member_id == member_id))
        # The wrong attendance codes she typed (a local guard, never in the log) go with her too.
        attempts = presence_attempts
        await self.session.execute(delete(attempts).where(attempts.c.member_id == member_id))
        return names
