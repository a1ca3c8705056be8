"""The rules of the meetings domain, table-driven, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from conseils_meetings import domain
from conseils_meetings.domain import CouncilView, Seat
from conseils_runtime.http import DomainError
from conseils_runtime.territory import EveningRule, InstanceType

PARIS = "Europe/Paris"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday


def kind(**overrides: object) -> InstanceType:
    values: dict[str, object] = {
        "slug": "copil",
        "name": "Comité de pilotage",
        "political": True,
        "scope": "territory",
        "evening_rule": EveningRule(weekday_earliest_start=time(18, 0), saturday_allowed=True),
        "min_notice_days": 21,
        "dossier_notice_days": 10,
        "participant_seats_per_council": 2,
        "capacity": 5,
        "observers_allowed": True,
        "on_breach": "warn",
        "registration_closes_hours": 24,
    }
    values.update(overrides)
    return InstanceType.model_validate(values)


# --------------------------------------------------------------------------- state machine

ALL_STATUSES = [
    "draft",
    "scheduled",
    "rescheduled",
    "dossier_published",
    "held",
    "minutes_published",
    "cancelled",
]
ALLOWED = {
    ("draft", "schedule"): "scheduled",
    ("draft", "cancel"): "cancelled",
    ("scheduled", "reschedule"): "rescheduled",
    ("scheduled", "publish_dossier"): "dossier_published",
    ("scheduled", "hold"): "held",
    ("scheduled", "cancel"): "cancelled",
    ("rescheduled", "reschedule"): "rescheduled",
    ("rescheduled", "publish_dossier"): "dossier_published",
    ("rescheduled", "hold"): "held",
    ("rescheduled", "cancel"): "cancelled",
    ("dossier_published", "reschedule"): "rescheduled",
    ("dossier_published", "publish_dossier"): "dossier_published",
    ("dossier_published", "hold"): "held",
    ("dossier_published", "cancel"): "cancelled",
    ("held", "hold"): "held",
    ("held", "publish_minutes"): "minutes_published",
    ("minutes_published", "publish_minutes"): "minutes_published",
}
ACTIONS = ["schedule", "reschedule", "publish_dossier", "hold", "publish_minutes", "cancel"]


@pytest.mark.parametrize(
    ("status", "action"), [(status, action) for status in ALL_STATUSES for action in ACTIONS]
)
def test_every_move_of_the_state_machine(status: str, action: domain.Action) -> None:
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(domain.IllegalTransition) as refused:
            domain.transition(status, action)
        assert refused.value.message.startswith("Impossible de")
        assert refused.value.status_code == 409
    else:
        assert domain.transition(status, action) == expected


@pytest.mark.parametrize(
    ("status", "action", "reason"),
    [
        ("held", "cancel", "qui n'a pas encore eu lieu"),
        ("cancelled", "reschedule", "elle a été annulée"),
        ("scheduled", "publish_minutes", "enregistrez d'abord la présence"),
        ("draft", "publish_dossier", "programmez-la d'abord"),
    ],
)
def test_refusals_say_why_in_french(status: str, action: domain.Action, reason: str) -> None:
    with pytest.raises(domain.IllegalTransition, match=reason):
        domain.transition(status, action)


# --------------------------------------------------------------------------- policy

# Paris is UTC+1 in winter, UTC+2 in summer.
POLICY_CASES = [
    # (local start, political, days ahead, expected breach codes)
    ("2027-04-06T18:30", True, 36, []),  # Tuesday evening
    ("2027-04-06T17:59", True, 36, ["daytime_political_instance"]),
    ("2027-04-06T14:00", False, 36, []),  # technical instances may be held in the day
    ("2027-04-10T10:00", True, 39, []),  # Saturday morning allowed
    ("2027-04-11T19:00", True, 40, ["daytime_political_instance"]),  # Sunday not allowed
    ("2027-03-10T19:00", True, 9, ["short_notice"]),
    ("2027-03-10T10:00", True, 9, ["daytime_political_instance", "short_notice"]),
]


@pytest.mark.parametrize(("local", "political", "_days", "expected"), POLICY_CASES)
def test_policy_breaches(local: str, political: bool, _days: int, expected: list[str]) -> None:
    from zoneinfo import ZoneInfo

    starts_at = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(PARIS))
    breaches = domain.policy_breaches(kind(political=political), starts_at, NOW, PARIS)
    assert [breach.code for breach in breaches] == expected


def test_evening_is_judged_in_paris_time_not_utc() -> None:
    # 16:30 UTC in summer is 18:30 in Paris: evening. 17:30 UTC in winter is 18:30 too.
    assert domain.is_evening(datetime(2027, 6, 8, 16, 30, tzinfo=UTC), EveningRule(), PARIS)
    assert domain.is_evening(datetime(2027, 1, 12, 17, 30, tzinfo=UTC), EveningRule(), PARIS)
    assert not domain.is_evening(datetime(2027, 6, 8, 15, 30, tzinfo=UTC), EveningRule(), PARIS)


# Issue 12: "allowed by the evening rule" is not "in the evening". In UTC; Paris is
# UTC+1 until 28 March 2027 and UTC+2 from then until 31 October 2027.
SLOT_CASES = [
    (datetime(2027, 4, 10, 8, 0, tzinfo=UTC), "saturday"),  # Saturday 10:00 in Paris (summer)
    (datetime(2027, 1, 16, 9, 0, tzinfo=UTC), "saturday"),  # Saturday 10:00 in Paris (winter)
    (datetime(2027, 1, 16, 19, 0, tzinfo=UTC), "saturday"),  # Saturday 20:00: still Saturday
    (datetime(2027, 4, 9, 16, 0, tzinfo=UTC), "weekday_evening"),  # Friday 18:00 (summer)
    (datetime(2027, 4, 9, 15, 59, tzinfo=UTC), "working_hours"),  # Friday 17:59 (summer)
    (datetime(2027, 1, 15, 17, 0, tzinfo=UTC), "weekday_evening"),  # Friday 18:00 (winter)
    (datetime(2027, 1, 15, 16, 59, tzinfo=UTC), "working_hours"),  # Friday 17:59 (winter)
    (datetime(2027, 1, 15, 17, 30, tzinfo=UTC), "weekday_evening"),  # 17:30 UTC = 18:30 Paris
    (datetime(2027, 6, 7, 16, 30, tzinfo=UTC), "weekday_evening"),  # Monday 18:30 (summer)
    (datetime(2027, 6, 7, 8, 0, tzinfo=UTC), "working_hours"),  # Monday 10:00
    (datetime(2027, 4, 11, 17, 0, tzinfo=UTC), "sunday"),  # Sunday 19:00
    (datetime(2027, 4, 10, 22, 30, tzinfo=UTC), "sunday"),  # Saturday in UTC, Sunday 00:30 in Paris
]


@pytest.mark.parametrize(("starts_at", "expected"), SLOT_CASES)
def test_time_slot_in_the_territory_timezone(starts_at: datetime, expected: str) -> None:
    assert domain.time_slot(starts_at, PARIS) == expected
    assert domain.is_evening(starts_at, EveningRule(), PARIS) is (expected == "weekday_evening")
    assert domain.outside_working_hours(domain.time_slot(starts_at, PARIS)) is (expected != "working_hours")


def test_a_saturday_morning_allowed_by_the_rule_is_not_evening() -> None:
    saturday_10h = datetime(2027, 4, 10, 8, 0, tzinfo=UTC)
    rule = EveningRule(weekday_earliest_start=time(18, 0), saturday_allowed=True)
    assert domain.satisfies_off_hours_rule(saturday_10h, rule, PARIS)
    assert not domain.is_evening(saturday_10h, rule, PARIS)
    assert domain.SLOT_LABELS[domain.time_slot(saturday_10h, PARIS)] == "Le samedi"
    assert domain.policy_breaches(kind(), saturday_10h, NOW, PARIS) == []


def test_every_slot_has_a_french_label() -> None:
    assert set(domain.SLOT_LABELS) == set(domain.TIME_SLOTS)
    assert domain.SLOT_LABELS["weekday_evening"] == "En soirée"
    assert domain.SLOT_LABELS["working_hours"] == "En journée"


def test_off_hours_rule_follows_the_territory_rule() -> None:
    saturday, sunday = datetime(2027, 4, 10, 8, 0, tzinfo=UTC), datetime(2027, 4, 11, 17, 0, tzinfo=UTC)
    tuesday_18h30 = datetime(2027, 4, 6, 16, 30, tzinfo=UTC)
    strict = EveningRule(weekday_earliest_start=time(19, 0), saturday_allowed=False, sunday_allowed=True)
    assert not domain.satisfies_off_hours_rule(saturday, strict, PARIS)
    assert domain.satisfies_off_hours_rule(sunday, strict, PARIS)
    assert not domain.satisfies_off_hours_rule(tuesday_18h30, strict, PARIS)  # evening, but before 19:00
    assert domain.is_evening(tuesday_18h30, strict, PARIS)  # still an evening
    breaches = domain.policy_breaches(kind(evening_rule=strict), saturday, NOW, PARIS)
    assert [b.code for b in breaches] == ["daytime_political_instance"]


def test_a_daytime_weekday_political_instance_is_refused_when_the_type_refuses() -> None:
    tuesday_14h = datetime(2027, 4, 6, 12, 0, tzinfo=UTC)
    breaches = domain.policy_breaches(kind(on_breach="refuse"), tuesday_14h, NOW, PARIS)
    assert [b.code for b in breaches] == ["daytime_political_instance"]
    assert "mardi 14:00" in breaches[0].message
    with pytest.raises(domain.PolicyRefused):
        domain.apply_policy(kind(on_breach="refuse"), breaches)
    assert domain.apply_policy(kind(on_breach="warn"), breaches) == [breaches[0].message]


@pytest.mark.parametrize(("on_breach", "refused"), [("warn", False), ("refuse", True)])
def test_breach_is_refused_or_kept_as_warning(on_breach: str, refused: bool) -> None:
    breaches = [
        domain.PolicyBreach("short_notice", "délai de prévenance trop court (3 jours, 21 jours demandés)")
    ]
    if refused:
        with pytest.raises(domain.PolicyRefused, match="Programmation refusée : délai de prévenance"):
            domain.apply_policy(kind(on_breach=on_breach), breaches)
    else:
        assert domain.apply_policy(kind(on_breach=on_breach), breaches) == [breaches[0].message]
    assert domain.apply_policy(kind(on_breach=on_breach), []) == []


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (NOW + timedelta(days=30), NOW + timedelta(days=30), "fin de l'instance"),
        (NOW - timedelta(hours=1), NOW + timedelta(hours=1), "dans le passé"),
    ],
)
def test_dates_are_checked(starts: datetime, ends: datetime, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        domain.check_dates(starts, ends, NOW)


# --------------------------------------------------------------------------- concerned councils

A, B, C, D = (uuid.UUID(int=i) for i in range(1, 5))
COUNCILS = [
    CouncilView(A, "93066"),
    CouncilView(B, "93066"),
    CouncilView(C, "93001"),
    CouncilView(D, "93066", active=False),
]


@pytest.mark.parametrize(
    ("scope", "options", "expected"),
    [
        ("territory", {}, [A, B, C]),
        ("theme", {"theme": "emploi"}, [A, B, C]),
        ("city", {"city_code": "93066"}, [A, B]),
        ("city", {"city_code": "93079"}, []),
        ("council", {"council_id": C}, [C]),
    ],
)
def test_concerned_councils_by_scope(
    scope: str, options: dict[str, object], expected: list[uuid.UUID]
) -> None:
    assert domain.concerned_councils(scope, COUNCILS, **options) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scope", "options", "message"),
    [
        ("theme", {}, "précisez la thématique"),
        ("city", {}, "précisez la ville"),
        ("council", {}, "précisez le conseil"),
        ("council", {"council_id": D}, "dissous"),
    ],
)
def test_concerned_councils_need_their_target(scope: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        domain.concerned_councils(scope, COUNCILS, **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- registrations


def seat(council: uuid.UUID, mode: str = "participant", status: str = "confirmed", seq: int = 0) -> Seat:
    return Seat(uuid.uuid4(), council, mode, status, seq)  # type: ignore[arg-type]


ADMIT_CASES = [
    # (seats per council, capacity, existing seats, council, mode, expected)
    (2, 5, [], A, "participant", "confirmed"),
    (2, 5, [seat(A)], A, "participant", "confirmed"),
    (2, 5, [seat(A), seat(A)], A, "participant", "waitlisted"),  # council quota reached
    (2, 5, [seat(A), seat(A)], B, "participant", "confirmed"),  # other council unaffected
    (2, 5, [seat(A), seat(A)], A, "observer", "confirmed"),  # quota is for participants only
    (2, 3, [seat(A), seat(B), seat(C)], A, "observer", "waitlisted"),  # capacity reached
    (None, None, [seat(A)] * 40, A, "participant", "confirmed"),  # no limits
    (0, 5, [], A, "participant", "waitlisted"),  # no seat for councils at all
    (2, 5, [seat(A), seat(A, status="waitlisted", seq=1)], B, "participant", "confirmed"),
]


@pytest.mark.parametrize(("per_council", "capacity", "seats", "council", "mode", "expected"), ADMIT_CASES)
def test_admission(  # noqa: PLR0917 - one argument per column of the table
    per_council: int | None,
    capacity: int | None,
    seats: list[Seat],
    council: uuid.UUID,
    mode: domain.Mode,
    expected: str,
) -> None:
    rules = kind(participant_seats_per_council=per_council, capacity=capacity)
    assert domain.admit(rules, seats, council, mode) == expected


def test_newcomer_never_jumps_the_waiting_list() -> None:
    rules = kind(participant_seats_per_council=1, capacity=10)
    waiting = seat(A, status="waitlisted", seq=1)  # a seat of A freed and not yet handed over
    assert domain.admit(rules, [waiting], A, "participant") == "waitlisted"


def test_promotions_follow_the_waiting_list_and_the_quota() -> None:
    rules = kind(participant_seats_per_council=1, capacity=3)
    first_a = seat(A, status="waitlisted", seq=1)
    second_a = seat(A, status="waitlisted", seq=2)
    first_b = seat(B, status="waitlisted", seq=3)
    seats = [seat(C), first_a, second_a, first_b]
    # A and B have no participant: the first of A and the first of B get a seat; capacity 3 is then full.
    assert domain.promotions(rules, seats) == [first_a.registration_id, first_b.registration_id]
    assert domain.waitlist_position(seats, second_a.registration_id) == 2


def test_promotion_limited_by_total_capacity() -> None:
    rules = kind(participant_seats_per_council=None, capacity=2)
    waiting = [seat(B, status="waitlisted", seq=n) for n in (1, 2)]
    assert domain.promotions(rules, [seat(A), *waiting]) == [waiting[0].registration_id]


STARTS = NOW + timedelta(days=30)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"status": "draft"}, "pas ouvertes"),
        ({"status": "cancelled"}, "annulée"),
        ({"now": STARTS - timedelta(hours=23)}, "closes"),
        ({"member_active": False}, "membres actifs"),
        ({"member_council": None}, "membres actifs"),
        ({"member_council": C}, "pas concerné"),
        ({"mode": "observer", "kind": kind(observers_allowed=False)}, "pas d'observateurs"),
    ],
)
def test_registration_refusals(overrides: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "status": "scheduled",
        "starts_at": STARTS,
        "now": NOW,
        "mode": "participant",
        "member_active": True,
        "member_council": A,
        "concerned": [A, B],
    }
    rules = overrides.pop("kind", kind())
    arguments.update(overrides)
    with pytest.raises(domain.RegistrationRefused, match=message):
        domain.check_can_register(rules, **arguments)  # type: ignore[arg-type]


def test_observer_from_a_council_not_concerned_is_welcome() -> None:
    domain.check_can_register(
        kind(),
        status="dossier_published",
        starts_at=STARTS,
        now=STARTS - timedelta(hours=25),
        mode="observer",
        member_active=True,
        member_council=C,
        concerned=[A, B],
    )


def access(rules: InstanceType | None = None, seats: list[Seat] | None = None, **overrides: object) -> Any:
    arguments: dict[str, object] = {
        "status": "scheduled",
        "starts_at": STARTS,
        "now": NOW,
        "member_active": True,
        "member_council": A,
        "concerned": [A, B],
        "seats": seats or [],
        **overrides,
    }
    return domain.registration_access(rules or kind(), **arguments)  # type: ignore[arg-type]


def test_access_says_who_may_register_how_and_why() -> None:
    concerned = access()
    assert concerned.concerned is True
    assert (concerned.participant.allowed, concerned.participant.code) == (True, "open")
    assert (concerned.observer.allowed, concerned.observer.code) == (True, "open")
    other = access(member_council=C)
    assert other.concerned is False
    assert (other.participant.allowed, other.participant.code) == (False, "not_concerned")
    assert other.participant.reason.endswith("inscrivez-vous comme observateur.")
    assert other.observer.allowed is True
    no_observers = access(kind(observers_allowed=False), member_council=C)
    assert no_observers.observer.code == "observers_not_allowed"
    assert no_observers.participant.reason == "Votre conseil n'est pas concerné par cette instance."
    closed = access(now=STARTS - timedelta(hours=23))
    assert {closed.participant.code, closed.observer.code} == {"closed"}
    cancelled = access(status="cancelled")
    assert cancelled.participant.reason == "Les inscriptions ne sont pas ouvertes : l'instance est annulée."
    assert access(member_active=False).observer.code == "not_member"


def test_access_tells_the_waiting_list_ahead_quota_then_room() -> None:
    quota = access(kind(participant_seats_per_council=1), [seat(A)])
    assert (quota.participant.allowed, quota.participant.code) == (True, "waitlist")
    assert "les places de votre conseil sont prises (1 par conseil)" in quota.participant.reason
    assert quota.observer.code == "open"  # the quota counts participants only
    room = access(kind(capacity=2), [seat(B), seat(B)])
    assert room.participant.code == room.observer.code == "waitlist"
    assert "la salle est complète (2 places)" in room.observer.reason


# --------------------------------------------------------------------------- documents

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        ("ordre-du-jour.pdf", b"%PDF-1.7\n", "application/pdf"),
        ("note.odt", b"PK\x03\x04rest", "application/vnd.oasis.opendocument.text"),
        (
            "budget.XLSX",
            b"PK\x03\x04rest",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("plan.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0", "image/jpeg"),
        ("notes.txt", b"Ordre du jour : emploi", "text/plain"),
    ],
)
def test_allowed_documents(filename: str, head: bytes, expected: str) -> None:
    assert domain.check_document(filename, head, 100, 20 * MB) == expected


@pytest.mark.parametrize(
    ("filename", "head", "size", "message"),
    [
        ("virus.exe", b"MZ", 100, "non autorisé"),
        ("faux.pdf", b"MZ\x90\x00", 100, "ne correspond pas"),
        ("page.html", b"<html>", 100, "non autorisé"),
        ("sans-extension", b"%PDF-", 100, "non autorisé"),
        ("gros.pdf", b"%PDF-", 21 * MB, "trop volumineux"),
        ("vide.pdf", b"", 0, "vide"),
        ("binaire.txt", b"\x00\x01\x02abc", 100, "texte"),
    ],
)
def test_refused_documents(filename: str, head: bytes, size: int, message: str) -> None:
    with pytest.raises(domain.DocumentRefused, match=message):
        domain.check_document(filename, head, size, 20 * MB)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("compte rendu (v2).pdf", "compte rendu (v2).pdf"),
        ("Éducation – note.pdf", "Éducation _ note.pdf"),
        ("..", "document"),
    ],
)
def test_display_names_keep_no_path(given: str, shown: str) -> None:
    assert domain.safe_display_name(given) == shown


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("proposed", "in_progress", True),
        ("in_progress", "done", True),
        ("done", "proposed", False),
        ("abandoned", "in_progress", False),
        ("proposed", "abandoned", True),
    ],
)
def test_outcome_status_changes(current: str, new: str, allowed: bool) -> None:
    if allowed:
        domain.check_outcome_update(current, new)
    else:
        with pytest.raises(DomainError, match="ne peut plus changer"):
            domain.check_outcome_update(current, new)


# --------------------------------------------------------------------------- the instance aggregate


def test_the_instance_aggregate_only_moves_forward() -> None:
    from conseils_schemas import DossierPublished, InstanceCancelled, InstanceHeld, InstanceRescheduled

    iid = uuid.uuid4()
    at = datetime(2027, 3, 1, 9, tzinfo=UTC)
    state = domain.InstanceAggregate(status="scheduled", sequence=1, dossier_version=1)
    assert (state.next_sequence(), state.next_dossier_version()) == (2, 2)
    older = InstanceRescheduled(
        instance_id=iid,
        starts_at=at,
        ends_at=at + timedelta(hours=2),
        location="Mairie",
        previous_starts_at=at,
        sequence=1,
    )
    assert state.changes(older, at, "Europe/Paris") == {}  # a duplicate or an older move
    newer = older.model_copy(update={"sequence": 2})
    assert state.changes(newer, at, "Europe/Paris")["status"] == "rescheduled"
    published = DossierPublished(
        instance_id=iid, dossier_version=1, documents=[], published_at=at, notice_days=3
    )
    assert state.changes(published, at, "Europe/Paris") == {}  # version 1 already applied
    second = published.model_copy(update={"dossier_version": 2})
    assert state.changes(second, at, "Europe/Paris")["first_dossier_published_at"] == at
    held = domain.InstanceAggregate(status="held", sequence=2, dossier_version=2)
    assert held.changes(InstanceHeld(instance_id=iid, held_at=at), at, "Europe/Paris") == {}
    assert held.changes(newer.model_copy(update={"sequence": 3}), at, "Europe/Paris")["status"] == "held"
    cancelled = domain.InstanceAggregate(status="cancelled", sequence=3, dossier_version=0)
    assert (
        cancelled.changes(InstanceCancelled(instance_id=iid, reason="x", sequence=4), at, "Europe/Paris")
        == {}
    )
