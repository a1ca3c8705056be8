"""Tables of the meetings service, on its own `metadata`.

The registry read model (`councils`, `members`, `member_periods`,
`referent_terms`, shared with notifications) is filled only from registry
events, by `conseils_runtime.registry_view`. Everything else is owned here.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from conseils_runtime.database import UtcDateTime
from conseils_runtime.registry_view import registry_view_tables

metadata = MetaData()

# --------------------------------------------------------------------------- read model (registry events)

# The shared temporal read model (conseils_runtime.registry_view): councils,
# members, member_periods and referent_terms, the same tables as in notifications.
registry_view = registry_view_tables(metadata)
councils = registry_view.councils
members = registry_view.members
member_periods = registry_view.member_periods
referent_terms = registry_view.referent_terms

# --------------------------------------------------------------------------- instances

instances = Table(
    "instances",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("instance_type", String(64), nullable=False, index=True),
    Column("title", String(300), nullable=False),
    Column("theme", String(64), nullable=True),
    Column("city_code", String(5), nullable=True),
    Column("council_id", Uuid, nullable=True),
    Column("scope", String(20), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False, index=True),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("location", String(300), nullable=False),
    Column("status", String(30), nullable=False),
    Column("is_political", Boolean, nullable=False),
    Column("is_evening", Boolean, nullable=False),
    Column("observers_allowed", Boolean, nullable=False),
    Column("sequence", Integer, nullable=False, default=0),
    Column("policy_warnings", JSON, nullable=False, default=list),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("scheduled_at", UtcDateTime(), nullable=True),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    Column("cancel_reason", Text, nullable=True),
    Column("held_at", UtcDateTime(), nullable=True),
    Column("dossier_version", Integer, nullable=False, default=0),
    Column("first_dossier_published_at", UtcDateTime(), nullable=True),
    Column("dossier_published_at", UtcDateTime(), nullable=True),
    Column("dossier_late_alerted_at", UtcDateTime(), nullable=True),
    Column("minutes_summary", Text, nullable=True),
    Column("minutes_published_at", UtcDateTime(), nullable=True),
    Column("waitlist_counter", Integer, nullable=False, default=0),
    Column("description", Text, nullable=True),
    # participants other than councillors (AttendanceRecorded.other_attendees): no names
    Column("other_attendees", JSON, nullable=True),
)

instance_councils = Table(
    "instance_councils",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("council_id", Uuid, primary_key=True),
    # A councillor's agenda looks instances up by council: without it, each agenda scans the table.
    Index("ix_instance_councils_council", "council_id"),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("council_id", Uuid, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("waitlist_seq", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("instance_id", "member_id", name="uq_registration_member"),
    Index("ix_registrations_member", "member_id"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # dossier | minutes
    Column("filename", String(255), nullable=False),
    Column("media_type", String(150), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_name", String(100), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("uploaded_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
)

attendance = Table(
    "attendance",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Uuid, primary_key=True),
    Column("council_id", Uuid, nullable=True),
    Column("registered", Boolean, nullable=False),
    # her attendance (every GET /me/registrations): without it a scan of every attendance row
    Index("ix_attendance_member", "member_id"),
)

convened = Table(
    # Who was convened, per council, frozen when attendance is recorded (ids only):
    # the bilan of a held instance never depends on who is a member later.
    "convened",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("council_id", Uuid, primary_key=True),
    Column("member_id", Uuid, primary_key=True),
)

# --------------------------------------------------------------------------- forum outcomes

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", String(20), nullable=False),  # proposal | commitment
    Column("text", Text, nullable=False),
    Column("made_by", String(300), nullable=False),  # a council's name or an elected official's office
    Column("council_id", Uuid, nullable=True),
    Column("instance_id", Uuid, nullable=True),
    Column("theme", String(64), nullable=True),
    Column("made_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

outcome_updates = Table(
    "outcome_updates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("outcome_id", Uuid, ForeignKey("outcomes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("note", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# --------------------------------------------------------------------------- barriers to attending

from conseils_meetings import attending_tables as _attending_tables  # noqa: E402,F401  (needs, claims)
from conseils_meetings import confirmation_tables as _confirmation_tables  # noqa: E402,F401  (« Je viens »)
from conseils_meetings import presence_tables as _presence_tables  # noqa: E402,F401  (attendance code)
from conseils_meetings import rota_tables as _rota_tables  # noqa: E402,F401  (rotation scenario)

# The participation periods the service last started with (issue 20: a past scenario change refused).
from conseils_runtime.territory_timeline import participation_timeline_table  # noqa: E402

participation_timeline = participation_timeline_table(metadata)

# How many transactions recorded a fact here (the bilan's fingerprint on PostgreSQL: `fact_clock`).
from conseils_meetings.fact_clock import fact_clock_table  # noqa: E402

fact_clock = fact_clock_table(metadata)
