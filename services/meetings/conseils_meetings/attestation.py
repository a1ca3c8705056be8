"""Attestation use cases: the PDF a councillor downloads for an instance she attended (her name
comes from the site at download time and is never stored: only the verification code is), and
the public check of a code."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from conseils_meetings.attending_records import AttestationRecord
from conseils_meetings.attending_repository import AttendingRepository
from conseils_meetings.attending_rules import attestation_code, normalise_code
from conseils_meetings.attestation_pdf import AttestationText, attestation_pdf
from conseils_meetings.use_cases import MeetingsCore
from conseils_runtime.errors import constant_time_equal
from conseils_runtime.http import Conflict, DomainError
from conseils_runtime.times import FRENCH_DAYS, FRENCH_MONTHS


@dataclass(frozen=True)
class AttestationCheck:
    """What a verification code certifies (no name: the page compares it with the paper)."""

    valid: bool
    instance_title: str | None = None
    instance_type: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    name_matches: bool | None = None


class Attestations(MeetingsCore):
    """Attestation use cases (see the module docstring)."""

    def _attestation_key(self) -> bytes:
        return hmac.new(
            self.settings.auth_secret.encode(), b"conseils-attestation-v1", hashlib.sha256
        ).digest()

    async def attestation(
        self, instance_id: uuid.UUID, member_id: uuid.UUID, name: str, verify_url: str
    ) -> bytes:
        name = " ".join(name.split())
        if not 2 <= len(name) <= 200 or any(ord(char) < 32 for char in name):
            raise DomainError("Le nom à imprimer sur l'attestation manque ou est illisible.")
        now = self.clock()
        async with self.units.begin() as unit:
            row = await self._instance(unit.repo, instance_id)
            attending = AttendingRepository(unit.session)
            if not await attending.attended(instance_id, member_id):
                raise Conflict(
                    "Votre présence à cette instance n'est pas enregistrée : pas d'attestation.",
                    code="absente",
                )
            code = attestation_code(self._attestation_key(), instance_id, member_id, name)
            await attending.save_attestation(AttestationRecord(code, instance_id, member_id, now))
        kind = self.instance_type(row.instance_type)
        return attestation_pdf(
            AttestationText(
                territory=self.territory.territory.name,
                name=name,
                instance_title=row.title,
                instance_type=kind.name,
                location=row.location,
                day=self._day_fr(row.starts_at),
                hours=self._hours_fr(row.starts_at, row.ends_at),
                code=code,
                verify_url=verify_url,
                issued_on=self._day_fr(now),
            )
        )

    async def verify_attestation(self, code: str, name: str | None) -> AttestationCheck:
        normalised = normalise_code(code)
        async with self.units.reading() as repo:
            record = await AttendingRepository(repo.session).attestation(normalised)
            if record is None:
                return AttestationCheck(valid=False)
            attended = await AttendingRepository(repo.session).attended(record.instance_id, record.member_id)
            row = await repo.instance(record.instance_id)
        if row is None or not attended:
            return AttestationCheck(valid=False)
        matches = None
        if name and name.strip():
            expected = attestation_code(self._attestation_key(), record.instance_id, record.member_id, name)
            matches = constant_time_equal(expected, normalised)
        return AttestationCheck(
            True, row.title, self.instance_type(row.instance_type).name, row.starts_at, row.ends_at, matches
        )

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(ZoneInfo(self.timezone))

    def _day_fr(self, value: datetime) -> str:
        local = self._local(value)
        return f"{FRENCH_DAYS[local.weekday()]} {local.day} {FRENCH_MONTHS[local.month - 1]} {local.year}"

    def _hours_fr(self, starts_at: datetime, ends_at: datetime) -> str:
        start, end = self._local(starts_at), self._local(ends_at)
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        duration = f"{minutes // 60} h {minutes % 60:02d}" if minutes % 60 else f"{minutes // 60} h"
        return f"de {start:%H} h {start:%M} à {end:%H} h {end:%M} ({duration})"
