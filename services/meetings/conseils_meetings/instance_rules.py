"""Rules of an instance, as plain Python (no I/O): its lifecycle (a state machine), the
policy checks of its type (evening rule, notice, time slots) and who is concerned by it.
Every refusal is a `DomainError` with a French message. Part of `conseils_meetings.domain`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from conseils_runtime.errors import Conflict, DomainError
from conseils_runtime.territory import EveningRule, InstanceType
from conseils_schemas.labels import INSTANCE_STATUS_LABELS

# --------------------------------------------------------------------------- lifecycle

Status = Literal[
    "draft", "scheduled", "rescheduled", "dossier_published", "held", "minutes_published", "cancelled"
]
Action = Literal["schedule", "reschedule", "publish_dossier", "hold", "publish_minutes", "cancel"]

STATUS_LABELS: dict[str, str] = INSTANCE_STATUS_LABELS
ACTION_LABELS: dict[str, str] = {
    "schedule": "programmer",
    "reschedule": "reprogrammer",
    "publish_dossier": "publier le dossier de",
    "hold": "enregistrer la présence à",
    "publish_minutes": "publier le compte rendu de",
    "cancel": "annuler",
}
BEFORE_HELD: tuple[Status, ...] = ("scheduled", "rescheduled", "dossier_published")
# Held: its attendance is recorded (who was there, and so who was not).
ATTENDANCE_RECORDED: frozenset[str] = frozenset({"held", "minutes_published"})
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    ("draft", "schedule"): "scheduled",
    ("draft", "cancel"): "cancelled",
    **{(status, "reschedule"): "rescheduled" for status in BEFORE_HELD},
    **{(status, "publish_dossier"): "dossier_published" for status in BEFORE_HELD},
    **{(status, "hold"): "held" for status in BEFORE_HELD},
    **{(status, "cancel"): "cancelled" for status in BEFORE_HELD},
    ("held", "hold"): "held",  # attendance corrected after the fact
    ("held", "publish_minutes"): "minutes_published",
    ("minutes_published", "publish_minutes"): "minutes_published",  # minutes updated
}
OPEN_FOR_REGISTRATION: frozenset[str] = frozenset(BEFORE_HELD)


class IllegalTransition(Conflict):
    code = "transition_interdite"


def transition(status: str, action: Action) -> Status:
    """The next status, or a French refusal saying why."""
    target = TRANSITIONS.get((status, action))  # type: ignore[arg-type]
    if target is None:
        current = STATUS_LABELS.get(status, status)
        reason = f"Impossible de {ACTION_LABELS[action]} une instance {current}"
        if status == "cancelled":
            reason += " : elle a été annulée."
        elif action == "cancel":
            reason += " : on ne peut annuler qu'une instance qui n'a pas encore eu lieu."
        elif action == "publish_minutes":
            reason += " : enregistrez d'abord la présence (instance tenue)."
        elif status == "draft":
            reason += " : programmez-la d'abord."
        else:
            reason += "."
        raise IllegalTransition(reason)
    return target


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class PolicyBreach:
    code: Literal["daytime_political_instance", "short_notice"]
    message: str


class PolicyRefused(DomainError):
    code = "regle_refusee"

    def __init__(self, breaches: Sequence[PolicyBreach]) -> None:
        super().__init__("Programmation refusée : " + " ; ".join(b.message for b in breaches))
        self.breaches = list(breaches)


_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


TimeSlot = Literal["weekday_evening", "saturday", "sunday", "working_hours"]
TIME_SLOTS: tuple[TimeSlot, ...] = ("weekday_evening", "saturday", "sunday", "working_hours")
EVENING_STARTS = time(18, 0)
"""A weekday start at or after this local time is in the evening."""
SLOT_LABELS: dict[str, str] = {
    "weekday_evening": "En soirée",
    "saturday": "Le samedi",
    "sunday": "Le dimanche",
    "working_hours": "En journée",
}
"""How the pages and mails name a time slot (the only place these labels are written)."""


def time_slot(starts_at: datetime, timezone: str) -> TimeSlot:
    """When the start falls, in the territory's local time.

    `weekday_evening` is Monday to Friday at or after 18:00; `working_hours` is Monday to
    Friday before 18:00; Saturday and Sunday are their own slots, whatever the hour.
    A naive datetime is read as UTC (what the database stores).
    """
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=UTC)
    local = starts_at.astimezone(ZoneInfo(timezone))
    weekday = local.weekday()
    if weekday == 5:
        return "saturday"
    if weekday == 6:
        return "sunday"
    return "weekday_evening" if local.time() >= EVENING_STARTS else "working_hours"


def outside_working_hours(slot: TimeSlot) -> bool:
    """True for an evening or a weekend: people who work in the day can come."""
    return slot != "working_hours"


def is_evening(starts_at: datetime, rule: EveningRule | None, timezone: str) -> bool:
    """True only on a weekday evening (Monday to Friday, at or after 18:00 local time).

    A Saturday is never "evening", even when the rule allows it: use
    `satisfies_off_hours_rule` for the policy check. `rule` is kept for callers and ignored.
    """
    del rule
    return time_slot(starts_at, timezone) == "weekday_evening"


def satisfies_off_hours_rule(starts_at: datetime, rule: EveningRule | None, timezone: str) -> bool:
    """True when the start satisfies the territory's rule for political instances
    (default: from 18:00 on weekdays, or on Saturday; Sunday only when allowed)."""
    rule = rule or EveningRule()
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=UTC)
    local = starts_at.astimezone(ZoneInfo(timezone))
    weekday = local.weekday()
    if weekday == 5:
        return rule.saturday_allowed
    if weekday == 6:
        return rule.sunday_allowed
    return local.time() >= rule.weekday_earliest_start


def policy_breaches(
    kind: InstanceType, starts_at: datetime, now: datetime, timezone: str
) -> list[PolicyBreach]:
    """The rules of the instance type that this date breaks (empty when all is well)."""
    breaches: list[PolicyBreach] = []
    if (
        kind.political
        and kind.evening_rule is not None
        and not satisfies_off_hours_rule(starts_at, kind.evening_rule, timezone)
    ):
        local = starts_at.astimezone(ZoneInfo(timezone))
        earliest = kind.evening_rule.weekday_earliest_start.strftime("%H:%M")
        breaches.append(
            PolicyBreach(
                "daytime_political_instance",
                f"instance politique en journée ({_DAYS[local.weekday()]} {local:%H:%M}) : "
                f"les instances politiques commencent à {earliest} au plus tôt en semaine"
                + (" ou le samedi" if kind.evening_rule.saturday_allowed else ""),
            )
        )
    notice = starts_at - now
    if notice < timedelta(days=kind.min_notice_days):
        breaches.append(
            PolicyBreach(
                "short_notice",
                f"délai de prévenance trop court ({max(notice.days, 0)} jours, "
                f"{kind.min_notice_days} jours demandés)",
            )
        )
    return breaches


def check_dates(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise DomainError("Les dates doivent préciser le fuseau horaire.")
    if ends_at <= starts_at:
        raise DomainError("La fin de l'instance doit être après son début.")
    if starts_at <= now:
        raise DomainError("On ne peut pas programmer une instance dans le passé.")


def apply_policy(kind: InstanceType, breaches: Sequence[PolicyBreach]) -> list[str]:
    """Refuse or keep the breaches as visible warnings, per the type's `on_breach`."""
    if breaches and kind.on_breach == "refuse":
        raise PolicyRefused(breaches)
    return [breach.message for breach in breaches]


def dossier_is_late(kind: InstanceType, starts_at: datetime, now: datetime) -> bool:
    """True once the instance is closer than the dossier notice of its type."""
    return now >= starts_at - timedelta(days=kind.dossier_notice_days)


# --------------------------------------------------------------------------- who is concerned


@dataclass(frozen=True)
class CouncilView:
    id: uuid.UUID
    city_code: str
    active: bool = True


def concerned_councils(
    scope: str,
    councils: Iterable[CouncilView],
    *,
    city_code: str | None = None,
    council_id: uuid.UUID | None = None,
    theme: str | None = None,
) -> list[uuid.UUID]:
    """Councils concerned by an instance, from the local read model.

    territory and theme: every active council (for a theme, its referents are the
    target); city: the active councils of that city; council: that one council.
    """
    active = [council for council in councils if council.active]
    if scope == "territory":
        return sorted(council.id for council in active)
    if scope == "theme":
        if not theme:
            raise DomainError("Ce type d'instance est thématique : précisez la thématique.")
        return sorted(council.id for council in active)
    if scope == "city":
        if not city_code:
            raise DomainError("Ce type d'instance concerne une ville : précisez la ville (code INSEE).")
        return sorted(council.id for council in active if council.city_code == city_code)
    if scope == "council":
        if council_id is None:
            raise DomainError("Ce type d'instance concerne un conseil : précisez le conseil.")
        if council_id not in {council.id for council in active}:
            raise DomainError("Conseil inconnu ou dissous.")
        return [council_id]
    raise DomainError(f"Périmètre inconnu : {scope}.")
