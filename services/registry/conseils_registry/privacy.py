"""Use cases of a person's rights: erasure (no registry table keeps their name, email or
phone afterwards, and every service is told) and access (everything held about them)."""

from __future__ import annotations

import uuid
from typing import Any

from conseils_registry.use_cases import RegistryCore
from conseils_schemas import REGISTRY_MEMBER_CONTACTS, MemberErased, dlq_topic


class Privacy(RegistryCore):
    async def erase_member(self, member_id: uuid.UUID) -> bool:
        """Right to erasure: no registry table keeps their name, email or phone. False if already erased."""
        async with self.units.begin() as unit:
            member = await self._existing_member(unit.repo, member_id)
            if member.erased_at is not None:
                return False
            if member.left_on is None:
                await unit.repo.council(member.council_id, lock=True)
                await self.leave_in(unit, member, self.today(), alert=True)
            await unit.repo.erase_member(member_id, self.clock())
            # Earlier contact cards of this person still sit in our outbox table
            # (relayed or not): they go too; the tombstone supersedes them on Kafka.
            await self.outbox.purge(unit.session, REGISTRY_MEMBER_CONTACTS, str(member_id))
            await unit.emit(MemberErased(member_id=member_id, erased_at=self.clock()))
            await self.outbox.add_tombstone(unit.session, REGISTRY_MEMBER_CONTACTS, str(member_id))
            # A card of theirs may sit in the dead letters (compacted too): tombstone it there as well.
            await self.outbox.add_tombstone(unit.session, dlq_topic(REGISTRY_MEMBER_CONTACTS), str(member_id))
            return True

    async def member_data(self, member_id: uuid.UUID) -> dict[str, Any]:
        """Everything the registry holds about one person (right of access)."""
        async with self.units.reading() as repo:
            member = await self._existing_member(repo, member_id)
            council = await repo.council(member.council_id)
            history = await repo.referents(member_id=member_id, active_only=False)
        return {
            "genere_le": self.clock().isoformat(),
            "membre": {
                "id": str(member.id),
                "conseil": {"id": str(member.council_id), "nom": council.name if council else None},
                "college": member.college,
                "tirage_au_sort": member.drawn_by_lot,
                "role": member.role,
                "date_entree": member.joined_on.isoformat(),
                "date_sortie": member.left_on.isoformat() if member.left_on else None,
                "thematiques_suivies": member.themes_followed,
                "efface_le": member.erased_at.isoformat() if member.erased_at else None,
            },
            "coordonnees": None
            if member.display_name is None
            else {
                "nom": member.display_name,
                "email": member.email,
                "telephone": member.phone,
                "langue": member.language,
                "consentement_le": member.consent_given_at.isoformat() if member.consent_given_at else None,
                "nom_visible_des_autres_conseils": member.shown_to_councillors,
            },
            "referent": [
                {
                    "conseil_id": str(r.council_id),
                    "thematique": r.theme,
                    "depuis": r.since.isoformat(),
                    "jusqu_au": r.until.isoformat() if r.until else None,
                    "motif_de_fin": r.end_reason,
                }
                for r in history
            ],
        }
