"""Rules of the meetings service, as plain Python (no I/O).

Owns the lifecycle of an instance (a state machine), the policy checks of an
instance type (evening rule, notice), who is concerned by an instance, the
registration rules (eligibility, per-council quota, capacity, waiting list,
promotion, closing time) and the allowed document types.
Every refusal is a `DomainError` with a French message.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from conseils_runtime.errors import Conflict, DomainError
from conseils_runtime.territory import EveningRule, InstanceType
from conseils_schemas import (
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
)

# --------------------------------------------------------------------------- lifecycle

Status = Literal[
    "draft", "scheduled", "rescheduled", "dossier_published", "held", "minutes_published", "cancelled"
]
Action = Literal["schedule", "reschedule", "publish_dossier", "hold", "publish_minutes", "cancel"]

STATUS_LABELS: dict[str, str] = {
    "draft": "brouillon",
    "scheduled": "programmée",
    "rescheduled": "reprogrammée",
    "dossier_published": "dossier publié",
    "held": "tenue",
    "minutes_published": "compte rendu publié",
    "cancelled": "annulée",
}
ACTION_LABELS: dict[str, str] = {
    "schedule": "programmer",
    "reschedule": "reprogrammer",
    "publish_dossier": "publier le dossier de",
    "hold": "enregistrer la présence à",
    "publish_minutes": "publier le compte rendu de",
    "cancel": "annuler",
}
_BEFORE_HELD: tuple[Status, ...] = ("scheduled", "rescheduled", "dossier_published")
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    ("draft", "schedule"): "scheduled",
    ("draft", "cancel"): "cancelled",
    **{(status, "reschedule"): "rescheduled" for status in _BEFORE_HELD},
    **{(status, "publish_dossier"): "dossier_published" for status in _BEFORE_HELD},
    **{(status, "hold"): "held" for status in _BEFORE_HELD},
    **{(status, "cancel"): "cancelled" for status in _BEFORE_HELD},
    ("held", "hold"): "held",  # attendance corrected after the fact
    ("held", "publish_minutes"): "minutes_published",
    ("minutes_published", "publish_minutes"): "minutes_published",  # minutes updated
}
OPEN_FOR_REGISTRATION: frozenset[str] = frozenset(_BEFORE_HELD)


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


# --------------------------------------------------------------------------- the instance aggregate

_DOSSIER_OPEN: frozenset[str] = frozenset({"scheduled", "rescheduled"})
_NOT_YET_HELD: frozenset[str] = frozenset({"draft", *_BEFORE_HELD})


@dataclass(frozen=True)
class InstanceAggregate:
    """An instance as its facts made it.

    The one place where its state changes (`changes`: the fields a fact sets) and its counters
    grow (`next_sequence` for iCalendar, `next_dossier_version`). The live service asks it for
    the next numbers before it builds a fact; `projection.apply` asks it what a fact changes,
    live and on replay alike. State only moves forward: a duplicate or an older fact (a lower
    sequence or dossier version, a status already passed) changes nothing.
    """

    status: str
    sequence: int
    dossier_version: int
    first_dossier_published_at: datetime | None = None

    @classmethod
    def of(cls, row: Mapping[str, object]) -> InstanceAggregate:
        first = row.get("first_dossier_published_at")
        return cls(
            status=str(row["status"]),
            sequence=int(str(row["sequence"])),
            dossier_version=int(str(row["dossier_version"])),
            first_dossier_published_at=first if isinstance(first, datetime) else None,
        )

    def next_sequence(self) -> int:
        return self.sequence + 1

    def next_dossier_version(self) -> int:
        return self.dossier_version + 1

    def changes(self, event: Event, at: datetime, timezone: str) -> dict[str, object]:
        """The fields `event` sets on the instance ({}: it changes nothing). `at` is its ce_time."""
        if isinstance(event, InstanceScheduled):
            if self.status != "draft":
                return {}
            return {
                "status": "scheduled",
                "scheduled_at": at,
                "instance_type": event.instance_type,
                "title": event.title,
                "theme": event.theme,
                "city_code": event.city_code,
                "scope": event.scope,
                "starts_at": event.starts_at,
                "ends_at": event.ends_at,
                "location": event.location,
                "is_political": event.is_political,
                "is_evening": event.is_evening,
                "observers_allowed": event.observers_allowed,
                "sequence": event.sequence,
                "policy_warnings": list(event.policy_warnings),
            }
        if isinstance(event, InstanceRescheduled):
            if event.sequence <= self.sequence:
                return {}
            return {
                "status": "rescheduled" if self.status in _NOT_YET_HELD else self.status,
                "starts_at": event.starts_at,
                "ends_at": event.ends_at,
                "location": event.location,
                "sequence": event.sequence,
                "policy_warnings": list(event.policy_warnings),
                "is_evening": is_evening(event.starts_at, None, timezone),
            }
        if isinstance(event, InstanceCancelled):
            if self.status == "cancelled":
                return {}
            return {
                "status": "cancelled",
                "sequence": max(event.sequence, self.sequence),
                "cancelled_at": at,
                "cancel_reason": event.reason,
            }
        if isinstance(event, InstanceHeld):
            return {"status": "held", "held_at": event.held_at} if self.status in _NOT_YET_HELD else {}
        if isinstance(event, DossierPublished):
            if event.dossier_version <= self.dossier_version:
                return {}
            return {
                "status": "dossier_published" if self.status in _DOSSIER_OPEN else self.status,
                "dossier_version": event.dossier_version,
                "dossier_published_at": event.published_at,
                "first_dossier_published_at": self.first_dossier_published_at or event.published_at,
            }
        if isinstance(event, MinutesPublished):
            if self.status not in ("held", "minutes_published"):
                return {}
            return {
                "status": "minutes_published",
                "minutes_summary": event.summary,
                "minutes_published_at": event.published_at,
            }
        return {}


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


# --------------------------------------------------------------------------- registrations

Mode = Literal["participant", "observer"]
RegistrationStatus = Literal["confirmed", "waitlisted", "cancelled"]


class RegistrationRefused(DomainError):
    code = "inscription_refusee"


@dataclass(frozen=True)
class Seat:
    """An active registration, as the seat rules see it."""

    registration_id: uuid.UUID
    council_id: uuid.UUID
    mode: Mode
    status: RegistrationStatus
    waitlist_seq: int = 0


def registration_closes_at(kind: InstanceType, starts_at: datetime) -> datetime:
    return starts_at - timedelta(hours=kind.registration_closes_hours)


def check_can_register(
    kind: InstanceType,
    *,
    status: str,
    starts_at: datetime,
    now: datetime,
    mode: Mode,
    member_active: bool,
    member_council: uuid.UUID | None,
    concerned: Iterable[uuid.UUID],
) -> None:
    if status not in OPEN_FOR_REGISTRATION:
        raise RegistrationRefused(
            f"Les inscriptions ne sont pas ouvertes : l'instance est {STATUS_LABELS.get(status, status)}."
        )
    if now >= registration_closes_at(kind, starts_at):
        raise RegistrationRefused(
            f"Les inscriptions sont closes ({kind.registration_closes_hours} h avant le début)."
        )
    if member_council is None or not member_active:
        raise RegistrationRefused("Seuls les membres actifs d'un conseil citoyen peuvent s'inscrire.")
    if mode == "observer" and not kind.observers_allowed:
        raise RegistrationRefused("Cette instance n'accueille pas d'observateurs.")
    if mode == "participant" and member_council not in set(concerned):
        raise RegistrationRefused(
            "Votre conseil n'est pas concerné par cette instance : inscrivez-vous comme observateur."
        )


def _has_room(kind: InstanceType, seats: Sequence[Seat], council_id: uuid.UUID, mode: Mode) -> bool:
    # The capacity is the room's: observers take a chair too. The per-council
    # quota only limits participants (who speak for their council).
    confirmed = [seat for seat in seats if seat.status == "confirmed"]
    if kind.capacity is not None and len(confirmed) >= kind.capacity:
        return False
    if mode == "participant" and kind.participant_seats_per_council is not None:
        taken = sum(1 for s in confirmed if s.mode == "participant" and s.council_id == council_id)
        if taken >= kind.participant_seats_per_council:
            return False
    return True


def admit(kind: InstanceType, seats: Sequence[Seat], council_id: uuid.UUID, mode: Mode) -> RegistrationStatus:
    """Confirmed when a seat is free (council quota for participants, total capacity), else waitlisted.

    A newcomer never jumps the queue: the seats that waiting registrations can
    take are handed to them first.
    """
    promoted = set(promotions(kind, seats))
    after_promotions = [
        Seat(s.registration_id, s.council_id, s.mode, "confirmed") if s.registration_id in promoted else s
        for s in seats
    ]
    return "confirmed" if _has_room(kind, after_promotions, council_id, mode) else "waitlisted"


def waitlist_position(seats: Sequence[Seat], registration_id: uuid.UUID) -> int:
    waiting = sorted((s for s in seats if s.status == "waitlisted"), key=lambda s: s.waitlist_seq)
    for position, seat in enumerate(waiting, start=1):
        if seat.registration_id == registration_id:
            return position
    raise ValueError("registration is not on the waiting list")


def promotions(kind: InstanceType, seats: Sequence[Seat]) -> list[uuid.UUID]:
    """Waitlisted registrations that now get a seat, in waiting-list order."""
    current = list(seats)
    promoted: list[uuid.UUID] = []
    for seat in sorted((s for s in seats if s.status == "waitlisted"), key=lambda s: s.waitlist_seq):
        others = [s for s in current if s.registration_id != seat.registration_id]
        if _has_room(kind, others, seat.council_id, seat.mode):
            promoted.append(seat.registration_id)
            current = [*others, Seat(seat.registration_id, seat.council_id, seat.mode, "confirmed")]
    return promoted


# --------------------------------------------------------------------------- documents

DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "txt": ("text/plain", ()),
}


class DocumentRefused(DomainError):
    code = "document_refuse"


_UNSAFE = re.compile(r"[^\w.\- ()àâäçéèêëîïôöùûüÿœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒ]+")


def safe_display_name(filename: str) -> str:
    """The name shown to users: no directory part, no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = _UNSAFE.sub("_", name).strip(". ")
    return name[:200] or "document"


def check_document(filename: str, head: bytes, size: int, max_bytes: int) -> str:
    """The media type of an allowed document, checked by extension and content."""
    if size == 0:
        raise DocumentRefused("Le fichier est vide.")
    if size > max_bytes:
        raise DocumentRefused(f"Fichier trop volumineux (maximum {max_bytes // (1024 * 1024)} Mo).")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    allowed = DOCUMENT_TYPES.get(extension)
    if allowed is None:
        raise DocumentRefused(
            "Type de fichier non autorisé (acceptés : pdf, odt, docx, xlsx, ods, png, jpeg, txt)."
        )
    media_type, signatures = allowed
    if signatures and not any(head.startswith(signature) for signature in signatures):
        raise DocumentRefused(f"Le contenu du fichier ne correspond pas à son extension (.{extension}).")
    if not signatures:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # a multibyte character cut at the end is fine
                raise DocumentRefused("Un fichier .txt doit contenir du texte (UTF-8).") from None
        if b"\x00" in head:
            raise DocumentRefused("Un fichier .txt doit contenir du texte (UTF-8).")
    return media_type


# --------------------------------------------------------------------------- forum outcomes

OutcomeKind = Literal["proposal", "commitment"]
OutcomeStatus = Literal["proposed", "in_progress", "done", "abandoned"]
OUTCOME_STATUS_LABELS: dict[str, str] = {
    "proposed": "proposé",
    "in_progress": "en cours",
    "done": "réalisé",
    "abandoned": "abandonné",
}


def check_outcome_update(current: str, new: str) -> None:
    if current in ("done", "abandoned") and new != current:
        raise Conflict(
            f"Cet engagement est déjà {OUTCOME_STATUS_LABELS[current]} : son statut ne peut plus changer."
        )
