"""The registration facts of a run applied at once, with the result of one `projection.apply` each.

`projection._registration` reads the registration (and, when waitlisted, its instance) and
writes it back, for every fact: two or three statements per event. On a replay the
registration facts of a day come one after the other, so `apply_registrations` takes a run
of them, reads the registrations and instances they touch with one SELECT each, applies the
facts in memory in their order (the same rules, below), and writes what changed back with one
executemany per kind of statement. A cancellation also takes away the member's « Je viens »
for that instance (`confirmation_projection.forgets_confirmation`), done here at the end of the
run: confirmations are only written by `AttendanceConfirmed`, never inside a run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.confirmation_tables import attendance_confirmations
from conseils_schemas import (
    Event,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)

REGISTRATION_STATUS: dict[type[Event], str] = {
    RegistrationConfirmed: "confirmed",
    RegistrationPromoted: "confirmed",
    RegistrationWaitlisted: "waitlisted",
    RegistrationCancelled: "cancelled",
}
CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit
_VALUES = ("mode", "status", "council_id", "updated_at", "waitlist_seq")


async def _select_in(
    session: AsyncSession, columns: Sequence[Any], key: Any, ids: set[uuid.UUID]
) -> list[Any]:
    ordered = sorted(ids)
    rows: list[Any] = []
    for start in range(0, len(ordered), CHUNK):
        rows.extend(await session.execute(select(*columns).where(key.in_(ordered[start : start + CHUNK]))))
    return rows


async def apply_registrations(session: AsyncSession, facts: Sequence[tuple[Any, datetime]]) -> None:
    """Apply registration facts (`REGISTRATION_STATUS` types) in their order, in a few statements."""
    if not facts:
        return
    r, i = tables.registrations, tables.instances
    known = {
        row.id for row in await _select_in(session, [r.c.id], r.c.id, {e.registration_id for e, _ in facts})
    }
    waitlisted = {e.instance_id for e, _ in facts if type(e) is RegistrationWaitlisted}
    counters: dict[uuid.UUID, int] = {
        row.id: row.waitlist_counter
        for row in await _select_in(session, [i.c.id, i.c.waitlist_counter], i.c.id, waitlisted)
    }
    counted: set[uuid.UUID] = set()
    inserted: dict[uuid.UUID, dict[str, Any]] = {}
    updated: dict[uuid.UUID, dict[str, Any]] = {}
    forgotten: list[dict[str, Any]] = []
    for event, at in facts:
        status = REGISTRATION_STATUS[type(event)]
        values: dict[str, Any] = {
            "mode": event.mode,
            "status": status,
            "council_id": event.council_id,
            "updated_at": at,
            "waitlist_seq": 0,
        }
        applies = True
        if status == "waitlisted":
            if event.instance_id in counters:
                counters[event.instance_id] += 1
                counted.add(event.instance_id)
                values["waitlist_seq"] = counters[event.instance_id]
            else:
                applies = False  # an instance never scheduled: nothing to wait for
        if applies:
            key = event.registration_id
            if key in inserted:
                inserted[key].update(values)
            elif key in known:
                updated[key] = values
            else:
                inserted[key] = {
                    "id": key,
                    "instance_id": event.instance_id,
                    "member_id": event.member_id,
                    "created_at": at,
                    **values,
                }
        if status == "cancelled":
            forgotten.append({"b_instance": event.instance_id, "b_member": event.member_id})
    if inserted:
        await session.execute(r.insert(), list(inserted.values()))
    if updated:
        await session.execute(
            update(r)
            .where(r.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in _VALUES}),
            [
                {"b_id": key, **{f"b_{name}": values[name] for name in _VALUES}}
                for key, values in updated.items()
            ],
        )
    if counted:
        await session.execute(
            update(i).where(i.c.id == bindparam("b_id")).values(waitlist_counter=bindparam("b_counter")),
            [{"b_id": key, "b_counter": counters[key]} for key in sorted(counted)],
        )
    if forgotten:
        c = attendance_confirmations
        await session.execute(
            delete(c).where(
                and_(c.c.instance_id == bindparam("b_instance"), c.c.member_id == bindparam("b_member"))
            ),
            forgotten,
        )
