"""Rules of the meetings service, as plain Python (no I/O).

Owns the lifecycle of an instance (a state machine), the policy checks of an
instance type (evening rule, notice), who is concerned by an instance, the
registration rules (eligibility, per-council quota, capacity, waiting list,
promotion, closing time) and the allowed document types.
Every refusal is a `DomainError` with a French message.

One module per seam, all re-exported here (callers write `domain.transition`):
`instance_rules` (lifecycle, policy, time slots, who is concerned),
`registration_rules` (seats and the waiting list), `document_rules` (allowed
documents); this module holds the instance aggregate and the forum outcome rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from conseils_meetings.document_rules import (
    DOCUMENT_TYPES,
    DocumentRefused,
    check_document,
    safe_display_name,
)
from conseils_meetings.instance_rules import (
    ACTION_LABELS,
    ATTENDANCE_RECORDED,
    BEFORE_HELD,
    EVENING_STARTS,
    OPEN_FOR_REGISTRATION,
    SLOT_LABELS,
    STATUS_LABELS,
    TIME_SLOTS,
    TRANSITIONS,
    Action,
    CouncilView,
    IllegalTransition,
    PolicyBreach,
    PolicyRefused,
    Status,
    TimeSlot,
    apply_policy,
    check_dates,
    concerned_councils,
    dossier_is_late,
    is_evening,
    outside_working_hours,
    policy_breaches,
    satisfies_off_hours_rule,
    time_slot,
    transition,
)
from conseils_meetings.registration_rules import (
    AccessCode,
    Mode,
    ModeAccess,
    RegistrationAccess,
    RegistrationRefused,
    RegistrationStatus,
    Seat,
    admit,
    check_can_register,
    exceeds_council_quota,
    over_quota_alert_id,
    promotions,
    refusal,
    registration_access,
    registration_closes_at,
    waitlist_position,
)
from conseils_runtime.errors import Conflict
from conseils_schemas import (
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
)
from conseils_schemas.events import InstanceUpdated
from conseils_schemas.labels import OUTCOME_STATUS_LABELS

__all__ = [
    "ACTION_LABELS",
    "ATTENDANCE_RECORDED",
    "BEFORE_HELD",
    "DOCUMENT_TYPES",
    "EVENING_STARTS",
    "OPEN_FOR_REGISTRATION",
    "OUTCOME_STATUS_LABELS",
    "SLOT_LABELS",
    "STATUS_LABELS",
    "TIME_SLOTS",
    "TRANSITIONS",
    "AccessCode",
    "Action",
    "CouncilView",
    "DocumentRefused",
    "IllegalTransition",
    "InstanceAggregate",
    "Mode",
    "ModeAccess",
    "OutcomeKind",
    "OutcomeStatus",
    "PolicyBreach",
    "PolicyRefused",
    "RegistrationAccess",
    "RegistrationRefused",
    "RegistrationStatus",
    "Seat",
    "Status",
    "TimeSlot",
    "admit",
    "apply_policy",
    "check_can_register",
    "check_dates",
    "check_document",
    "check_outcome_update",
    "concerned_councils",
    "dossier_is_late",
    "exceeds_council_quota",
    "is_evening",
    "outside_working_hours",
    "over_quota_alert_id",
    "policy_breaches",
    "promotions",
    "refusal",
    "registration_access",
    "registration_closes_at",
    "safe_display_name",
    "satisfies_off_hours_rule",
    "time_slot",
    "transition",
    "waitlist_position",
]

# --------------------------------------------------------------------------- the instance aggregate

_DOSSIER_OPEN: frozenset[str] = frozenset({"scheduled", "rescheduled"})
_NOT_YET_HELD: frozenset[str] = frozenset({"draft", *BEFORE_HELD})


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
        if isinstance(event, InstanceUpdated):  # the new values whole: twice changes nothing
            return {"title": event.title, "theme": event.theme, "description": event.description}
        if isinstance(event, MinutesPublished):
            if self.status not in ("held", "minutes_published"):
                return {}
            return {
                "status": "minutes_published",
                "minutes_summary": event.summary,
                "minutes_published_at": event.published_at,
            }
        return {}


# --------------------------------------------------------------------------- forum outcomes

OutcomeKind = Literal["proposal", "commitment"]
OutcomeStatus = Literal["proposed", "in_progress", "done", "abandoned"]


def check_outcome_update(current: str, new: str) -> None:
    if current in ("done", "abandoned") and new != current:
        raise Conflict(
            f"Cet engagement est déjà {OUTCOME_STATUS_LABELS[current]} : son statut ne peut plus changer."
        )
