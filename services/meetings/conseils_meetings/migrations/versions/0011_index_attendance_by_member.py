"""index attendance by member

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:40:00

Issue 17: every GET /me/registrations reads her attendance; without this index SQLite scanned
every attendance row (58,000 in a national year: 4.9 ms a call, 0.007 ms with it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_member", ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_member")
