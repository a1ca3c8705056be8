"""the participation periods the service last started with

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:00:00

Issue 20: at start the service compares the territory file's participation periods with the ones
recorded here and refuses a change of a scenario already in force on a past day
(`conseils_runtime.territory_timeline`).
"""

from collections.abc import Sequence

from alembic import op

from conseils_runtime.migration_ops import create_participation_timeline_v1, drop_participation_timeline_v1

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_participation_timeline_v1(op)


def downgrade() -> None:
    drop_participation_timeline_v1(op)
