"""The runtime's own tables, created by every service's migrations from one place.

The outbox (:mod:`conseils_runtime.outbox`) and the consumers' processed-event
log (:mod:`conseils_runtime.consumer`) live in each service's database, so
each service's first revision creates them; the DDL is written here once and
each ``0001_initial_schema.py`` calls it.

These functions are migrations: once released, one is never edited (a
database migrated by it must stay what it was). A change to a runtime table
is a new function here (``..._v2``) called by a new revision of every
service.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from conseils_runtime.database import UtcDateTime


def create_runtime_tables_v1(op: Any) -> None:
    """``outbox_messages`` (with its pending index) and ``processed_events``."""
    op.create_table(
        "outbox_messages",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["published_at", "seq"], unique=False)

    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )


def drop_runtime_tables_v1(op: Any) -> None:
    """The downgrade of :func:`create_runtime_tables_v1`."""
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox_messages")


def create_registry_history_tables_v1(op: Any) -> tuple[sa.Table, sa.Table]:
    """The registry view's history (:mod:`conseils_runtime.registry_view`):
    ``member_periods`` and ``referent_terms``, returned for the data carry-over."""
    periods = op.create_table(
        "member_periods",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("member_id", "since"),
    )
    with op.batch_alter_table("member_periods", schema=None) as batch_op:
        batch_op.create_index("ix_member_periods_council", ["council_id"], unique=False)
    terms = op.create_table(
        "referent_terms",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("council_id", "theme", "member_id", "since"),
    )
    with op.batch_alter_table("referent_terms", schema=None) as batch_op:
        batch_op.create_index("ix_referent_terms_member", ["member_id"], unique=False)
    return periods, terms


def create_participation_timeline_v1(op: Any) -> None:
    """``participation_timeline``: the participation periods a service last started with
    (:mod:`conseils_runtime.territory_timeline`), one row per start that changed them."""
    op.create_table(
        "participation_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def drop_participation_timeline_v1(op: Any) -> None:
    """The downgrade of :func:`create_participation_timeline_v1`."""
    op.drop_table("participation_timeline")
