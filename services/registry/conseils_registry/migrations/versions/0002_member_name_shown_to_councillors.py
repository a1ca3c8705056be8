"""a member's name shown to the other councils' councillors (off by default)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member_contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shown_to_councillors", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("member_contacts", schema=None) as batch_op:
        batch_op.drop_column("shown_to_councillors")
