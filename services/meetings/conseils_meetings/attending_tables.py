"""Tables of the barriers to attending, on the meetings service's `metadata` (imported by
`tables`). `needs` and `claim_receipts` are personal data kept here only: never in an event, erased
with the person, needs deleted some days after the instance. `needs_counts` and `cost_claims` are
applied from the events (`attending_projection`), so a rebuilt database gives the same bilan."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, Uuid

from conseils_meetings.tables import metadata
from conseils_runtime.database import UtcDateTime

needs = Table(
    "needs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("children", Integer, nullable=True),
    Column("children_ages", JSON, nullable=True),
    Column("detail", Text, nullable=True),
    Column("booked_at", UtcDateTime(), nullable=True),
    Column("alerted_at", UtcDateTime(), nullable=True),
    Column("declared_at", UtcDateTime(), nullable=False),
    Index("ix_needs_instance_member_kind", "instance_id", "member_id", "kind", unique=True),
    Index("ix_needs_member", "member_id"),
)

needs_counts = Table(
    "needs_counts",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("requested", JSON, nullable=False),
    Column("booked", JSON, nullable=False),
    Column("counted_at", UtcDateTime(), nullable=False),
)

cost_claims = Table(
    "cost_claims",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("member_id", Uuid, nullable=False, index=True),
    Column("council_id", Uuid, nullable=True),
    Column("kind", String(20), nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("hours", Float, nullable=True),
    Column("status", String(20), nullable=False),  # submitted | approved | refused | paid
    Column("reason", Text, nullable=True),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("paid_at", UtcDateTime(), nullable=True),
)

claim_receipts = Table(
    "claim_receipts",
    metadata,
    Column("claim_id", Uuid, primary_key=True),
    Column("member_id", Uuid, nullable=False, index=True),
    Column("filename", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_name", String(100), nullable=False, unique=True),
)

attestations = Table(
    # One row per attestation downloaded: the code printed on it (an HMAC that also covers the
    # name printed, which is not stored), so a public page can say what it certifies.
    "attestations",
    metadata,
    Column("code", String(24), primary_key=True),
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Uuid, nullable=False, index=True),
    Column("issued_at", UtcDateTime(), nullable=False),
)

easy_read_dossiers = Table(
    # Each dossier publication, with or without its easy-to-read summary (DossierPublished):
    # the bilan's easy-read coverage, the same on a rebuilt database.
    "easy_read_dossiers",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("dossier_version", Integer, nullable=False),
    Column("has_summary", Boolean, nullable=False),
    Column("has_audio", Boolean, nullable=False),
)

easy_read_alerts = Table(
    # Instances whose missing easy-to-read summary was already signalled to staff (once each).
    "easy_read_alerts",
    metadata,
    Column("instance_id", Uuid, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("alerted_at", UtcDateTime(), nullable=False),
)
