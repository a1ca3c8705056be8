"""The directory travels as events: saving an entry writes `DirectoryEntrySaved` (its
whole public state), deleting it writes `DirectoryEntryRemoved`, both in the same
transaction, and applying the events to an empty database rebuilds the same rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conseils_registry import tables as t
from conseils_registry.app import PRODUCES
from conseils_registry.commands import DirectoryEntryInput
from conseils_registry.projection import apply_directory_event
from conseils_runtime import Database
from conseils_runtime.http import NotFound
from conseils_schemas import (
    REGISTRY_DIRECTORY,
    DirectoryEntryRemoved,
    DirectoryEntrySaved,
    parse_event,
    topic_name,
)
from tests.conftest import _fresh_postgres_database
from tests.registry.conftest import Registry

SAVED = "fr.conseils.registry.directory_entry.saved.v1"
REMOVED = "fr.conseils.registry.directory_entry.removed.v1"


@pytest.fixture
async def empty_database(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    if database_url.startswith("sqlite"):
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'replayed.db'}")
        await database.create_all(t.metadata)
        yield database
        await database.dispose()
        return
    async for url in _fresh_postgres_database():
        database = Database(url)
        await database.create_all(t.metadata)
        yield database
        await database.dispose()


async def directory_rows(database: Database) -> list[dict[str, Any]]:
    async with database.sessionmaker() as session:
        result = await session.execute(select(t.directory_entries).order_by(t.directory_entries.c.id))
        return [
            {
                key: value.replace(tzinfo=None) if hasattr(value, "tzinfo") else value
                for key, value in dict(row).items()
            }
            for row in result.mappings()
        ]


def directory_records(outbox: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in outbox if row["type"] in (SAVED, REMOVED)]


def test_the_registry_declares_the_directory_events() -> None:
    assert {DirectoryEntrySaved, DirectoryEntryRemoved} <= set(PRODUCES)


async def test_saving_and_deleting_an_entry_emit_their_events(registry: Registry, territory: str) -> None:
    service = registry.service
    entry_id = await service.save_directory_entry(
        "partner",
        DirectoryEntryInput(
            name="Mission locale Plaine Commune",
            kind="association",
            themes=["emploi"],
            contact_role="chargé de mission emploi",
            contact_email="Accueil@Mission-Locale.example",
            city_code="93066",
            address="12 rue de la République, Saint-Denis",
            url="https://mission-locale.example",
            description="Accompagnement des 16-25 ans.",
        ),
    )
    await service.save_directory_entry(
        "partner",
        DirectoryEntryInput(name="Mission locale", kind="association", themes=["emploi", "emploi"]),
        entry_id,
    )
    await service.delete_directory_entry(entry_id)
    with pytest.raises(NotFound):
        await service.delete_directory_entry(entry_id)

    records = directory_records(await registry.outbox())
    assert [r["type"] for r in records] == [SAVED, SAVED, REMOVED]
    assert {r["topic"] for r in records} == {topic_name(territory, REGISTRY_DIRECTORY)}
    assert {r["key"] for r in records} == {str(entry_id)}
    first, second, removed = (r["payload"] for r in records)
    saved_at = first.pop("saved_at")
    assert first == {
        "entry_id": str(entry_id),
        "entry_type": "partner",
        "name": "Mission locale Plaine Commune",
        "kind": "association",
        "themes": ["emploi"],
        "contact_role": "chargé de mission emploi",
        "contact_email": "accueil@mission-locale.example",  # normalised, as stored
        "city_code": "93066",
        "address": "12 rue de la République, Saint-Denis",
        "url": "https://mission-locale.example",
        "description": "Accompagnement des 16-25 ans.",
    }
    assert saved_at.endswith("Z") or "+" in saved_at
    # A save carries the whole entry: cleared fields are null, not absent.
    assert second["name"] == "Mission locale"
    assert (second["contact_email"], second["address"], second["themes"]) == (None, None, ["emploi"])
    assert removed["entry_id"] == str(entry_id)
    assert removed["entry_type"] == "partner"
    assert "removed_at" in removed


async def test_a_refused_save_emits_nothing(registry: Registry) -> None:
    before = directory_records(await registry.outbox())
    with pytest.raises(NotFound):
        await registry.service.save_directory_entry(
            "place", DirectoryEntryInput(name="Salle des fêtes"), uuid.uuid4()
        )
    assert directory_records(await registry.outbox()) == before


async def test_the_events_rebuild_the_directory(registry: Registry, empty_database: Database) -> None:
    service = registry.service
    kept = await service.save_directory_entry(
        "scheme",
        DirectoryEntryInput(
            name="Fonds de participation des habitants", themes=["emploi"], description="FPH"
        ),
    )
    await service.save_directory_entry(
        "scheme", DirectoryEntryInput(name="FPH", themes=["emploi"], description="Fonds, 2027"), kept
    )
    place = await service.save_directory_entry(
        "place",
        DirectoryEntryInput(name="Maison de quartier Floréal", address="3 allée Floréal", city_code="93066"),
    )
    gone = await service.save_directory_entry(
        "partner", DirectoryEntryInput(name="Bailleur", kind="landlord")
    )
    await service.delete_directory_entry(gone)

    events = [
        parse_event(r["type"], json.dumps(r["payload"]).encode())
        for r in directory_records(await registry.outbox())
    ]
    for _ in range(2):  # twice: applying is idempotent
        for event in events:
            assert isinstance(event, DirectoryEntrySaved | DirectoryEntryRemoved)
            async with empty_database.sessionmaker() as session, session.begin():
                await apply_directory_event(session, event)
        rebuilt = await directory_rows(empty_database)
        assert rebuilt == await directory_rows(registry.runtime.database)
        assert {row["id"] for row in rebuilt} == {kept, place}
