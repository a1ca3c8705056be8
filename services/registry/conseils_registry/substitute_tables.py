"""The substitutes (suppléant·es) of the councils' theme referents, on the registry's `metadata`
(imported by `tables`): per council and theme at most one active substitute; former terms kept."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Uuid, text

from conseils_registry.tables import metadata

substitutes = Table(
    "substitutes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("council_id", Uuid, ForeignKey("councils.id"), nullable=False),
    Column("theme", String(64), ForeignKey("themes.slug"), nullable=False),
    Column("member_id", Uuid, ForeignKey("members.id"), nullable=False),
    Column("since", Date, nullable=False),
    Column("until", Date, nullable=True),
    Index("ix_substitutes_council_theme", "council_id", "theme"),
    Index(
        "uq_substitutes_one_active",
        "council_id",
        "theme",
        unique=True,
        postgresql_where=text("until IS NULL"),
        sqlite_where=text("until IS NULL"),
    ),
)
