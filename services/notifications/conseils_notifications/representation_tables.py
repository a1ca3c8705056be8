"""How the councils are represented, as the other services announced it, on the notifications
service's `metadata` (imported by `tables`): the substitutes of the theme referents
(`SubstituteDesignated`, `SubstituteWithdrawn`: temporal, one row per term, from `since` until
`until` excluded) and the rotation scenario's turns (`RotationTurnAssigned`: who is invited)."""

from __future__ import annotations

from sqlalchemy import Column, Date, String, Table, Uuid

from conseils_notifications.tables import metadata

substitute_terms = Table(
    "substitute_terms",
    metadata,
    Column("council_id", Uuid, primary_key=True),
    Column("theme", String(64), primary_key=True),
    Column("member_id", Uuid, primary_key=True),
    Column("since", Date, primary_key=True),
    Column("until", Date, nullable=True),
)

rotation_turns = Table(
    "rotation_turns",
    metadata,
    Column("instance_id", Uuid, primary_key=True),
    Column("council_id", Uuid, primary_key=True),
    Column("member_id", Uuid, nullable=False),
)
