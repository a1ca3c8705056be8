"""Tables of the registry, on its own `metadata` (the runtime adds the outbox
and processed-event tables to it).

Personal data lives in two places only: `member_contacts` (a councillor's
contact card, deleted on erasure) and `staff_accounts` (professional
accounts). `members` and `referents` hold ids, roles and dates.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    false,
    text,
)

from conseils_runtime.database import UtcDateTime

metadata = MetaData()

territories = Table(
    "territories",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("timezone", String(64), nullable=False),
)

cities = Table(
    "cities",
    metadata,
    Column("code", String(5), primary_key=True),
    Column("name", String(200), nullable=False),
)

neighbourhoods = Table(
    "neighbourhoods",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("city_code", String(5), ForeignKey("cities.code"), nullable=False),
    Column("name", String(200), nullable=False),
)

themes = Table(
    "themes",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False, default=0),
)

councils = Table(
    "councils",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("city_code", String(5), ForeignKey("cities.code"), nullable=False),
    Column("neighbourhood_code", String(32), ForeignKey("neighbourhoods.code"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_on", Date, nullable=False),
    Column("dissolved_on", Date, nullable=True),
)

members = Table(
    "members",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("council_id", Uuid, ForeignKey("councils.id"), nullable=False),
    Column("college", String(20), nullable=False),
    Column("drawn_by_lot", Boolean, nullable=False, default=False),
    Column("role", String(20), nullable=False),
    Column("joined_on", Date, nullable=False),
    Column("left_on", Date, nullable=True),
    Column("themes_followed", JSON, nullable=False),
    Column("erased_at", UtcDateTime(), nullable=True),
    Index("ix_members_council", "council_id"),
)

member_contacts = Table(
    "member_contacts",
    metadata,
    Column("member_id", Uuid, ForeignKey("members.id"), primary_key=True),
    Column("display_name", String(120), nullable=False),
    Column("email", String(254), nullable=True),  # None: reached by SMS only
    Column("phone", String(24), nullable=True),
    Column("language", String(20), nullable=False),
    Column("consent_given_at", UtcDateTime(), nullable=True),
    # Her name shown to the councillors of other councils (councils page): off until she says so.
    Column("shown_to_councillors", Boolean, nullable=False, default=False, server_default=false()),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_member_contacts_email", "email"),
)

referents = Table(
    "referents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("council_id", Uuid, ForeignKey("councils.id"), nullable=False),
    Column("theme", String(64), ForeignKey("themes.slug"), nullable=False),
    Column("member_id", Uuid, ForeignKey("members.id"), nullable=False),
    Column("since", Date, nullable=False),
    Column("until", Date, nullable=True),
    Column("end_reason", String(20), nullable=True),
    Index("ix_referents_council_theme", "council_id", "theme"),
    # At most one active referent (until IS NULL) per council and theme, guaranteed by
    # the database too: SQLite and PostgreSQL both have partial unique indexes.
    Index(
        "uq_referents_one_active",
        "council_id",
        "theme",
        unique=True,
        postgresql_where=text("until IS NULL"),
        sqlite_where=text("until IS NULL"),
    ),
)

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("role", String(20), nullable=False),
)

directory_entries = Table(
    "directory_entries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("entry_type", String(20), nullable=False),  # partner | scheme | place
    Column("name", String(200), nullable=False),  # organisation, scheme or place name
    Column("kind", String(20), nullable=True),  # partners: state, city, territory, landlord, ...
    Column("themes", JSON, nullable=False),
    Column("themes_text", String(500), nullable=False),
    Column("contact_role", String(200), nullable=True),
    Column("contact_email", String(254), nullable=True),  # a functional address, never a person's
    Column("city_code", String(5), nullable=True),
    Column("address", String(300), nullable=True),
    Column("url", String(500), nullable=True),
    Column("description", Text, nullable=False, default=""),
    Column("search_text", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_directory_type", "entry_type"),
)

# A person's request to be erased, made on the site; staff confirm it (then the erasure runs).
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("member_id", Uuid, ForeignKey("members.id"), nullable=False, index=True),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("confirmed_by", String(120), nullable=True),
)

# --------------------------------------------------------------------------- substitutes of referents

from conseils_registry import substitute_tables as _substitute_tables  # noqa: E402,F401
