"""instance description, other attendees

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:10:00

An instance gets a description (edited by staff, `InstanceUpdated`) and the participants
other than councillors recorded with its attendance (`AttendanceRecorded.other_attendees`:
category, organisation, role and count, never a name).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("other_attendees", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("other_attendees")
        batch_op.drop_column("description")
