"""Builds the emails: French Jinja2 templates (plain text and HTML), the iCalendar
invitation, and the one-click unsubscribe headers (RFC 8058); the headers are written and
signed by `mailwire` (raw List-Unsubscribe, RFC 2047 subject, Date, Message-ID, DKIM)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from conseils_notifications import calendar
from conseils_notifications.domain import REASON_LABELS, unsubscribe_token
from conseils_runtime.action_links import Action, sign_action
from conseils_runtime.mail import DkimKey, encoded_subject, finish_message, list_unsubscribe
from conseils_runtime.times import FRENCH_DAYS, FRENCH_MONTHS
from conseils_schemas.labels import MODE_LABELS

_TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_PARIS = ZoneInfo(calendar.TIMEZONE)


NBSP = "\u00a0"  # inside « 18 h 30 » and « 14 avril »: never split across two lines


def french_datetime(value: Any, space: str = " ") -> str:
    """`mardi 14 avril 2026 à 18 h 30` in Paris time, whatever the server's locale; `space`
    (a non-breaking one in the bodies) joins the day to its month and the hour's parts."""
    when = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    when = when.astimezone(_PARIS)
    day = "1er" if when.day == 1 else str(when.day)
    month = f"{day}{space}{FRENCH_MONTHS[when.month - 1]}{space}{when.year}"
    return f"{FRENCH_DAYS[when.weekday()]} {month} à {french_time(when, space)}"


def french_time(value: Any, space: str = " ") -> str:
    when = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    when = when.astimezone(_PARIS)
    return f"{when.hour}{space}h{space}{when.minute:02d}" if when.minute else f"{when.hour}{space}h"


def _body_datetime(value: Any) -> str:
    return french_datetime(value, NBSP)


def _body_time(value: Any) -> str:
    return french_time(value, NBSP)


_ENV.filters["date_fr"] = _body_datetime
_ENV.filters["heure_fr"] = _body_time

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
    "presence": "Étiez-vous présent·e ? {title} ({when})",
}
_INVITATION_METHODS: dict[str, Literal["REQUEST", "CANCEL"] | None] = {
    "cancelled": "CANCEL",
    "unregistered": "CANCEL",  # her copy of the event goes; the instance itself stays
    "minutes": None,
    "waitlisted": None,  # no seat yet: nothing to put in her calendar
    "presence": None,  # after the instance: a question, not a calendar change
}
"""The iTIP method of the invitation attached to an email about one instance (default REQUEST)."""

UNSUBSCRIBE_HEADER_KINDS = frozenset(
    {"scheduled", "rescheduled", "cancelled", "dossier", "reminder", "minutes", "digest"}
)
"""The kinds that carry `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 2369, 8058).

Every mail sent because she follows a theme, holds a role or sits in a council, and that her
preferences let her stop: the convocations (an instance scheduled, moved, cancelled) too,
since the one-click does exactly what unticking "scheduling" does. Not the answers to her own
action (registered, waitlisted, promoted, unregistered): transactional, like the site's
sign-in mail; their body still links her preferences."""


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


_MODE_LABELS = MODE_LABELS


@dataclass(frozen=True)
class MailSettings:
    sender: str
    public_base_url: str
    territory: str
    secret: str
    dkim: DkimKey | None = None
    """The territory's signing key; None: sent unsigned (development, tests)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# Emails that invite her (an instance scheduled, moved, its dossier, a reminder to a referent
# whose council nobody registered from) carry « Je participe » and « J'observe »; those about
# her own registration (and the reminder, the move, the dossier when she is registered)
# carry « Je ne viens plus ». Each is a signed link for her, that instance and that action.
INVITING_KINDS = frozenset({"scheduled", "rescheduled", "dossier", "reminder"})
OWN_REGISTRATION_KINDS = frozenset({"registered", "promoted", "waitlisted"})
ACTION_LABELS: dict[Action, str] = {
    "participant": "Je participe",
    "observer": "J'observe",
    "cancel": "Je ne viens plus",
    "confirm": "Je viens",
    "present": "Je réponds",
}
PRESENCE_ANSWER_DAYS = 7
"""The presence prompt's link stays valid this many days after the instance ends."""


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value


def action_links(
    settings: MailSettings,
    *,
    kind: str,
    reason: str,
    instance: Mapping[str, Any] | None,
    member_id: UUID,
    now: datetime,
    days_before: int | None = None,
) -> list[dict[str, str]]:
    """The two-click links of one email: label and address, each valid while the action is
    (registering: until registration closes; cancelling, and « Je viens » of the J-1 reminder:
    until the instance starts; the presence prompt: a week after it ends)."""
    if instance is None or instance.get("status") == "cancelled":
        return []
    starts_at = _moment(instance["starts_at"])
    wanted: list[tuple[Action, datetime]] = []
    if kind == "presence":
        until = _moment(instance["ends_at"]) + timedelta(days=PRESENCE_ANSWER_DAYS)
        wanted.append(("present", until))
    elif kind == "reminder" and reason == "registered" and days_before == 1:
        wanted += [("confirm", starts_at), ("cancel", starts_at)]
    elif kind in OWN_REGISTRATION_KINDS or (kind in INVITING_KINDS and reason == "registered"):
        wanted.append(("cancel", starts_at))
    elif kind in INVITING_KINDS:
        closes_at = _moment(instance.get("registration_closes_at") or starts_at)
        wanted.append(("participant", closes_at))
        if instance.get("observers_allowed", True):
            wanted.append(("observer", closes_at))
    instance_id = UUID(str(instance["instance_id"]))
    return [
        {
            "label": ACTION_LABELS[action],
            "action": action,
            "url": f"{settings.public_base_url}/{'presence' if action == 'present' else 'action'}/"
            + sign_action(settings.secret, member_id, instance_id, action, until),
        }
        for action, until in wanted
        if now < until
    ]


def easy_read_links(public_base_url: str, documents: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The dossier's easy-to-read version (FALC), offered before the dossier: the summary
    before its audio version, each a link to the site's document address."""
    ordered = sorted(documents, key=lambda d: str(d.get("media_type", "")).startswith("audio/"))
    return [
        {
            "label": "Écouter la version facile à lire"
            if str(d.get("media_type", "")).startswith("audio/")
            else "Lire la version facile à lire",
            "filename": str(d.get("filename", "")),
            "url": f"{public_base_url}/documents/{d['document_id']}",
        }
        for d in ordered
    ]


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
    now: datetime | None = None,
) -> Rendered:
    https, _mailto = unsubscribe_links(settings, member_id, category)
    instance = context.get("instance")
    actions = action_links(
        settings,
        kind=kind,
        reason=reason,
        instance=instance,
        member_id=member_id,
        now=now or datetime.now(UTC),
        days_before=context.get("days_before"),
    )
    # The presence prompt's one link is its answer button, not a line of « en deux clics ».
    presence = next((a["url"] for a in actions if a["action"] == "present"), None)
    if kind == "presence":
        actions = []
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
        "actions": actions,
        "presence_url": presence or context.get("presence_url"),
        "easy_read": easy_read_links(settings.public_base_url, context.get("easy_read") or []),
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
        now=now,
    )
    recipient = formataddr((display_name, email))
    _sender_name, sender_address = parseaddr(settings.sender)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    # A line break in a header is refused by the email library (and is a header injection):
    # a title that carries one (an older fact, another producer) is folded to one line.
    message["Subject"] = encoded_subject(rendered.subject)
    message["Auto-Submitted"] = "auto-generated"
    if kind in UNSUBSCRIBE_HEADER_KINDS:
        https, mailto = unsubscribe_links(settings, member_id, category)
        for header in list_unsubscribe(https, mailto):
            message[header.name] = header
    message["X-Conseils-Delivery"] = str(delivery_id)
    # Quoted-printable: 7-bit clean, so every relay passes the body (and its DKIM hash) unchanged.
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    instance = context.get("instance")
    method = _INVITATION_METHODS.get(kind, "REQUEST")
    if instance is not None and method is not None:
        ics = calendar.invitation(
            instance,
            method=method,
            territory=settings.territory,
            public_base_url=settings.public_base_url,
            organizer=settings.sender,
            attendee=(display_name, email),
            stamp=now,
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
    message["Content-Language"] = "fr"  # after the body: set_content clears the Content-* headers
    # One Message-ID per delivery: a retry of the same delivery is the same message.
    domain = sender_address.rpartition("@")[2] or "localhost"
    return finish_message(message, now=now, message_id=f"{delivery_id}@{domain}", dkim_key=settings.dkim)


def sms_text(kind: str, context: Mapping[str, Any], public_base_url: str) -> str:
    """A short SMS (no personal data beyond what the recipient already knows)."""
    subject = subject_for(kind, context)
    instance = context.get("instance")
    if instance is None:
        return subject
    url = calendar.instance_url(public_base_url, instance["instance_id"])
    return f"{subject} — {instance['location']}. {url}"
