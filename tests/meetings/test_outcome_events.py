"""Forum outcomes travel as events: adding and updating one writes `OutcomeRecorded` /
`OutcomeStatusChanged` to the outbox in the same transaction, and applying those
events to an empty database (`apply_outcome_event`, what the replay does)
rebuilds exactly the same `outcomes` and `outcome_updates` rows. Duplicates and
late (out-of-order) status changes never overwrite newer state."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from conseils_meetings import tables
from conseils_meetings.app import create_app
from conseils_meetings.outcomes import OutcomeNotRecorded, apply_outcome_event, history_row_id
from conseils_meetings.service import MeetingsService
from conseils_runtime import Database, ServiceRuntime
from conseils_runtime.http import Conflict
from conseils_schemas import (
    MEETINGS_OUTCOMES,
    OutcomeRecorded,
    OutcomeStatusChanged,
    parse_event,
    topic_name,
)
from tests.conftest import _fresh_postgres_database
from tests.meetings.conftest import NOW, Clock, meetings_settings

RECORDED = "fr.conseils.meetings.outcome.recorded.v1"
CHANGED = "fr.conseils.meetings.outcome.status_changed.v1"


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(meetings_settings(database_url, tmp_path))
    runtime: ServiceRuntime = application.state.runtime
    application.state.service.clock = Clock(NOW)
    await runtime.database.create_all(runtime.metadata)
    yield application
    await runtime.database.dispose()


@pytest.fixture
async def empty_database(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A second, empty database of the same kind: where the events are replayed."""
    if database_url.startswith("sqlite"):
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'replayed.db'}")
        await database.create_all(tables.metadata)
        yield database
        await database.dispose()
        return
    async for url in _fresh_postgres_database():
        database = Database(url)
        await database.create_all(tables.metadata)
        yield database
        await database.dispose()


def service_of(app: FastAPI) -> MeetingsService:
    service: MeetingsService = app.state.service
    return service


async def outbox_records(app: FastAPI) -> list[dict[str, Any]]:
    runtime: ServiceRuntime = app.state.runtime
    table = runtime.tables.outbox
    async with runtime.database.sessionmaker() as session:
        rows = (await session.execute(select(table).order_by(table.c.seq))).mappings().all()
    return [
        {
            "type": dict(row["headers"])["ce_type"],
            "topic": row["topic"],
            "key": row["key"],
            "payload": row["payload"],
        }
        for row in rows
    ]


async def outcome_events(app: FastAPI) -> list[OutcomeRecorded | OutcomeStatusChanged]:
    events: list[OutcomeRecorded | OutcomeStatusChanged] = []
    for record in await outbox_records(app):
        if record["type"] in (RECORDED, CHANGED):
            payload = record["payload"]
            event = parse_event(record["type"], payload if isinstance(payload, bytes) else payload.encode())
            assert isinstance(event, OutcomeRecorded | OutcomeStatusChanged)
            events.append(event)
    return events


async def rows(database: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every outcome and history row, as plain dicts with UTC-aware datetimes."""

    def plain(row: Any) -> dict[str, Any]:
        return {
            key: (value.replace(tzinfo=NOW.tzinfo) if getattr(value, "tzinfo", 1) is None else value)
            for key, value in dict(row).items()
        }

    async with database.sessionmaker() as session:
        outcomes = (await session.execute(select(tables.outcomes).order_by(tables.outcomes.c.id))).mappings()
        outcome_rows = [plain(row) for row in outcomes]
        updates = (
            await session.execute(
                select(tables.outcome_updates).order_by(
                    tables.outcome_updates.c.outcome_id, tables.outcome_updates.c.position
                )
            )
        ).mappings()
        return outcome_rows, [plain(row) for row in updates]


async def apply_all(database: Database, events: list[OutcomeRecorded | OutcomeStatusChanged]) -> None:
    for event in events:
        async with database.sessionmaker() as session, session.begin():
            await apply_outcome_event(session, event)


async def test_adding_and_updating_write_their_events(app: FastAPI) -> None:
    service = service_of(app)
    council_id = uuid.uuid4()
    created = await service.add_outcome(
        kind="proposal",
        text="Ouvrir la maison de quartier le samedi",
        made_by="Conseil citoyen Franc-Moisin",
        made_on=date(2027, 2, 10),
        council_id=council_id,
        instance_id=None,
        theme="emploi",
    )
    outcome_id = created.id
    service.clock.advance(days=3)  # type: ignore[attr-defined]
    await service.update_outcome(outcome_id, "in_progress", "Étude lancée par la ville.")
    service.clock.advance(days=30)  # type: ignore[attr-defined]
    updated = await service.update_outcome(outcome_id, "done", "Ouverte depuis mars.")

    records = [r for r in await outbox_records(app) if r["type"] in (RECORDED, CHANGED)]
    assert [r["type"] for r in records] == [RECORDED, CHANGED, CHANGED]
    runtime: ServiceRuntime = app.state.runtime
    assert {r["topic"] for r in records} == {topic_name(runtime.settings.territory, MEETINGS_OUTCOMES)}
    assert {r["key"] for r in records} == {str(outcome_id)}
    payloads = [json.loads(r["payload"]) for r in records]
    assert payloads[0] == {
        "outcome_id": str(outcome_id),
        "kind": "proposal",
        "text": "Ouvrir la maison de quartier le samedi",
        "made_by": "Conseil citoyen Franc-Moisin",
        "council_id": str(council_id),
        "instance_id": None,
        "theme": "emploi",
        "made_on": "2027-02-10",
        "status": "proposed",
        "recorded_at": "2027-03-01T09:00:00Z",
    }
    assert payloads[1] == {
        "outcome_id": str(outcome_id),
        "status": "in_progress",
        "previous_status": "proposed",
        "note": "Étude lancée par la ville.",
        "position": 2,
        "changed_at": "2027-03-04T09:00:00Z",
    }
    assert (payloads[2]["previous_status"], payloads[2]["status"], payloads[2]["position"]) == (
        "in_progress",
        "done",
        3,
    )
    assert [h.status for h in updated.history] == ["proposed", "in_progress", "done"]
    assert updated.updated_at == NOW + timedelta(days=33)


async def test_a_refused_update_writes_no_event(app: FastAPI) -> None:
    service = service_of(app)
    created = await service.add_outcome(
        kind="commitment",
        text="Tenir les instances politiques en soirée",
        made_by="Vice-président·e chargé·e de la politique de la ville",
        made_on=date(2027, 1, 5),
        council_id=None,
        instance_id=None,
        theme=None,
        status="done",
    )
    with pytest.raises(Conflict):
        await service.update_outcome(created.id, "abandoned", "Réouverture")
    assert [e.event_type for e in await outcome_events(app)] == [RECORDED]


async def test_events_rebuild_identical_rows_on_an_empty_database(
    app: FastAPI, empty_database: Database
) -> None:
    service = service_of(app)
    clock: Clock = service.clock  # type: ignore[assignment]
    first = await service.add_outcome(
        kind="commitment",
        text="Réserver une salle en soirée pour chaque comité de pilotage",
        made_by="Maire adjoint·e à la démocratie locale",
        made_on=date(2027, 2, 1),
        council_id=None,
        instance_id=None,
        theme=None,
    )
    clock.advance(hours=2)
    second = await service.add_outcome(
        kind="proposal",
        text="Un atelier emploi par trimestre",
        made_by="Conseil citoyen Floréal",
        made_on=date(2027, 2, 2),
        council_id=uuid.uuid4(),
        instance_id=None,
        theme="emploi",
        status="in_progress",
    )
    for outcome_id, status, note in (
        (first.id, "in_progress", "Salle Gérard-Philipe réservée."),
        (second.id, "in_progress", "Note de suivi sans changement de statut."),
        (first.id, "abandoned", "Salle indisponible."),
        (second.id, "done", "Premier atelier tenu."),
    ):
        clock.advance(days=1)
        await service.update_outcome(outcome_id, status, note)

    runtime: ServiceRuntime = app.state.runtime
    live = await rows(runtime.database)
    assert len(live[0]) == 2
    assert len(live[1]) == 6
    events = await outcome_events(app)
    assert len(events) == 6

    await apply_all(empty_database, events)
    assert await rows(empty_database) == live  # every column, ids included

    # Applying the whole log once more (a replay after a crash) changes nothing.
    await apply_all(empty_database, events)
    assert await rows(empty_database) == live
    # History ids do not depend on who wrote the rows.
    assert {row["id"] for row in live[1]} == {
        history_row_id(row["outcome_id"], row["position"]) for row in live[1]
    }


async def test_duplicate_and_late_status_changes_are_ignored(empty_database: Database) -> None:
    outcome_id = uuid.uuid4()
    recorded = OutcomeRecorded(
        outcome_id=outcome_id,
        kind="commitment",
        text="Publier les dossiers dix jours avant",
        made_by="Direction de la politique de la ville",
        made_on=date(2027, 1, 10),
        recorded_at=NOW,
    )

    def change(position: int, previous: str, status: str, days: int) -> OutcomeStatusChanged:
        return OutcomeStatusChanged.model_validate(
            {
                "outcome_id": outcome_id,
                "status": status,
                "previous_status": previous,
                "note": f"Étape {position}",
                "position": position,
                "changed_at": NOW + timedelta(days=days),
            }
        )

    second, third = change(2, "proposed", "in_progress", 1), change(3, "in_progress", "done", 2)
    await apply_all(empty_database, [recorded, third])
    after_third = await rows(empty_database)
    assert after_third[0][0]["status"] == "done"

    # A late change (position 2 after 3) fills its history row but leaves the newer state.
    await apply_all(empty_database, [second])
    outcomes, history = await rows(empty_database)
    assert outcomes == after_third[0]
    assert [(h["position"], h["status"]) for h in history] == [
        (1, "proposed"),
        (2, "in_progress"),
        (3, "done"),
    ]

    # Duplicates (even with different content at a known position) change nothing.
    await apply_all(empty_database, [recorded, second, third, change(3, "done", "abandoned", 5)])
    assert await rows(empty_database) == (outcomes, history)


async def test_a_status_change_without_its_outcome_is_refused(empty_database: Database) -> None:
    orphan = OutcomeStatusChanged(
        outcome_id=uuid.uuid4(),
        status="done",
        previous_status="proposed",
        note="Réalisé.",
        position=2,
        changed_at=NOW,
    )
    with pytest.raises(OutcomeNotRecorded):
        await apply_all(empty_database, [orphan])
    assert await rows(empty_database) == ([], [])
