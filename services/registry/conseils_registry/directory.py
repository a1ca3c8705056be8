"""Use cases of the directory (partners, schemes, places): save, remove, search.

A change is an event (`DirectoryEntrySaved`, `DirectoryEntryRemoved`) to the
outbox; the units of work apply it to the `directory_entries` row on emit with
`projection.apply_directory_event`, the function a rebuild from the topic uses.
"""

from __future__ import annotations

import uuid

from conseils_registry.commands import DirectoryEntryInput
from conseils_registry.domain import EntryType, check_themes, normalise_email
from conseils_registry.records import DirectoryEntryRecord
from conseils_registry.use_cases import RegistryCore, Unit
from conseils_runtime.http import DomainError, NotFound
from conseils_schemas import DirectoryEntryRemoved, DirectoryEntrySaved


class Directory(RegistryCore):
    async def search_directory(
        self,
        *,
        query: str = "",
        theme: str | None = None,
        kind: str | None = None,
        entry_type: EntryType | None = None,
    ) -> list[DirectoryEntryRecord]:
        async with self.units.reading() as repo:
            return await repo.search_directory(query=query, theme=theme, kind=kind, entry_type=entry_type)

    async def directory_entry(
        self, entry_id: uuid.UUID, entry_type: EntryType | None = None
    ) -> DirectoryEntryRecord:
        """The entry (of that type, when given)."""
        async with self.units.reading() as repo:
            entry = await repo.directory_entry(entry_id)
        if entry is None or (entry_type is not None and entry.entry_type != entry_type):
            raise NotFound("Fiche de l'annuaire introuvable.")
        return entry

    async def save_directory_entry(
        self, entry_type: EntryType, command: DirectoryEntryInput, entry_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        if entry_type == "partner" and command.kind is None:
            raise DomainError(
                "Indiquez le type de partenaire (État, ville, territoire, bailleur, association…)."
            )
        if command.contact_email is not None:
            command = command.model_copy(update={"contact_email": normalise_email(command.contact_email)})
        async with self.units.begin() as unit:
            check_themes(command.themes, await unit.repo.theme_slugs())  # before "not found", as ever
            if entry_id is not None:
                existing = await unit.repo.directory_entry(entry_id)
                if existing is None or existing.entry_type != entry_type:
                    raise NotFound("Fiche de l'annuaire introuvable.")
            return await self.save_directory_in(unit, entry_type, command, entry_id or uuid.uuid4())

    async def save_directory_in(
        self, unit: Unit, entry_type: EntryType, command: DirectoryEntryInput, entry_id: uuid.UUID
    ) -> uuid.UUID:
        """The entry saved in the caller's transaction (the API, the seed): one event, applied on emit."""
        themes = check_themes(command.themes, await unit.repo.theme_slugs())
        await unit.emit(
            DirectoryEntrySaved(
                entry_id=entry_id,
                entry_type=entry_type,
                name=command.name,
                kind=command.kind if entry_type == "partner" else None,
                themes=themes,
                contact_role=command.contact_role,
                contact_email=command.contact_email,
                city_code=command.city_code,
                address=command.address,
                url=command.url,
                description=command.description,
                saved_at=self.clock(),
            )
        )
        return entry_id

    async def delete_directory_entry(self, entry_id: uuid.UUID) -> None:
        async with self.units.begin() as unit:
            existing = await unit.repo.directory_entry(entry_id)
            if existing is None:
                raise NotFound("Fiche de l'annuaire introuvable.")
            await unit.emit(
                DirectoryEntryRemoved(
                    entry_id=entry_id, entry_type=existing.entry_type, removed_at=self.clock()
                )
            )
