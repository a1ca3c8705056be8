"""contacts keep the consent date of the registry's card

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

A member without consent receives nothing on any channel; cards already copied
get their consent back when the compacted contacts topic is read again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from conseils_runtime.database import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_given_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("consent_given_at")
