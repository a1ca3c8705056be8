"""Builds the emails: French Jinja2 templates (plain text and HTML), the iCalendar
invitation, and the one-click unsubscribe headers (RFC 8058)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from conseils_notifications import calendar
from conseils_notifications.domain import REASON_LABELS, unsubscribe_token

_TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_PARIS = ZoneInfo(calendar.TIMEZONE)


def french_datetime(value: Any) -> str:
    """`mardi 14 avril 2026 à 18 h 30` in Paris time, whatever the server's locale."""
    when = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    when = when.astimezone(_PARIS)
    minutes = f"{when.minute:02d}" if when.minute else ""
    day = "1er" if when.day == 1 else str(when.day)
    hour = f"{when.hour} h {minutes}".strip()
    return f"{_DAYS[when.weekday()]} {day} {_MONTHS[when.month - 1]} {when.year} à {hour}"


def french_time(value: Any) -> str:
    when = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    when = when.astimezone(_PARIS)
    return f"{when.hour} h {when.minute:02d}" if when.minute else f"{when.hour} h"


_ENV.filters["date_fr"] = french_datetime
_ENV.filters["heure_fr"] = french_time

_SUBJECTS = {
    "scheduled": "Nouvelle instance : {title}, {when}",
    "rescheduled": "Instance déplacée : {title}, désormais {when}",
    "cancelled": "Instance annulée : {title} ({when})",
    "dossier": "Dossier disponible : {title} ({when})",
    "reminder": "Rappel : {title}, {when}",
    "minutes": "Compte rendu publié : {title}",
    "registered": "Inscription confirmée : {title}, {when}",
    "waitlisted": "Vous êtes sur la liste d'attente{rank} : {title}, {when}",
    "promoted": "Une place s'est libérée : vous êtes inscrit·e ({title}, {when})",
    "unregistered": "Inscription annulée : {title} ({when})",
}
_INVITATION_METHODS: dict[str, Literal["REQUEST", "CANCEL"] | None] = {
    "cancelled": "CANCEL",
    "unregistered": "CANCEL",  # her copy of the event goes; the instance itself stays
    "minutes": None,
    "waitlisted": None,  # no seat yet: nothing to put in her calendar
}
"""The iTIP method of the invitation attached to an email about one instance (default REQUEST)."""


def subject_for(kind: str, context: Mapping[str, Any]) -> str:
    if kind == "digest":
        count = len(context.get("items", []))
        return f"Votre récapitulatif de la semaine ({count} nouveauté{'s' if count > 1 else ''})"
    instance = context["instance"]
    position = context.get("position")
    return _SUBJECTS[kind].format(
        title=instance["title"],
        when=french_datetime(instance["starts_at"]),
        rank=f" (rang {position})" if position else "",
    )


_MODE_LABELS = {"participant": "participant·e", "observer": "observateur·rice"}


@dataclass(frozen=True)
class MailSettings:
    sender: str
    public_base_url: str
    territory: str
    secret: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def unsubscribe_links(settings: MailSettings, member_id: UUID, category: str) -> tuple[str, str]:
    token = unsubscribe_token(settings.secret, member_id, category)
    _name, address = parseaddr(settings.sender)
    https = f"{settings.public_base_url}/notifications/unsubscribe/{token}"
    mailto = f"mailto:{address}?subject={quote('désinscription ' + token)}"
    return https, mailto


def render(
    settings: MailSettings,
    *,
    kind: str,
    category: str,
    reason: str,
    context: Mapping[str, Any],
    member_id: UUID,
    display_name: str,
) -> Rendered:
    https, _mailto = unsubscribe_links(settings, member_id, category)
    instance = context.get("instance")
    variables = {
        "kind": kind,
        "name": display_name,
        "reason": REASON_LABELS.get(reason, ""),
        "instance": instance,
        "instance_url": calendar.instance_url(settings.public_base_url, instance["instance_id"])
        if instance
        else None,
        "context": context,
        "mode_label": _MODE_LABELS.get(str(context.get("mode")), ""),
        "items": context.get("items", []),
        "unsubscribe_url": https,
        "preferences_url": f"{settings.public_base_url}/preferences",
        "base_url": settings.public_base_url,
    }
    return Rendered(
        subject=subject_for(kind, context),
        text=_ENV.get_template("email.txt.j2").render(variables),
        html=_ENV.get_template("email.html.j2").render(variables),
    )


def build_email(
    settings: MailSettings,
    *,
    delivery_id: UUID,
    kind: str,
    category: str,
    reason: str,
    context: Mapping[str, Any],
    member_id: UUID,
    display_name: str,
    email: str,
    now: datetime | None = None,
) -> EmailMessage:
    """multipart/mixed: [multipart/alternative: text, HTML], invitation.ics (when about one instance)."""
    rendered = render(
        settings,
        kind=kind,
        category=category,
        reason=reason,
        context=context,
        member_id=member_id,
        display_name=display_name,
    )
    recipient = formataddr((display_name, email))
    _sender_name, sender_address = parseaddr(settings.sender)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    # A line break in a header is refused by the email library (and is a header injection):
    # a title that carries one (an older fact, another producer) is folded to one line.
    message["Subject"] = " ".join(rendered.subject.split())
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=str(delivery_id), domain=sender_address.rpartition("@")[2])
    message["Content-Language"] = "fr"
    message["Auto-Submitted"] = "auto-generated"
    https, mailto = unsubscribe_links(settings, member_id, category)
    message["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Conseils-Delivery"] = str(delivery_id)
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    instance = context.get("instance")
    method = _INVITATION_METHODS.get(kind, "REQUEST")
    if instance is not None and method is not None:
        ics = calendar.invitation(
            instance,
            method=method,
            territory=settings.territory,
            public_base_url=settings.public_base_url,
            organizer=settings.sender,
            attendee=recipient,
        )
        message.make_mixed()
        message.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="invitation.ics" if method == "REQUEST" else "annulation.ics",
            params={"method": method},
        )
        # add_attachment(bytes) sets no charset; calendar clients expect UTF-8 text.
        parts = message.get_payload()
        assert isinstance(parts, list)
        attachment = parts[-1]
        assert isinstance(attachment, EmailMessage)
        attachment.set_param("charset", "utf-8")
    return message


def sms_text(kind: str, context: Mapping[str, Any], public_base_url: str) -> str:
    """A short SMS (no personal data beyond what the recipient already knows)."""
    subject = subject_for(kind, context)
    instance = context.get("instance")
    if instance is None:
        return subject
    url = calendar.instance_url(public_base_url, instance["instance_id"])
    return f"{subject} — {instance['location']}. {url}"
