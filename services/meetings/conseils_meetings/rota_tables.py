"""Tables of the rotation scenario (tour de rôle), on the meetings service's `metadata` (imported
by `tables`), written only by `rota_projection` from the log's facts: each council's rota (its
members in order, the position of the next turn, the turns owed by a swap) and the turn of each
council at each instance (no member: the rota had nobody eligible)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, Table, Uuid

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
