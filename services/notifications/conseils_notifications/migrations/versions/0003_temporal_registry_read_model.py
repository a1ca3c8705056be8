"""temporal registry read model (shared with meetings)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:00:00

The read model of registry facts becomes the shared temporal one
(`conseils_runtime.registry_view`): `councils` and `members` gain the instant
of their newest fact (and `status`, `dissolved_on`, `erased`), and
`member_periods` and `referent_terms` replace `referents`. Existing rows are
carried over with an unknown start (1900-01-01); replaying the registry
topics fills the real dates.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from conseils_runtime.database import UtcDateTime
from conseils_runtime.migration_ops import create_registry_history_tables_v1

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKNOWN_START = date(1900, 1, 1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.MetaData()
    old_referents = sa.Table("referents", old, autoload_with=bind)
    old_members = sa.Table("members", old, autoload_with=bind)
    referent_rows = [dict(r) for r in bind.execute(sa.select(old_referents)).mappings()]
    member_rows = [dict(r) for r in bind.execute(sa.select(old_members)).mappings()]
    periods, terms = create_registry_history_tables_v1(op)
    with op.batch_alter_table("referents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referents_member_id"))
    op.drop_table("referents")
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="active")
        )
        batch_op.add_column(sa.Column("dissolved_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("as_of", UtcDateTime(timezone=True), nullable=False, server_default=EPOCH.isoformat())
        )
        batch_op.alter_column(
            "name", existing_type=sa.VARCHAR(length=200), type_=sa.String(length=300), existing_nullable=False
        )
        batch_op.alter_column(
            "city", existing_type=sa.VARCHAR(length=120), type_=sa.String(length=200), existing_nullable=False
        )
        batch_op.create_index(batch_op.f("ix_councils_city_code"), ["city_code"], unique=False)
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("as_of", server_default=None)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("as_of", UtcDateTime(timezone=True), nullable=False, server_default=EPOCH.isoformat())
        )
        batch_op.alter_column("council_id", existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("erased", server_default=None)
        batch_op.alter_column("as_of", server_default=None)
    current = [r for r in member_rows if r["active"]]
    if current:
        op.bulk_insert(
            periods,
            [
                {
                    "member_id": r["member_id"],
                    "since": UNKNOWN_START,
                    "council_id": r["council_id"],
                    "until": None,
                }
                for r in current
            ],
        )
    if referent_rows:
        op.bulk_insert(
            terms,
            [
                {
                    "council_id": r["council_id"],
                    "theme": r["theme"],
                    "member_id": r["member_id"],
                    "since": UNKNOWN_START,
                    "until": None,
                }
                for r in referent_rows
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("as_of")
        batch_op.drop_column("erased")
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_councils_city_code"))
        batch_op.alter_column(
            "city", existing_type=sa.String(length=200), type_=sa.VARCHAR(length=120), existing_nullable=False
        )
        batch_op.alter_column(
            "name", existing_type=sa.String(length=300), type_=sa.VARCHAR(length=200), existing_nullable=False
        )
        batch_op.drop_column("as_of")
        batch_op.drop_column("dissolved_on")
        batch_op.drop_column("status")
    op.create_table(
        "referents",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("council_id", "theme"),
    )
    with op.batch_alter_table("referents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referents_member_id"), ["member_id"], unique=False)
    with op.batch_alter_table("referent_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_referent_terms_member")
    op.drop_table("referent_terms")
    with op.batch_alter_table("member_periods", schema=None) as batch_op:
        batch_op.drop_index("ix_member_periods_council")
    op.drop_table("member_periods")
