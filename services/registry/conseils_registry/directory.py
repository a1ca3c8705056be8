"""The directory (partners, schemes, places) as events.

This module owns :func:`apply_directory_event`, the one function that turns a
``DirectoryEntrySaved`` or ``DirectoryEntryRemoved`` into the ``directory_entries``
row. The live service checks the command, builds the event, writes it to the
outbox and applies it in the same transaction; a rebuild from the
``registry.directory`` topic applies the same events and gets the same rows.
Applying is idempotent: a saved event is an upsert of the whole entry, a
removal of an absent entry does nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_registry import tables as t
from conseils_registry.domain import normalise_search, themes_column
from conseils_schemas import DirectoryEntryRemoved, DirectoryEntrySaved

__all__ = ["apply_directory_event", "entry_values"]


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
    table = t.directory_entries
    if isinstance(event, DirectoryEntryRemoved):
        await session.execute(delete(table).where(table.c.id == event.entry_id))
        return
    values = entry_values(event)
    exists = await session.scalar(select(table.c.id).where(table.c.id == event.entry_id))
    if exists is None:
        await session.execute(insert(table).values(id=event.entry_id, **values))
    else:
        await session.execute(update(table).where(table.c.id == event.entry_id).values(**values))
