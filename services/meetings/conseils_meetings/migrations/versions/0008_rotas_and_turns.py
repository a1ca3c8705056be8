"""the rotation scenario: each council's rota and the turn of each council at each instance

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:45:00

Issue 20: the rota (tour de rôle) of each council, its next position and the turns owed by a
swap (`rotas`, from `RotaSet` and the turns), and who represents each council at an instance
of a type under the rotation scenario (`rotation_turns`, from `RotationTurnAssigned` and
`RotationTurnVacant`); the referents' substitutes from the registry (`substitute_terms`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import conseils_runtime.database

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rotas",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("owed", sa.JSON(), nullable=False),
        sa.Column("set_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("council_id"),
    )
    op.create_table(
        "rotation_turns",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("swapped_with", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "council_id"),
    )
    op.create_table(
        "substitute_terms",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("council_id", "theme", "member_id", "since"),
    )


def downgrade() -> None:
    op.drop_table("substitute_terms")
    op.drop_table("rotation_turns")
    op.drop_table("rotas")
