"""SMS channel: STOP and number hash per person, delivery reports per message

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_standing",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("phone_key", sa.String(length=40), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_id"),
    )
    with op.batch_alter_table("sms_standing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_standing_phone_key"), ["phone_key"], unique=False)
    op.create_table(
        "sms_messages",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("septets", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.String(length=16), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_messages_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_messages_member_id"))
    op.drop_table("sms_messages")
    with op.batch_alter_table("sms_standing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_standing_phone_key"))
    op.drop_table("sms_standing")
