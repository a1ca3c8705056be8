"""Tables of the presence declared with the attendance code, on the meetings service's `metadata`
(imported by `tables`). `presence_declarations` is applied from `PresenceDeclared`
(`presence_projection`), so a rebuilt database holds the same; `presence_attempts` (wrong codes
typed, the lock after too many) is a local guard only, never in the log."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Table, Uuid

from conseils_meetings.tables import metadata
from conseils_runtime.database import UtcDateTime

presence_declarations = Table(
    "presence_declarations",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Uuid, primary_key=True),
    Column("declared_at", UtcDateTime(), nullable=False),
)

presence_attempts = Table(
    "presence_attempts",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Uuid, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UtcDateTime(), nullable=False),
)
