"""Tables of the notifications service (the runtime adds its outbox and processed-event tables)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from conseils_runtime.database import UtcDateTime
from conseils_runtime.registry_view import registry_view_tables

metadata = MetaData()

# Personal data: deleted on tombstone or erasure. Never copied into events.
contacts = Table(
    "contacts",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("email", String(254), nullable=True),  # None: a v2 card, she is reached by SMS only
    Column("phone", String(32), nullable=True),
    Column("language", String(16), nullable=False, default="fr"),
    # When she agreed to be contacted (registry's card); none: no message on any channel.
    Column("consent_given_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# The shared temporal read model (conseils_runtime.registry_view): councils,
# members, member_periods and referent_terms, the same tables as in meetings.
registry_view = registry_view_tables(metadata)
councils = registry_view.councils
members = registry_view.members
member_periods = registry_view.member_periods
referent_terms = registry_view.referent_terms

instances = Table(
    "instances",
    metadata,
    Column("instance_id", Uuid, primary_key=True),
    Column("instance_type", String(64), nullable=False),
    Column("title", String(300), nullable=False),
    Column("theme", String(64), nullable=True),
    Column("city_code", String(8), nullable=True),
    Column("scope", String(16), nullable=False),
    Column("council_ids", JSON, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("location", String(300), nullable=False),
    Column("sequence", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False, default="scheduled"),
    Column("dossier_published_at", UtcDateTime(), nullable=True),
    Index("ix_instances_starts_at", "starts_at"),
)

registrations = Table(
    "registrations",
    metadata,
    Column("registration_id", Uuid, primary_key=True),
    Column("instance_id", Uuid, nullable=False, index=True),
    Column("member_id", Uuid, nullable=False, index=True),
    Column("council_id", Uuid, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # confirmed | waitlisted | cancelled
)

attendance = Table(
    "attendance",
    metadata,
    Column("instance_id", Uuid, primary_key=True),
    Column("member_id", Uuid, primary_key=True),
)

preferences = Table(
    "preferences",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("channels", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("digest", Boolean, nullable=False, default=False),
    Column("themes", JSON, nullable=True),
    Column("language", String(16), nullable=False, default="fr"),
    Column("feed_token", String(64), nullable=True, unique=True),
)

# One row per (source event, member, channel): the unique constraint is what makes
# "at most one email per event and recipient" hold across redeliveries and restarts.
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Uuid, primary_key=True),
    Column("source_event_id", String(120), nullable=False),
    Column("member_id", Uuid, nullable=False, index=True),
    Column("channel", String(8), nullable=False),
    Column("category", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("instance_id", Uuid, nullable=True, index=True),
    Column("reason", String(40), nullable=False),
    Column("context", JSON, nullable=False),
    # pending | sending | sent | failed | digest (waiting for the weekly digest) | digested
    # | no_consent (she did not agree to be contacted: nothing sent, shown to staff)
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("subject", String(300), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    UniqueConstraint("source_event_id", "member_id", "channel", name="uq_delivery_event_member_channel"),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
)

# Reminders and staff checks, stored so they survive restarts and follow the instance.
reminders = Table(
    "reminders",
    metadata,
    Column("reminder_id", Uuid, primary_key=True),
    Column("instance_id", Uuid, nullable=False, index=True),
    Column("kind", String(24), nullable=False),  # reminder | registration_check (dossier_check: older, inert)
    Column("days_before", Integer, nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("done_at", UtcDateTime(), nullable=True),
    Column("round", Integer, nullable=False, default=0),
    UniqueConstraint("instance_id", "kind", "days_before", name="uq_reminder_instance_kind_days"),
    Index("ix_reminders_due", "done_at", "due_at"),
)

# Staff alerts of the territory, from every service (alerts.staff topic): what staff see on their page.
staff_alerts = Table(
    "staff_alerts",
    metadata,
    Column("alert_id", Uuid, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("message_fr", Text, nullable=False),
    Column("raised_at", UtcDateTime(), nullable=False, index=True),
)

# What staff did with an alert (acknowledged, resolved), from the alerts topic: one row per alert
# and action, kept even when it arrives before its alert (another key, another partition).
staff_alert_actions = Table(
    "staff_alert_actions",
    metadata,
    Column("alert_id", Uuid, primary_key=True),
    Column("action", String(12), primary_key=True),  # acknowledged | resolved
    Column("staff_id", Uuid, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# How each staff account wants its alerts by email (default: urgent at once, others daily).
staff_alert_preferences = Table(
    "staff_alert_preferences",
    metadata,
    Column("email", String(320), primary_key=True),  # lower case, an account of the territory file
    Column("staff_id", Uuid, nullable=False),
    Column("mode", String(12), nullable=False),  # immediate | digest | none
    Column("updated_at", UtcDateTime(), nullable=False),
)

# The alert emails to staff: one urgent alert at once, or the day's digest; sent at most once
# per (source, address). `staff_alert_notices`: which alert each address was told of.
staff_alert_mails = Table(
    "staff_alert_mails",
    metadata,
    Column("mail_id", Uuid, primary_key=True),
    Column("source", String(80), nullable=False),  # alert:<alert id> | digest:<local date>
    Column("email", String(320), nullable=False),
    Column("alert_ids", JSON, nullable=False),
    Column("status", String(12), nullable=False),  # pending | sending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    UniqueConstraint("source", "email", name="uq_staff_alert_mail_source_email"),
    Index("ix_staff_alert_mails_due", "status", "next_attempt_at"),
)
staff_alert_notices = Table(
    "staff_alert_notices",
    metadata,
    Column("alert_id", Uuid, primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("mail_id", Uuid, nullable=False),
)

# Outgoing webhooks (Standard Webhooks): the endpoints staff registered, one message per
# (endpoint, source event) waiting for or done with delivery (the outbox of the webhook
# sender), and every attempt. Webhooks carry public facts only: no personal data here.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("endpoint_id", Uuid, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("event_types", JSON, nullable=False),
    Column("secret", String(120), nullable=False),  # whsec_<base64>, shown once to staff
    Column("previous_secret", String(120), nullable=True),  # still signs during a rotation
    Column("previous_secret_until", UtcDateTime(), nullable=True),
    Column("status", String(12), nullable=False),  # active | disabled
    Column("disabled_reason", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("last_success_at", UtcDateTime(), nullable=True),
)

webhook_messages = Table(
    "webhook_messages",
    metadata,
    Column("message_id", Uuid, primary_key=True),  # uuid5(endpoint, event): webhook-id msg_<hex>
    Column("endpoint_id", Uuid, nullable=False),
    Column("event_id", String(120), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("body", Text, nullable=False),  # the CloudEvent (structured mode), signed as it is
    # pending | sending | delivered | failed | cancelled (its endpoint was disabled)
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_message_endpoint_event"),
    Index("ix_webhook_messages_due", "status", "next_attempt_at"),
    Index("ix_webhook_messages_endpoint", "endpoint_id", "created_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("attempt_id", Uuid, primary_key=True),
    Column("message_id", Uuid, nullable=False, index=True),
    Column("endpoint_id", Uuid, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("outcome", String(12), nullable=False),  # delivered | retry | gone | failed
    Column("error", String(500), nullable=True),  # our words (timeout, refused...), never a body
)

# --------------------------------------------------------------------------- SMS (sms.py)
# What the SMS channel knows of a person (her consent is on `contacts`): her STOP, and a keyed
# hash of her number (how an answer finds her; never the number itself). Erased with her.
sms_standing = Table(
    "sms_standing",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("phone_key", String(40), nullable=True, index=True),
    Column("opted_out_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# One row per SMS handed to the gateway: its delivery report, applied once.
sms_messages = Table(
    "sms_messages",
    metadata,
    Column("delivery_id", Uuid, primary_key=True),
    Column("member_id", Uuid, nullable=False, index=True),
    Column("septets", Integer, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("report", String(16), nullable=True),  # delivered | undeliverable | rejected
    Column("reported_at", UtcDateTime(), nullable=True),
)

# The substitutes of the referents and the rotation turns (issue 20), in their own module.
from conseils_notifications import representation_tables as _representation_tables  # noqa: E402,F401

# The participation periods the service last started with (issue 20: a past scenario change refused).
from conseils_runtime.territory_timeline import participation_timeline_table  # noqa: E402

participation_timeline = participation_timeline_table(metadata)
