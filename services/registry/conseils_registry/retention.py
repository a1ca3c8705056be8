"""Use cases of erasure beyond staff's own: a person asks for it on the site and staff confirm
(then the erasure of privacy.py runs and every service is told through Kafka), and members who
left are erased once the territory's retention period is over (`legal.retention_months_after_leaving`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from conseils_registry.privacy import Privacy
from conseils_registry.records import ErasureRequestRecord
from conseils_runtime.http import Conflict, NotFound


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the last day of a shorter month)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover - day 28 exists in every month


@dataclass(frozen=True)
class PendingErasure:
    """A request as staff see it: who asked (name and council), and when."""

    request: ErasureRequestRecord
    display_name: str | None
    council_id: uuid.UUID


class Retention(Privacy):
    async def request_erasure(self, member_id: uuid.UUID) -> ErasureRequestRecord:
        """Her request, kept until staff confirm it; asking twice keeps the first one."""
        async with self.units.begin() as unit:
            member = await self._existing_member(unit.repo, member_id)
            if member.erased_at is not None:
                raise Conflict("Les données de cette personne sont déjà effacées.")
            pending = await unit.repo.erasure_requests(pending_only=True, member_id=member_id)
            if pending:
                return pending[0]
            return await unit.repo.add_erasure_request(member_id, self.clock())

    async def pending_erasures(self) -> list[PendingErasure]:
        async with self.units.reading() as repo:
            requests = await repo.erasure_requests(pending_only=True)
            result = []
            for request in requests:
                member = await self._existing_member(repo, request.member_id)
                result.append(PendingErasure(request, member.display_name, member.council_id))
        return result

    async def erasure_requests_of(self, member_id: uuid.UUID) -> list[ErasureRequestRecord]:
        async with self.units.reading() as repo:
            return await repo.erasure_requests(pending_only=False, member_id=member_id)

    async def confirm_erasure(self, request_id: uuid.UUID, by: str) -> None:
        """Staff confirm: the request is marked (who, when) and the person is erased everywhere."""
        async with self.units.begin() as unit:
            requests = await unit.repo.erasure_requests(pending_only=True)
            request = next((item for item in requests if item.id == request_id), None)
            if request is None:
                raise NotFound("Demande d'effacement introuvable ou déjà traitée.")
            await unit.repo.confirm_erasure_request(request_id, by[:120], self.clock())
        await self.erase_member(request.member_id)

    async def erase_departed(self, retention_months: int, limit: int = 100) -> int:
        """Erase members who left more than `retention_months` months ago (each in its own
        transaction, like a staff erasure). Returns how many were erased."""
        cutoff = months_before(self.today(), retention_months)
        async with self.units.reading() as repo:
            due = await repo.left_before(cutoff, limit)
        erased = 0
        for member_id in due:
            erased += await self.erase_member(member_id)
        return erased
