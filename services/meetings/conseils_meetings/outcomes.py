"""Forum outcomes (councils' proposals, elected officials' commitments) as events.

This module owns the one function that turns an outcome event into rows of
``outcomes`` and ``outcome_updates``: :func:`apply_outcome_event`. The live
service decides (``domain.check_outcome_update``), builds the event, writes it
to the outbox and calls this function in the same transaction; the replay
calls the same function on the events read back from ``meetings.outcomes``.
Both therefore produce exactly the same rows, ids included: the history row
of position ``n`` has the id :func:`history_row_id` ``(outcome_id, n)``.

Applying is idempotent and tolerant of disorder:

* an ``OutcomeRecorded`` whose outcome already exists changes nothing;
* an ``OutcomeStatusChanged`` whose position is already in the history changes
  nothing (a duplicate);
* one whose position is older than the newest stored position only fills the
  missing history row: the outcome's current status and ``updated_at`` stay
  those of the newest change.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_schemas import OutcomeRecorded, OutcomeStatusChanged

__all__ = [
    "CREATION_NOTE",
    "OutcomeNotRecorded",
    "apply_outcome_event",
    "history_row_id",
    "latest_position",
]

CREATION_NOTE = "Création."
"""Note of the first history row (position 1), written from ``OutcomeRecorded``."""


class OutcomeNotRecorded(LookupError):
    """A status change arrived for an outcome whose ``OutcomeRecorded`` was never applied."""


def history_row_id(outcome_id: uuid.UUID, position: int) -> uuid.UUID:
    """Id of the ``outcome_updates`` row at ``position``: the same live and on replay."""
    return uuid.uuid5(outcome_id, f"outcome-update:{position}")


async def latest_position(session: AsyncSession, outcome_id: uuid.UUID) -> int:
    """Position of the newest entry of the outcome's history (0 when it has none)."""
    found = await session.scalar(
        select(func.max(tables.outcome_updates.c.position)).where(
            tables.outcome_updates.c.outcome_id == outcome_id
        )
    )
    return int(found or 0)


async def apply_outcome_event(session: AsyncSession, event: OutcomeRecorded | OutcomeStatusChanged) -> None:
    """Write the rows of ``event`` (inside the caller's transaction); idempotent."""
    if isinstance(event, OutcomeRecorded):
        await _apply_recorded(session, event)
    else:
        await _apply_status_changed(session, event)


async def _apply_recorded(session: AsyncSession, event: OutcomeRecorded) -> None:
    exists = await session.scalar(
        select(tables.outcomes.c.id).where(tables.outcomes.c.id == event.outcome_id)
    )
    if exists is not None:
        return
    await session.execute(
        tables.outcomes.insert().values(
            id=event.outcome_id,
            kind=event.kind,
            text=event.text,
            made_by=event.made_by,
            made_on=event.made_on,
            council_id=event.council_id,
            instance_id=event.instance_id,
            theme=event.theme,
            status=event.status,
            created_at=event.recorded_at,
            updated_at=event.recorded_at,
        )
    )
    await session.execute(
        tables.outcome_updates.insert().values(
            id=history_row_id(event.outcome_id, 1),
            outcome_id=event.outcome_id,
            position=1,
            status=event.status,
            note=CREATION_NOTE,
            at=event.recorded_at,
        )
    )


async def _apply_status_changed(session: AsyncSession, event: OutcomeStatusChanged) -> None:
    outcome = await session.scalar(
        select(tables.outcomes.c.id).where(tables.outcomes.c.id == event.outcome_id).with_for_update()
    )
    if outcome is None:
        raise OutcomeNotRecorded(
            f"outcome {event.outcome_id}: status change {event.position} before its OutcomeRecorded"
        )
    duplicate = await session.scalar(
        select(tables.outcome_updates.c.id).where(
            tables.outcome_updates.c.outcome_id == event.outcome_id,
            tables.outcome_updates.c.position == event.position,
        )
    )
    if duplicate is not None:
        return
    newest = await latest_position(session, event.outcome_id)
    await session.execute(
        tables.outcome_updates.insert().values(
            id=history_row_id(event.outcome_id, event.position),
            outcome_id=event.outcome_id,
            position=event.position,
            status=event.status,
            note=event.note,
            at=event.changed_at,
        )
    )
    if event.position > newest:
        await session.execute(
            update(tables.outcomes)
            .where(tables.outcomes.c.id == event.outcome_id)
            .values(status=event.status, updated_at=event.changed_at)
        )
