"""venues confirmed with « Je viens »

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:30:00

Issue 19: the J-1 reminder's « Je viens » (`attendance_confirmations`, from
`AttendanceConfirmed`; removed when that registration is cancelled).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import conseils_runtime.database

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance_confirmations",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("confirmed_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("attendance_confirmations")
