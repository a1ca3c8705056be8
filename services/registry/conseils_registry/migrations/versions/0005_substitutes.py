"""substitutes (suppléant·es) of the councils' theme referents

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:30:00

Issue 20: per council and theme at most one active substitute of the referent, invited when the
referent cannot come; former terms kept (`until`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "substitutes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["councils.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["theme"], ["themes.slug"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_substitutes_council_theme", "substitutes", ["council_id", "theme"])
    op.create_index(
        "uq_substitutes_one_active",
        "substitutes",
        ["council_id", "theme"],
        unique=True,
        postgresql_where=sa.text("until IS NULL"),
        sqlite_where=sa.text("until IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_substitutes_one_active", table_name="substitutes")
    op.drop_index("ix_substitutes_council_theme", table_name="substitutes")
    op.drop_table("substitutes")
