"""the participation periods the service last started with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00

Issue 20: at start the service compares the territory file's participation periods with the ones
recorded here and refuses a change of a scenario already in force on a past day
(`conseils_runtime.territory_timeline`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import conseils_runtime.database

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participation_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("recorded_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("participation_timeline")
