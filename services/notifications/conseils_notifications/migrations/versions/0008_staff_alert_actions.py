"""staff alerts acknowledged and resolved, staff alert emails and their preferences

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00

What staff did with an alert (from the alerts topic), how each staff account wants its
alerts by email, and the alert emails (urgent at once, or the day's digest), sent once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from conseils_runtime.database import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_alert_actions",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", "action"),
    )
    op.create_table(
        "staff_alert_preferences",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_table(
        "staff_alert_mails",
        sa.Column("mail_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("alert_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("mail_id"),
        sa.UniqueConstraint("source", "email", name="uq_staff_alert_mail_source_email"),
    )
    with op.batch_alter_table("staff_alert_mails", schema=None) as batch_op:
        batch_op.create_index("ix_staff_alert_mails_due", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "staff_alert_notices",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("mail_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", "email"),
    )


def downgrade() -> None:
    op.drop_table("staff_alert_notices")
    with op.batch_alter_table("staff_alert_mails", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_alert_mails_due")
    op.drop_table("staff_alert_mails")
    op.drop_table("staff_alert_preferences")
    op.drop_table("staff_alert_actions")
