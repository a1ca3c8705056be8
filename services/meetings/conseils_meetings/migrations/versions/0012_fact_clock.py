"""fact clock

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:20:00

The count of the transactions that recorded a fact (`conseils_meetings.fact_clock`): the bilan's
fingerprint on PostgreSQL, which the transaction snapshot was before (it moved with any write to
any database of the server).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fact_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("commits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("fact_clock")
