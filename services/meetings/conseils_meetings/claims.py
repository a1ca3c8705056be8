"""Cost-claim use cases: a councillor who attended claims her childcare or transport costs with a
receipt (a photo or a PDF, checked by its first bytes, streamed to the document store), staff
approve, refuse with a reason or mark paid, she follows the status; the finance department's
CSV. The claim's facts carry kinds and amounts (ids only); the receipt stays here."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conseils_meetings.attending_records import ClaimLine, ClaimRecord, ReceiptRecord
from conseils_meetings.attending_repository import AttendingRepository
from conseils_meetings.attending_rules import (
    CLAIM_LABELS,
    CLAIM_STATUS_LABELS,
    ClaimRefused,
    ReceiptRefused,
    check_claim,
    next_status,
    receipt_type,
)
from conseils_meetings.bilan_attending import AttendingBilan, load_attending_bilan
from conseils_meetings.document_rules import safe_display_name
from conseils_meetings.use_cases import MeetingsCore
from conseils_runtime.http import Forbidden, NotFound
from conseils_runtime.spreadsheets import SafeWriter
from conseils_runtime.times import as_utc
from conseils_schemas.events import CostClaimDecided, CostClaimSubmitted

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
}


@dataclass(frozen=True)
class ClaimDraft:
    kind: str
    amount_cents: int
    hours: float | None


class Claims(MeetingsCore):
    """Cost-claim use cases (see the module docstring)."""

    async def submit_claim(
        self,
        instance_id: uuid.UUID,
        member_id: uuid.UUID,
        draft: ClaimDraft,
        filename: str | None,
        chunks: AsyncIterator[bytes] | None,
    ) -> ClaimRecord:
        rules = self.territory.claims
        now = self.clock()
        async with self.units.begin() as unit:
            row = await self._instance(unit.repo, instance_id, lock=True)
            attending = AttendingRepository(unit.session)
            check_claim(
                draft.kind,
                draft.amount_cents,
                draft.hours,
                rules,
                attended=await attending.attended(instance_id, member_id),
                already_claimed=await attending.has_claim(instance_id, member_id, draft.kind),
                ended_at=row.ends_at,
                now=now,
            )
            if chunks is None:
                raise ClaimRefused("Joignez le justificatif (une photo ou un PDF).", code="sans_justificatif")
            claim_id = uuid.uuid4()
            storage_name = uuid.uuid4().hex
            path = self.settings.documents_dir.resolve() / storage_name
            path.parent.mkdir(parents=True, exist_ok=True)
            media_type, size, sha256 = await _store(path, chunks, rules.max_receipt_bytes)
            try:
                member = await unit.repo.member(member_id)
                await unit.emit(
                    CostClaimSubmitted(
                        instance_id=instance_id,
                        claim_id=claim_id,
                        member_id=member_id,
                        council_id=member.council_id if member else None,
                        kind=draft.kind,
                        amount_cents=draft.amount_cents,
                        hours=draft.hours if draft.kind == "childcare" else None,
                        submitted_at=now,
                    )
                )
                stem = safe_display_name(filename or "justificatif").rsplit(".", 1)[0]
                await attending.insert_receipt(
                    ReceiptRecord(
                        claim_id,
                        member_id,
                        f"{stem}.{EXTENSIONS[media_type]}",
                        media_type,
                        size,
                        sha256,
                        storage_name,
                    )
                )
            except BaseException:
                _discard(path)
                raise
            saved = await attending.claim(claim_id)
            assert saved is not None
            return saved

    async def decide_claim(self, claim_id: uuid.UUID, decision: str, reason: str | None) -> ClaimRecord:
        reason = (reason or "").strip() or None
        if decision == "refused" and reason is None:
            raise ClaimRefused(
                "Indiquez la raison du refus : elle est montrée à la conseillère ou au conseiller."
            )
        if reason is not None and (len(reason) > 500 or any(ord(c) < 32 for c in reason)):
            raise ClaimRefused("La raison tient sur une ligne, en 500 caractères au plus.")
        async with self.units.begin() as unit:
            attending = AttendingRepository(unit.session)
            claim = await attending.claim(claim_id, lock=True)
            if claim is None:
                raise NotFound("Demande introuvable.")
            next_status(claim.status, decision)
            await unit.emit(
                CostClaimDecided(
                    instance_id=claim.instance_id,
                    claim_id=claim_id,
                    member_id=claim.member_id,
                    decision=decision,
                    reason=reason if decision == "refused" else None,
                    decided_at=self.clock(),
                )
            )
            saved = await attending.claim(claim_id)
            assert saved is not None
            return saved

    async def claim_lines(
        self,
        *,
        member_id: uuid.UUID | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ClaimLine]:
        async with self.units.reading() as repo:
            return await AttendingRepository(repo.session).claim_lines(
                member_id=member_id, status=status, since=since, until=until
            )

    async def receipt_for_download(
        self, claim_id: uuid.UUID, *, member_id: uuid.UUID | None
    ) -> tuple[ReceiptRecord, Path]:
        """The receipt, for staff (member_id None) or for the councillor who claimed."""
        async with self.units.reading() as repo:
            receipt = await AttendingRepository(repo.session).receipt(claim_id)
        if receipt is None:
            raise NotFound("Justificatif introuvable.")
        if member_id is not None and receipt.member_id != member_id:
            raise Forbidden("Ce justificatif n'est pas le vôtre.")
        path = self.settings.documents_dir.resolve() / receipt.storage_name
        if not receipt.storage_name.isalnum() or not path.is_file():
            raise NotFound("Justificatif introuvable.")
        return receipt, path

    async def claims_csv(self, since: datetime | None, until: datetime | None) -> str:
        """The finance department's export: one line per claim, French headers, formula-safe cells."""
        lines = await self.claim_lines(since=since, until=until)
        async with self.units.reading() as repo:
            councils = await AttendingRepository(repo.session).council_names()
        buffer = io.StringIO()
        writer = SafeWriter(buffer, delimiter=";")
        writer.writerow(
            [
                "Référence",
                "Instance",
                "Type d'instance",
                "Date de l'instance",
                "Conseil",
                "Membre (identifiant)",
                "Frais",
                "Heures de garde",
                "Montant (€)",
                "Statut",
                "Motif du refus",
                "Demandé le",
                "Décidé le",
                "Payé le",
            ]
        )
        for line in lines:
            claim = line.claim
            writer.writerow(
                [
                    str(claim.id),
                    line.instance_title,
                    self._type_name(line.instance_type),
                    self._day(line.starts_at),
                    councils.get(claim.council_id, "") if claim.council_id else "",
                    str(claim.member_id),
                    CLAIM_LABELS.get(claim.kind, claim.kind),
                    f"{claim.hours:g}".replace(".", ",") if claim.hours is not None else "",
                    f"{claim.amount_cents // 100},{claim.amount_cents % 100:02d}",
                    CLAIM_STATUS_LABELS.get(claim.status, claim.status),
                    claim.reason or "",
                    self._day(claim.submitted_at),
                    self._day(claim.decided_at),
                    self._day(claim.paid_at),
                ]
            )
        return buffer.getvalue()

    async def attending_bilan(self, period_from: date, period_to: date) -> AttendingBilan:
        """The bilan of the barriers lifted (needs, claims, easy-read coverage) of a period."""
        async with self.units.reading() as repo:
            return await load_attending_bilan(repo.session, self.territory, period_from, period_to)

    def _type_name(self, slug: str) -> str:
        return next((kind.name for kind in self.territory.instance_types if kind.slug == slug), slug)

    def _day(self, value: datetime | None) -> str:
        return as_utc(value).astimezone(ZoneInfo(self.timezone)).date().isoformat() if value else ""


async def _store(path: Path, chunks: AsyncIterator[bytes], max_bytes: int) -> tuple[str, int, str]:
    """Stream the receipt to `path`, checking its type on its first bytes and its size as it comes."""
    digest = hashlib.sha256()
    size = 0
    pending = b""  # the first bytes, until there are enough to know the type
    media_type: str | None = None
    try:
        with path.open("wb") as file:
            async for chunk in chunks:
                data = pending + chunk if media_type is None else chunk
                if media_type is None:
                    if len(data) < 16:
                        pending = data
                        continue
                    media_type, pending = receipt_type(data, len(data), max_bytes), b""
                size += len(data)
                if size > max_bytes:
                    receipt_type(b"", size, max_bytes)  # raises "too large"
                digest.update(data)
                file.write(data)
            if media_type is None:  # a file of fewer than 16 bytes
                if not pending:
                    raise ReceiptRefused(
                        "Joignez le justificatif (une photo ou un PDF).", code="sans_justificatif"
                    )
                media_type = receipt_type(pending, len(pending), max_bytes)
                size += len(pending)
                digest.update(pending)
                file.write(pending)
    except BaseException:
        _discard(path)
        raise
    return media_type, size, digest.hexdigest()


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
