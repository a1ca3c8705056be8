"""presence declared with the attendance code

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:50:00

Issue 19: the presence a councillor declared by typing the instance's attendance code
(`presence_declarations`, from `PresenceDeclared`), and the wrong codes she typed
(`presence_attempts`, a local guard that locks the code for her after five).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import conseils_runtime.database

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presence_declarations",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("declared_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "member_id"),
    )
    op.create_table(
        "presence_attempts",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("presence_attempts")
    op.drop_table("presence_declarations")
