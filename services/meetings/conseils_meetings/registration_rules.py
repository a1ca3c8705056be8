"""Registration rules, as plain Python (no I/O): eligibility, per-council quota, capacity,
waiting list, promotion, closing time. Part of `conseils_meetings.domain`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from conseils_meetings.instance_rules import OPEN_FOR_REGISTRATION, STATUS_LABELS
from conseils_runtime.errors import DomainError
from conseils_runtime.territory import InstanceType

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


AccessCode = Literal[
    "open", "waitlist", "not_open", "closed", "not_member", "observers_not_allowed", "not_concerned"
]


@dataclass(frozen=True)
class ModeAccess:
    """Whether a member may register in one mode, and why, in French (`code` for the pages)."""

    allowed: bool
    code: AccessCode
    reason: str


@dataclass(frozen=True)
class RegistrationAccess:
    """Who may register how: as participant (her council is concerned) and as observer (the
    type allows observers), each with its reason; `concerned`: her council is concerned."""

    concerned: bool
    participant: ModeAccess
    observer: ModeAccess


def refusal(
    kind: InstanceType,
    *,
    status: str,
    starts_at: datetime,
    now: datetime,
    mode: Mode,
    member_active: bool,
    member_council: uuid.UUID | None,
    concerned: Iterable[uuid.UUID],
) -> ModeAccess | None:
    """Why the rules refuse this registration (None: they accept it)."""
    if status not in OPEN_FOR_REGISTRATION:
        return ModeAccess(
            False,
            "not_open",
            f"Les inscriptions ne sont pas ouvertes : l'instance est {STATUS_LABELS.get(status, status)}.",
        )
    if now >= registration_closes_at(kind, starts_at):
        return ModeAccess(
            False,
            "closed",
            f"Les inscriptions sont closes ({kind.registration_closes_hours} h avant le début).",
        )
    if member_council is None or not member_active:
        return ModeAccess(
            False, "not_member", "Seuls les membres actifs d'un conseil citoyen peuvent s'inscrire."
        )
    if mode == "observer" and not kind.observers_allowed:
        return ModeAccess(False, "observers_not_allowed", "Cette instance n'accueille pas d'observateurs.")
    if mode == "participant" and member_council not in set(concerned):
        advice = " : inscrivez-vous comme observateur." if kind.observers_allowed else "."
        return ModeAccess(
            False, "not_concerned", f"Votre conseil n'est pas concerné par cette instance{advice}"
        )
    return None


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
    refused = refusal(
        kind,
        status=status,
        starts_at=starts_at,
        now=now,
        mode=mode,
        member_active=member_active,
        member_council=member_council,
        concerned=concerned,
    )
    if refused is not None:
        raise RegistrationRefused(refused.reason)


def registration_access(
    kind: InstanceType,
    *,
    status: str,
    starts_at: datetime,
    now: datetime,
    member_active: bool,
    member_council: uuid.UUID | None,
    concerned: Iterable[uuid.UUID],
    seats: Sequence[Seat],
) -> RegistrationAccess:
    """What the agenda and the instance page tell her: for each mode, allowed or not and why;
    allowed but full means the waiting list (the quota of her council, or the room)."""
    concerned_ids = set(concerned)

    def one(mode: Mode) -> ModeAccess:
        refused = refusal(
            kind,
            status=status,
            starts_at=starts_at,
            now=now,
            mode=mode,
            member_active=member_active,
            member_council=member_council,
            concerned=concerned_ids,
        )
        if refused is not None:
            return refused
        assert member_council is not None  # refusal() checked it
        if admit(kind, seats, member_council, mode) == "waitlisted":
            confirmed = sum(1 for seat in seats if seat.status == "confirmed")
            if kind.capacity is not None and confirmed >= kind.capacity:
                why = f"la salle est complète ({kind.capacity} places)"
            else:
                why = (
                    f"les places de votre conseil sont prises ({kind.participant_seats_per_council} "
                    f"par conseil)"
                )
            return ModeAccess(
                True, "waitlist", f"Vous pouvez vous inscrire, mais {why} : vous serez sur liste d'attente."
            )
        if mode == "participant":
            return ModeAccess(True, "open", "Votre conseil est concerné : vous pouvez participer.")
        return ModeAccess(
            True, "open", "Cette instance accueille des observateur·rices : vous pouvez observer."
        )

    return RegistrationAccess(
        concerned=member_council is not None and member_council in concerned_ids,
        participant=one("participant"),
        observer=one("observer"),
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


OVER_QUOTA_NAMESPACE = uuid.UUID("6f1d7e5c-3a7b-4f43-9d3c-0c2b6d1e8a51")


def exceeds_council_quota(
    kind: InstanceType, seats: Sequence[Seat], council_id: uuid.UUID, mode: Mode
) -> bool:
    """True when this participant registration is the first beyond her council's places (the
    council asks for more than the type gives it): staff are told once, not at every newcomer."""
    quota = kind.participant_seats_per_council
    if mode != "participant" or quota is None:
        return False
    asked = sum(1 for seat in seats if seat.mode == "participant" and seat.council_id == council_id)
    return asked == quota


def over_quota_alert_id(instance_id: uuid.UUID, council_id: uuid.UUID) -> uuid.UUID:
    """One alert per instance and council, whoever raises it and however often."""
    return uuid.uuid5(OVER_QUOTA_NAMESPACE, f"{instance_id}/{council_id}")


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
