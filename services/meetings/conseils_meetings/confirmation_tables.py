"""The venues confirmed with « Je viens » (issue 19), on the meetings service's `metadata`
(imported by `tables`): one row per instance and member, applied from `AttendanceConfirmed`
(`confirmation_projection`) and removed when that registration is cancelled, so a rebuilt
database holds the same. Ids and a time only."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Table, Uuid

from conseils_meetings.tables import metadata
from conseils_runtime.database import UtcDateTime

attendance_confirmations = Table(
    "attendance_confirmations",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Uuid, primary_key=True),
    Column("registration_id", Uuid, nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=False),
)
