"""Who hears about what, and why: the recipient rules, preference filtering,
reminder times and delivery retry policy. Plain Python, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from conseils_runtime.errors import DomainError, constant_time_equal
from conseils_schemas import instance_uid

Category = Literal["scheduling", "dossier", "reminder", "minutes"]
CATEGORIES: tuple[Category, ...] = ("scheduling", "dossier", "reminder", "minutes")
Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")
Scope = Literal["territory", "city", "theme", "council"]

Kind = Literal[
    "scheduled",
    "rescheduled",
    "cancelled",
    "dossier",
    "reminder",
    "minutes",
    "digest",
    "registered",
    "waitlisted",
    "promoted",
    "unregistered",
    "presence",
]
RegistrationKind = Literal["registered", "waitlisted", "promoted", "unregistered"]
REGISTRATION_KINDS: frozenset[str] = frozenset({"registered", "waitlisted", "promoted", "unregistered"})
"""A change of one member's own registration: confirmed, waitlisted, promoted from the
waiting list, cancelled. Told to her alone (kind names fit `deliveries.kind`, 16 characters)."""
KIND_CATEGORY: dict[str, Category] = {
    "scheduled": "scheduling",
    "rescheduled": "scheduling",
    "cancelled": "scheduling",
    "dossier": "dossier",
    "reminder": "reminder",
    "minutes": "minutes",
    # Her registrations belong with the instances' dates and changes: same preference, same
    # unsubscribe link, and no new value in the wire contract (NotificationSent.category).
    "registered": "scheduling",
    "waitlisted": "scheduling",
    "promoted": "scheduling",
    "unregistered": "scheduling",
    "presence": "reminder",  # « Étiez-vous présent·e ? » (reminder_sequence.py)
}
URGENT_KINDS = frozenset({"rescheduled", "cancelled", "reminder", "presence", *REGISTRATION_KINDS})
"""Never delayed to the weekly digest: a change, a reminder or her own registration is
useless a week late."""

Reason = Literal[
    "theme_referent",
    "follows_theme",
    "council_member",
    "city_council_member",
    "told_before",
    "registered",
    "referent_nobody_registered",
    "attended",
    "own_registration",
    "substitute",
    "rotation_turn",
]
REASON_LABELS: dict[str, str] = {
    "theme_referent": "vous êtes référent·e de votre conseil pour cette thématique",
    "follows_theme": "vous suivez cette thématique",
    "council_member": "vous êtes membre d'un conseil citoyen concerné",
    "city_council_member": "vous êtes membre d'un conseil citoyen de cette ville",
    "told_before": "vous aviez été informé·e de cette instance",
    "registered": "vous êtes inscrit·e à cette instance",
    "referent_nobody_registered": "personne de votre conseil n'est encore inscrit et vous en êtes référent·e",
    "attended": "vous avez participé à cette instance",
    "own_registration": "vous avez demandé à vous inscrire à cette instance",
    "substitute": "vous êtes suppléant·e de la personne référente de votre conseil, qui ne peut pas venir",
    "rotation_turn": "c'est votre tour de représenter votre conseil (tour de rôle)",
}


@dataclass(frozen=True)
class CouncilView:
    council_id: UUID
    city_code: str
    active: bool = True


@dataclass(frozen=True)
class MemberView:
    member_id: UUID
    council_id: UUID
    themes_followed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class InstanceView:
    instance_id: UUID
    scope: Scope
    theme: str | None = None
    city_code: str | None = None
    council_ids: tuple[UUID, ...] = ()
    open_pool: bool = False
    """The territory's scenario on its date is an open pool (vivier ouvert): every member of a
    concerned council is invited, not only the theme's referents and followers."""


@dataclass(frozen=True)
class Directory:
    """The read model the rules need: councils, active members, referents by (council, theme)."""

    councils: tuple[CouncilView, ...] = ()
    members: tuple[MemberView, ...] = ()
    referents: Mapping[tuple[UUID, str], UUID] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    member_id: UUID
    reason: Reason

    @property
    def reason_label(self) -> str:
        return REASON_LABELS[self.reason]


class _Recipients:
    """Ordered, one reason per member: the first rule that matched wins."""

    def __init__(self) -> None:
        self._by_member: dict[UUID, Recipient] = {}

    def add(self, member_id: UUID, reason: Reason) -> None:
        self._by_member.setdefault(member_id, Recipient(member_id, reason))

    def result(self) -> list[Recipient]:
        return list(self._by_member.values())


def merge_recipients(*groups: Iterable[Recipient]) -> list[Recipient]:
    """Union of several rules' recipients; a member keeps the reason of the first group listing them."""
    recipients = _Recipients()
    for group in groups:
        for recipient in group:
            recipients.add(recipient.member_id, recipient.reason)
    return recipients.result()


def concerned_councils(instance: InstanceView, directory: Directory) -> list[UUID]:
    """Active councils the instance concerns: the listed ones, else by scope."""
    active = [council for council in directory.councils if council.active]
    if instance.council_ids:
        wanted = set(instance.council_ids)
        return [council.council_id for council in active if council.council_id in wanted]
    if instance.scope == "city":
        return [council.council_id for council in active if council.city_code == instance.city_code]
    if instance.scope == "council":
        return []  # a council-scoped instance without its council concerns nobody
    return [council.council_id for council in active]


def invitation_recipients(instance: InstanceView, directory: Directory) -> list[Recipient]:
    """Who is told that an instance is scheduled (and when its dossier is published)."""
    councils = concerned_councils(instance, directory)
    recipients = _Recipients()
    if instance.scope == "theme" and instance.theme and not instance.open_pool:
        for council_id in councils:
            referent = directory.referents.get((council_id, instance.theme))
            if referent is not None:
                recipients.add(referent, "theme_referent")
        in_councils = set(councils)
        for member in directory.members:
            if member.council_id in in_councils and instance.theme in member.themes_followed:
                recipients.add(member.member_id, "follows_theme")
        return recipients.result()
    reason: Reason = "city_council_member" if instance.scope == "city" else "council_member"
    in_councils = set(councils)
    for member in directory.members:
        if member.council_id in in_councils:
            recipients.add(member.member_id, reason)
    return recipients.result()


def substitute_recipients(
    instance: InstanceView,
    directory: Directory,
    substitutes: Mapping[tuple[UUID, str], UUID],
    *,
    absent_member_id: UUID,
    council_id: UUID,
) -> list[Recipient]:
    """The referent of a thematic instance cannot come (she cancelled): her substitute is invited.

    Only where the referent scenario is in force (not an open pool, not a rotation: the caller
    says so with `instance.open_pool`), for a theme whose referent she still is, and a substitute
    who is still an active member of that council."""
    if instance.scope != "theme" or not instance.theme or instance.open_pool:
        return []
    if council_id not in concerned_councils(instance, directory):
        return []
    if directory.referents.get((council_id, instance.theme)) != absent_member_id:
        return []
    substitute = substitutes.get((council_id, instance.theme))
    active = {member.member_id for member in directory.members if member.council_id == council_id}
    if substitute is None or substitute == absent_member_id or substitute not in active:
        return []
    return [Recipient(substitute, "substitute")]


def change_recipients(told_before: Iterable[UUID], registrants: Iterable[UUID]) -> list[Recipient]:
    """A rescheduled or cancelled instance: everyone told before, plus the registrants."""
    recipients = _Recipients()
    for member_id in registrants:
        recipients.add(member_id, "registered")
    for member_id in told_before:
        recipients.add(member_id, "told_before")
    return recipients.result()


def reminder_recipients(
    instance: InstanceView, directory: Directory, registrants: Mapping[UUID, UUID]
) -> list[Recipient]:
    """Registrants (member -> council), and the referents of concerned councils nobody registered from.

    For a thematic instance that is the theme's referent; otherwise every referent of the council.
    """
    recipients = _Recipients()
    for member_id in registrants:
        recipients.add(member_id, "registered")
    represented = set(registrants.values())
    for council_id in concerned_councils(instance, directory):
        if council_id in represented:
            continue
        for (referent_council, theme), member_id in sorted(
            directory.referents.items(), key=lambda item: item[0][1]
        ):
            if referent_council == council_id and (instance.theme is None or theme == instance.theme):
                recipients.add(member_id, "referent_nobody_registered")
    return recipients.result()


def registration_kind(previous_status: str | None, status: str) -> RegistrationKind | None:
    """What a registration's new status tells its member, given the status known before.

    None when nothing changed for her (the same status again, e.g. a replayed fact).
    """
    if status == previous_status:
        return None
    if status == "confirmed":
        return "promoted" if previous_status == "waitlisted" else "registered"
    if status == "waitlisted":
        return "waitlisted"
    if status == "cancelled":
        return "unregistered"
    return None


def registration_recipients(member_id: UUID) -> list[Recipient]:
    """A registration's change is told to its member only."""
    return [Recipient(member_id, "own_registration")]


def councils_without_registrant(
    instance: InstanceView, directory: Directory, registrants: Mapping[UUID, UUID]
) -> list[UUID]:
    represented = set(registrants.values())
    return [c for c in concerned_councils(instance, directory) if c not in represented]


def minutes_recipients(
    instance: InstanceView,
    directory: Directory,
    registrants: Iterable[UUID],
    attendees: Iterable[UUID],
) -> list[Recipient]:
    """Minutes: registrants, attendees, and the followers of the theme in concerned councils."""
    recipients = _Recipients()
    for member_id in attendees:
        recipients.add(member_id, "attended")
    for member_id in registrants:
        recipients.add(member_id, "registered")
    if instance.theme:
        in_councils = set(concerned_councils(instance, directory))
        for member in directory.members:
            if member.council_id in in_councils and instance.theme in member.themes_followed:
                recipients.add(member.member_id, "follows_theme")
    return recipients.result()


# --------------------------------------------------------------------------- preferences


@dataclass(frozen=True)
class Preferences:
    """What a member chose; defaults: every category, by email, immediately, in French."""

    channels: frozenset[Channel] = frozenset({"email"})
    categories: frozenset[Category] = frozenset(CATEGORIES)
    digest: bool = False
    themes: frozenset[str] | None = None
    """Themes followed as chosen here; None = those recorded by the registry."""
    language: str = "fr"


DEFAULT_PREFERENCES = Preferences()


def validate_preferences(prefs: Preferences, known_themes: Iterable[str]) -> Preferences:
    if not prefs.channels:
        raise DomainError("Choisissez au moins un moyen d'être prévenu·e (par exemple le courriel).")
    unknown = sorted((prefs.themes or frozenset()) - set(known_themes))
    if unknown:
        raise DomainError(f"Thématique inconnue : {', '.join(unknown)}.")
    return prefs


def unsubscribed(prefs: Preferences, category: str) -> Preferences:
    """The preferences after a one-click unsubscribe from `category` ("all": every category)."""
    if category == "all":
        return replace(prefs, categories=frozenset())
    if category == "digest":
        return replace(prefs, digest=False)
    return replace(prefs, categories=prefs.categories - {category})


@dataclass(frozen=True)
class PlannedDelivery:
    member_id: UUID
    channel: Channel
    reason: Reason
    deferred_to_digest: bool


def plan_deliveries(
    recipients: Iterable[Recipient], kind: str, preferences: Mapping[UUID, Preferences]
) -> list[PlannedDelivery]:
    """One delivery per recipient and chosen channel, unless they opted out of the category.

    The answers to her own registration (confirmed, waitlisted, promoted, cancelled) go whatever
    her categories say: she asked for them by acting, as for the sign-in mail (they carry no
    List-Unsubscribe either). Her consent and her channels still apply."""
    category = KIND_CATEGORY[kind]
    planned: list[PlannedDelivery] = []
    for recipient in merge_recipients(recipients):
        prefs = preferences.get(recipient.member_id, DEFAULT_PREFERENCES)
        if category not in prefs.categories and kind not in REGISTRATION_KINDS:
            continue  # the answer to her own registration is not a subscription: always sent
        deferred = prefs.digest and kind not in URGENT_KINDS
        for channel in CHANNELS:
            if channel in prefs.channels and not (deferred and channel == "sms"):
                planned.append(PlannedDelivery(recipient.member_id, channel, recipient.reason, deferred))
    return planned


def effective_themes(prefs: Preferences | None, registry_themes: Iterable[str]) -> frozenset[str]:
    if prefs is not None and prefs.themes is not None:
        return prefs.themes
    return frozenset(registry_themes)


# --------------------------------------------------------------------------- reminders and retries


def reminder_due_times(
    starts_at: datetime, reminder_days: Iterable[int], now: datetime
) -> dict[int, datetime]:
    """Days before -> due time, for the reminders still in the future."""
    due = {days: starts_at - timedelta(days=days) for days in sorted(set(reminder_days), reverse=True)}
    return {days: when for days, when in due.items() if when > now}


def reminder_plan(
    starts_at: datetime,
    *,
    reminder_days: Iterable[int],
    alert_days: int,
    now: datetime,
) -> dict[tuple[str, int], datetime]:
    """(kind, days before) -> due time of an instance's reminders and staff checks still ahead:
    the reminders and the nobody-registered check. (A late dossier is the meetings service's
    alert: it owns dossiers, so it alone raises it.)"""
    wanted = {
        ("reminder", days): due for days, due in reminder_due_times(starts_at, reminder_days, now).items()
    }
    for days, due in reminder_due_times(starts_at, [alert_days], now).items():
        wanted[("registration_check", days)] = due
    return wanted


def retry_delay(attempts: int, base_seconds: float, cap_seconds: float = 3600.0) -> timedelta:
    """Exponential backoff after `attempts` failed attempts (1 -> base)."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


def ical_uid(instance_id: UUID, territory: str) -> str:
    """Stable across every invitation of one instance, so calendars update instead of duplicating:
    `conseils_schemas.instance_uid`, the scheme every producer shares."""
    return instance_uid(instance_id, territory)


# --------------------------------------------------------------------------- signed links


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token(secret: str, member_id: UUID, category: str) -> str:
    """`<member>.<category>.<hmac>`: enough to unsubscribe one member from one category, nothing else."""
    payload = f"{member_id}.{category}"
    signature = hmac.new(secret.encode(), f"unsubscribe:{payload}".encode(), hashlib.sha256).digest()
    return f"{_b64(payload.encode())}.{_b64(signature[:18])}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[UUID, Category | Literal["all", "digest"]]:
    """The member and category of a link; "digest" (the weekly digest's link) stops the digest."""
    try:
        encoded, signature = token.split(".", 1)
        payload = _unb64(encoded).decode()
        member, category = payload.split(".", 1)
        expected = hmac.new(secret.encode(), f"unsubscribe:{payload}".encode(), hashlib.sha256).digest()
        valid = constant_time_equal(_b64(expected[:18]), signature)
        member_id = UUID(member)
    except (ValueError, UnicodeDecodeError):
        valid = False
    if not valid or category not in (*CATEGORIES, "all", "digest"):
        raise DomainError("Lien de désinscription invalide.", code="lien_invalide", status_code=400)
    return member_id, category  # type: ignore[return-value]
