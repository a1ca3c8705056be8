"""Tables of the councils' voice, on the meetings `metadata`: the projects submitted to an
instance (with the decision taken on each), the councils' current opinions, and each council's
participation choice per instance type. Written only by `voice_projection.apply_voice_fact`."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, Uuid

from conseils_meetings.tables import metadata
from conseils_runtime.database import UtcDateTime

projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("title", String(300), nullable=False),
    Column("promoter", String(300), nullable=False),
    Column("theme", String(64), nullable=True),
    Column("place", String(300), nullable=True),
    Column("amount_requested", Integer, nullable=False),
    Column("document", JSON, nullable=True),  # DocumentRef of the instance's dossier
    Column("opinion_deadline", UtcDateTime(), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("decision", String(20), nullable=True),  # retenu | ajourne | refuse
    Column("amount_granted", Integer, nullable=True),
    Column("decision_note", Text, nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
)

opinions = Table(
    # The current opinion of each council on each project: the newest `given_at` wins (a late
    # or duplicate older fact changes nothing); `revisions` counts the facts applied.
    "council_opinions",
    metadata,
    Column("project_id", Uuid, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("council_id", Uuid, primary_key=True),
    Column("instance_id", Uuid, nullable=False, index=True),
    Column("opinion_id", Uuid, nullable=False),
    Column("stance", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("given_by", Uuid, nullable=False),
    Column("given_at", UtcDateTime(), nullable=False),
    Column("revisions", Integer, nullable=False, default=1),
)

participation_choices = Table(
    "participation_choices",
    metadata,
    Column("council_id", Uuid, primary_key=True),
    Column("instance_type", String(64), primary_key=True),
    Column("choice", String(20), nullable=False),  # participant | observer | none
    Column("chosen_by", Uuid, nullable=False),
    Column("chosen_at", UtcDateTime(), nullable=False),
)
