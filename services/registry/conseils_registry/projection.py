"""The directory (partners, schemes, places) as events: the one apply function.

This module owns :func:`apply_directory_event`, the one function that turns a
``DirectoryEntrySaved`` or ``DirectoryEntryRemoved`` into the ``directory_entries``
row. The live use case (`directory.py`) checks the command, builds the event,
writes it to the outbox and applies it in the same transaction; a rebuild from the
``registry.directory`` topic applies the same events and gets the same rows.
Applying is idempotent: a saved event is an upsert of the whole entry, a
removal of an absent entry does nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_registry.domain import normalise_search, themes_column
from conseils_registry.repository import RegistryRepository
from conseils_schemas import DirectoryEntryRemoved, DirectoryEntrySaved, Event

__all__ = ["apply", "apply_directory_event", "entry_values"]


def entry_values(event: DirectoryEntrySaved) -> dict[str, Any]:
    """Columns of the ``directory_entries`` row described by ``event`` (without the id)."""
    return {
        "entry_type": event.entry_type,
        "name": event.name,
        "kind": event.kind if event.entry_type == "partner" else None,
        "themes": list(event.themes),
        "themes_text": themes_column(event.themes),
        "contact_role": event.contact_role,
        "contact_email": event.contact_email,
        "city_code": event.city_code,
        "address": event.address,
        "url": event.url,
        "description": event.description,
        "search_text": normalise_search(
            " ".join(
                part or ""
                for part in (
                    event.name,
                    event.contact_role,
                    event.address,
                    event.description,
                    " ".join(event.themes),
                )
            )
        ),
        "updated_at": event.saved_at,
    }


async def apply_directory_event(
    session: AsyncSession, event: DirectoryEntrySaved | DirectoryEntryRemoved
) -> None:
    """Write (or delete) the row of ``event`` inside the caller's transaction; idempotent."""
    repo = RegistryRepository(session)
    if isinstance(event, DirectoryEntryRemoved):
        await repo.remove_directory_entry(event.entry_id)
    else:
        await repo.put_directory_entry(event.entry_id, entry_values(event))


async def apply(session: AsyncSession, event: Event) -> None:
    """Every fact the registry emits, applied in the emitting transaction (the units of work's
    `on_emit`): the directory's events write their row; the others have no read model here."""
    if isinstance(event, DirectoryEntrySaved | DirectoryEntryRemoved):
        await apply_directory_event(session, event)
