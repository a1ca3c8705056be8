"""The read model's tables, defined the same on each service's metadata."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Boolean, Column, Date, Index, MetaData, String, Table, Uuid

from conseils_runtime.database import UtcDateTime


@dataclass(frozen=True)
class RegistryViewTables:
    councils: Table
    members: Table
    member_periods: Table
    referent_terms: Table


def registry_view_tables(metadata: MetaData) -> RegistryViewTables:
    """Define the read model's tables on a service's metadata (same names and columns everywhere)."""
    councils = Table(
        "councils",
        metadata,
        Column("council_id", Uuid, primary_key=True),
        Column("name", String(300), nullable=False),
        Column("city", String(200), nullable=False),
        Column("city_code", String(8), nullable=False, index=True),
        Column("status", String(20), nullable=False),
        Column("active", Boolean, nullable=False, default=True),
        Column("dissolved_on", Date, nullable=True),
        Column("as_of", UtcDateTime(), nullable=False),
    )
    members = Table(
        "members",
        metadata,
        Column("member_id", Uuid, primary_key=True),
        Column("council_id", Uuid, nullable=True, index=True),
        Column("role", String(20), nullable=False, default="member"),
        Column("themes_followed", JSON, nullable=False, default=list),
        Column("active", Boolean, nullable=False, default=True),
        Column("erased", Boolean, nullable=False, default=False),
        Column("as_of", UtcDateTime(), nullable=False),
    )
    member_periods = Table(
        "member_periods",
        metadata,
        Column("member_id", Uuid, primary_key=True),
        Column("since", Date, primary_key=True),
        Column("council_id", Uuid, nullable=False),
        Column("until", Date, nullable=True),
        Index("ix_member_periods_council", "council_id"),
    )
    referent_terms = Table(
        "referent_terms",
        metadata,
        Column("council_id", Uuid, primary_key=True),
        Column("theme", String(64), primary_key=True),
        Column("member_id", Uuid, primary_key=True),
        Column("since", Date, primary_key=True),
        Column("until", Date, nullable=True),
        Index("ix_referent_terms_member", "member_id"),
    )
    return RegistryViewTables(councils, members, member_periods, referent_terms)
