"""Staff alerts' rules, as plain Python (no I/O): what an alert concerns, which are urgent,
what staff may do with one, who is told by email and when. Part of the domain.

An alert is *open* until a staff member takes it in hand (*acknowledged*: the others know
someone is on it) and then closes it (*resolved*; resolving an open alert acknowledges it
too). Each act is a fact on the alerts topic, applied once, whatever order they come in.

Who is told: every staff account of the territory file with the role ``staff`` (operators
run the platform, not the councils), as each chose: ``immediate`` (the default: urgent
alerts at once, the others in the daily digest), ``digest`` (all in the daily digest) or
``none``. An alert is told once per address: at once, or in one digest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from conseils_runtime.errors import DomainError

AlertAction = Literal["acknowledged", "resolved"]
StaffAlertMode = Literal["immediate", "digest", "none"]
STAFF_ALERT_MODES: Final[tuple[StaffAlertMode, ...]] = ("immediate", "digest", "none")
DEFAULT_MODE: Final[StaffAlertMode] = "immediate"
MODE_LABELS: Final[dict[str, str]] = {
    "immediate": "Les alertes urgentes tout de suite, les autres dans un récapitulatif quotidien",
    "digest": "Toutes les alertes dans un récapitulatif quotidien",
    "none": "Aucun courriel (je consulte la page des alertes)",
}

SubjectType = Literal["instance", "council", "member"]
SUBJECT_OF_KIND: Final[dict[str, SubjectType]] = {
    "dossier_late": "instance",
    "daytime_political_instance": "instance",
    "short_notice": "instance",
    "theme_without_referent": "council",
    "council_over_quota": "council",
    "nobody_registered": "council",
}
"""What the alert's `subject_id` names, by kind (the staff page links it)."""

URGENT_KINDS: Final = frozenset({"dossier_late", "short_notice", "nobody_registered", "webhook_disabled"})
"""An instance is near and something is missing: a day's wait may be too late; or a webhook
endpoint is disabled: its receiver gets nothing more until staff act."""

FRESH_FOR_IMMEDIATE: Final = timedelta(hours=24)
"""An urgent alert older than this (a topic read again from its start) waits for no email."""
DIGEST_LOOKBACK: Final = timedelta(days=8)
"""A digest tells the alerts of the last days still open, never the whole history."""
DIGEST_HOUR: Final = time(8, 0)
"""The daily digest goes out from 08:00, the territory's time."""


def subject_type(kind: str) -> SubjectType | None:
    return SUBJECT_OF_KIND.get(kind)


def is_urgent(kind: str) -> bool:
    return kind in URGENT_KINDS


@dataclass(frozen=True)
class AlertState:
    """Who acted on an alert, and when (None: not yet)."""

    acknowledged_by: UUID | None = None
    acknowledged_at: datetime | None = None
    resolved_by: UUID | None = None
    resolved_at: datetime | None = None

    @property
    def status(self) -> Literal["open", "acknowledged", "resolved"]:
        if self.resolved_at is not None:
            return "resolved"
        return "acknowledged" if self.acknowledged_at is not None else "open"


def actions_to_record(state: AlertState, action: AlertAction) -> list[AlertAction]:
    """The facts a staff member's click adds: none when already done (a second click, another
    tab), and resolving an alert nobody took in hand acknowledges it too."""
    if state.status == "resolved":
        if action == "acknowledged":
            raise DomainError("Cette alerte est déjà résolue.", code="alerte_resolue", status_code=409)
        return []
    if action == "acknowledged":
        return [] if state.status == "acknowledged" else ["acknowledged"]
    return ["resolved"] if state.status == "acknowledged" else ["acknowledged", "resolved"]


@dataclass(frozen=True)
class StaffRecipient:
    email: str
    mode: StaffAlertMode
    cities: frozenset[str] | None = None
    """INSEE codes of the cities she is limited to (the territory file's `cities`); None: all."""


AlertCities = frozenset[str] | None
"""The cities an alert concerns (INSEE codes); None: the whole territory (a territory-wide
instance, a webhook). Empty: its instance or council is not known here (yet)."""


def concerns(alert_cities: AlertCities, agent_cities: frozenset[str] | None, *, unknown: bool = True) -> bool:
    """Whether an agent limited to `agent_cities` (None: not limited) is told of an alert: one of
    her cities is concerned, or the alert concerns the whole territory. An alert whose instance or
    council is not known here is not limited (`unknown`), except for the urgent email sent as the
    alert arrives: the read models may come after it, so she gets it in the digest instead."""
    if agent_cities is None or alert_cities is None:
        return True
    if not alert_cities:
        return unknown
    return bool(alert_cities & agent_cities)


def staff_recipients(
    accounts: Iterable[tuple[str, str]],
    modes: Mapping[str, StaffAlertMode],
    cities: Mapping[str, frozenset[str] | None] | None = None,
) -> list[StaffRecipient]:
    """(email, role) of the territory's staff accounts -> those told of alerts, with their mode
    and the cities each is limited to (`cities`, by address: none for an address not in it)."""
    recipients: dict[str, StaffRecipient] = {}
    for email, role in accounts:
        address = email.strip().lower()
        if role != "staff" or address in recipients:
            continue
        mode = modes.get(address, DEFAULT_MODE)
        if mode != "none":
            recipients[address] = StaffRecipient(address, mode, (cities or {}).get(address))
    return list(recipients.values())


def told_at_once(
    recipients: Iterable[StaffRecipient],
    kind: str,
    raised_at: datetime,
    now: datetime,
    alert_cities: AlertCities = None,
) -> list[str]:
    """The addresses an alert just kept is emailed to at once (urgent, recent, mode immediate,
    and concerning her cities)."""
    if not is_urgent(kind) or now - raised_at > FRESH_FOR_IMMEDIATE:
        return []
    return [
        r.email
        for r in recipients
        if r.mode == "immediate" and concerns(alert_cities, r.cities, unknown=False)
    ]


def digest_day_due(now: datetime, timezone: str) -> date | None:
    """The territory's date whose digest is due now (from 08:00 local time), else None."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() if local.time() >= DIGEST_HOUR else None


def validate_mode(mode: str) -> StaffAlertMode:
    for known in STAFF_ALERT_MODES:
        if mode == known:
            return known
    raise DomainError("Choisissez comment recevoir les alertes.", code="mode_inconnu", status_code=422)
