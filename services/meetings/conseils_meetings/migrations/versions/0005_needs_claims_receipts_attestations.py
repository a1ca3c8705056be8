"""needs to come, cost claims, their receipts, attestations of presence

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:29:10

Issue 19: a councillor's needs to come (`needs`, personal data kept here only) and their counts
(`needs_counts`, from `NeedsCounted`), cost claims (`cost_claims`, from the claim events) with
their receipts (`claim_receipts`, files in the document store), the attestations issued
(`attestations`: the verification code, never the name), the dossiers published with or without
their easy-to-read version (`easy_read_dossiers`) and the missing ones signalled (`easy_read_alerts`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import conseils_runtime.database

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_receipts",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("claim_id"),
        sa.UniqueConstraint("storage_name"),
    )
    with op.batch_alter_table("claim_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_receipts_member_id"), ["member_id"], unique=False)

    op.create_table(
        "attestations",
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attestations_member_id"), ["member_id"], unique=False)

    op.create_table(
        "cost_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cost_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cost_claims_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cost_claims_member_id"), ["member_id"], unique=False)

    op.create_table(
        "needs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("children", sa.Integer(), nullable=True),
        sa.Column("children_ages", sa.JSON(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("booked_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("alerted_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("declared_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_needs_instance_member_kind", ["instance_id", "member_id", "kind"], unique=True
        )
        batch_op.create_index("ix_needs_member", ["member_id"], unique=False)

    op.create_table(
        "needs_counts",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("requested", sa.JSON(), nullable=False),
        sa.Column("booked", sa.JSON(), nullable=False),
        sa.Column("counted_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id"),
    )

    op.create_table(
        "easy_read_dossiers",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("dossier_version", sa.Integer(), nullable=False),
        sa.Column("has_summary", sa.Boolean(), nullable=False),
        sa.Column("has_audio", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    op.create_table(
        "easy_read_alerts",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("alerted_at", conseils_runtime.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id"),
    )


def downgrade() -> None:
    op.drop_table("easy_read_alerts")
    op.drop_table("easy_read_dossiers")
    op.drop_table("needs_counts")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_member")
        batch_op.drop_index("ix_needs_instance_member_kind")

    op.drop_table("needs")
    with op.batch_alter_table("cost_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_claims_member_id"))
        batch_op.drop_index(batch_op.f("ix_cost_claims_instance_id"))

    op.drop_table("cost_claims")
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attestations_member_id"))

    op.drop_table("attestations")
    with op.batch_alter_table("claim_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_receipts_member_id"))

    op.drop_table("claim_receipts")
