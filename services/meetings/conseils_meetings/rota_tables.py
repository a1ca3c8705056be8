"""Tables of the rotation scenario (tour de rôle), on the meetings service's `metadata` (imported
by `tables`), written only by `rota_projection` from the log's facts: each council's rota (its
members in order, the position of the next turn, the turns owed by a swap) and the turn of each
council at each instance (no member: the rota had nobody eligible); and the substitutes of the
referents as the registry announced them (temporal, for the bilan's count of their presence)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Integer, String, Table, Uuid

from conseils_meetings.tables import metadata
from conseils_runtime.database import UtcDateTime

rotas = Table(
    "rotas",
    metadata,
    Column("council_id", Uuid, primary_key=True),
    Column("member_ids", JSON, nullable=False),  # ids (strings), in the order of their turns
    Column("position", Integer, nullable=False),  # index of the next natural turn
    Column("owed", JSON, nullable=False),  # {member who took a turn by swap: member owed her next}
    Column("set_at", UtcDateTime(), nullable=False),
)

rotation_turns = Table(
    "rotation_turns",
    metadata,
    Column("instance_id", Uuid, primary_key=True),
    Column("council_id", Uuid, primary_key=True),
    Column("member_id", Uuid, nullable=True),
    Column("swapped_with", Uuid, nullable=True),
    Column("assigned_at", UtcDateTime(), nullable=False),
)

substitute_terms = Table(
    "substitute_terms",
    metadata,
    Column("council_id", Uuid, primary_key=True),
    Column("theme", String(64), primary_key=True),
    Column("member_id", Uuid, primary_key=True),
    Column("since", Date, primary_key=True),
    Column("until", Date, nullable=True),
)
