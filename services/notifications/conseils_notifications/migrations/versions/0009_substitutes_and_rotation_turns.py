"""the substitutes of the theme referents, the rotation scenario's turns (read models)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:40:00

Issue 20: who is the substitute (suppléant·e) of each council's referent per theme, from when
until when (she is invited when the referent cancels her registration); and the member whose
turn it is to represent each council at an instance under the rotation scenario.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "substitute_terms",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("council_id", "theme", "member_id", "since"),
    )
    op.create_table(
        "rotation_turns",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "council_id"),
    )


def downgrade() -> None:
    op.drop_table("rotation_turns")
    op.drop_table("substitute_terms")
