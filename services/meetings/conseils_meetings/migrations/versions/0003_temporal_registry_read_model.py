"""temporal registry read model (shared with notifications), convened list

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:59:53.910753

The read model of registry facts becomes the shared temporal one
(`conseils_runtime.registry_view`): `councils` and `members` keyed by
`council_id` / `member_id` with the instant of their newest fact, plus
`member_periods` and `referent_terms`. Existing rows are carried over: a
membership or a referent term whose start is unknown starts at 1900-01-01
(`UNKNOWN_START`); replaying the registry topics fills the real dates.
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


def _create_new_tables() -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    councils = op.create_table(
        "councils",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("city_code", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("dissolved_on", sa.Date(), nullable=True),
        sa.Column("as_of", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("council_id"),
    )
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_councils_city_code"), ["city_code"], unique=False)
    members = op.create_table(
        "members",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("themes_followed", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("as_of", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_id"),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_council_id"), ["council_id"], unique=False)
    periods, terms = create_registry_history_tables_v1(op)
    return councils, members, periods, terms


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.MetaData()
    old_councils = sa.Table("councils", old, autoload_with=bind)
    old_members = sa.Table("members", old, autoload_with=bind)
    old_referents = sa.Table("referents", old, autoload_with=bind)
    council_rows = [dict(r) for r in bind.execute(sa.select(old_councils)).mappings()]
    member_rows = [dict(r) for r in bind.execute(sa.select(old_members)).mappings()]
    referent_rows = [dict(r) for r in bind.execute(sa.select(old_referents)).mappings()]
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_council_id"))
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_councils_city_code"))
    op.drop_table("referents")
    op.drop_table("members")
    op.drop_table("councils")
    councils, members, periods, terms = _create_new_tables()
    if council_rows:
        op.bulk_insert(
            councils,
            [
                {
                    "council_id": r["id"],
                    "name": r["name"],
                    "city": r["city"],
                    "city_code": r["city_code"],
                    "status": r["status"],
                    "active": r["active"],
                    "dissolved_on": None,
                    "as_of": EPOCH,
                }
                for r in council_rows
            ],
        )
    if member_rows:
        op.bulk_insert(
            members,
            [
                {
                    "member_id": r["id"],
                    "council_id": r["council_id"],
                    "role": r["role"],
                    "themes_followed": r["themes_followed"],
                    "active": r["active"],
                    "erased": False,
                    "as_of": EPOCH,
                }
                for r in member_rows
            ],
        )
        current = [r for r in member_rows if r["active"] and r["council_id"] is not None]
        if current:
            op.bulk_insert(
                periods,
                [
                    {
                        "member_id": r["id"],
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
                    "since": r["since"] or UNKNOWN_START,
                    "until": None if r["active"] else (r["until"] or UNKNOWN_START),
                }
                for r in referent_rows
            ],
        )
    op.create_table(
        "convened",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "council_id", "member_id"),
    )


def downgrade() -> None:
    # The history (periods, terms, convened lists) cannot be expressed in the old
    # schema: the old tables come back empty; replay the registry topics to fill them.
    op.drop_table("convened")
    with op.batch_alter_table("referent_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_referent_terms_member")
    op.drop_table("referent_terms")
    with op.batch_alter_table("member_periods", schema=None) as batch_op:
        batch_op.drop_index("ix_member_periods_council")
    op.drop_table("member_periods")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_council_id"))
    op.drop_table("members")
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_councils_city_code"))
    op.drop_table("councils")
    op.create_table(
        "councils",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("city_code", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_councils_city_code"), ["city_code"], unique=False)
    op.create_table(
        "members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("themes_followed", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_council_id"), ["council_id"], unique=False)
    op.create_table(
        "referents",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("council_id", "theme", "member_id"),
    )
