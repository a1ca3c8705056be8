"""Recipient rules, preference planning, reminders and signed links: plain unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from conseils_notifications.domain import (
    CouncilView,
    Directory,
    InstanceView,
    MemberView,
    Preferences,
    Recipient,
    change_recipients,
    concerned_councils,
    invitation_recipients,
    minutes_recipients,
    plan_deliveries,
    read_unsubscribe_token,
    reminder_due_times,
    reminder_recipients,
    retry_delay,
    unsubscribe_token,
    validate_preferences,
)
from conseils_runtime.http import DomainError

# A small territory: two councils in Saint-Denis (93066), one in Stains (93072), one suspended.
SD1, SD2, ST1, OFF = (uuid.UUID(int=i) for i in (1, 2, 3, 4))
# Members: name -> (id, council, themes followed)
M = {name: uuid.UUID(int=100 + n) for n, name in enumerate(
    ["aicha", "marc", "fatou", "karim", "julie", "nadia", "ghost"]
)}  # fmt: skip
DIRECTORY = Directory(
    councils=(
        CouncilView(SD1, "93066"),
        CouncilView(SD2, "93066"),
        CouncilView(ST1, "93072"),
        CouncilView(OFF, "93066", active=False),
    ),
    members=(
        MemberView(M["aicha"], SD1, frozenset({"emploi", "education"})),
        MemberView(M["marc"], SD1, frozenset({"habitat"})),
        MemberView(M["fatou"], SD1, frozenset({"sante", "emploi"})),
        MemberView(M["karim"], SD2, frozenset({"emploi"})),
        MemberView(M["julie"], SD2, frozenset()),
        MemberView(M["nadia"], ST1, frozenset({"sante"})),
        MemberView(M["ghost"], OFF, frozenset({"emploi"})),
    ),
    referents={(SD1, "emploi"): M["aicha"], (SD2, "emploi"): M["julie"], (ST1, "sante"): M["nadia"]},
)


def instance(
    scope: str, theme: str | None = None, city: str | None = None, councils: tuple[uuid.UUID, ...] = ()
) -> InstanceView:
    return InstanceView(uuid.uuid4(), scope, theme, city, councils)  # type: ignore[arg-type]


def named(recipients: list[Recipient]) -> dict[str, str]:
    names = {member_id: name for name, member_id in M.items()}
    return {names[r.member_id]: r.reason for r in recipients}


@pytest.mark.parametrize(
    ("case", "view", "expected"),
    [
        (
            "thematic committee: each council's referent, then followers",
            instance("theme", theme="emploi"),
            {
                "aicha": "theme_referent",
                "julie": "theme_referent",
                "fatou": "follows_theme",
                "karim": "follows_theme",
            },
        ),
        (
            "thematic committee on a theme without referent: followers only",
            instance("theme", theme="education"),
            {"aicha": "follows_theme"},
        ),
        (
            "thematic committee limited to listed councils",
            instance("theme", theme="sante", councils=(ST1,)),
            {"nadia": "theme_referent"},
        ),
        (
            "territory-wide: every member of every active council",
            instance("territory"),
            dict.fromkeys(("aicha", "marc", "fatou", "karim", "julie", "nadia"), "council_member"),
        ),
        (
            "territory-wide limited to listed councils",
            instance("territory", councils=(ST1,)),
            {"nadia": "council_member"},
        ),
        (
            "CLIP: members of the councils of its city",
            instance("city", city="93066"),
            dict.fromkeys(("aicha", "marc", "fatou", "karim", "julie"), "city_council_member"),
        ),
        ("CLIP of a city without council", instance("city", city="93001"), {}),
        (
            "training: its council",
            instance("council", councils=(SD2,)),
            {"karim": "council_member", "julie": "council_member"},
        ),
        ("training of a suspended council: nobody", instance("council", councils=(OFF,)), {}),
    ],
)
def test_invitation_recipients(case: str, view: InstanceView, expected: dict[str, str]) -> None:
    assert named(invitation_recipients(view, DIRECTORY)) == expected, case


def test_concerned_councils_skip_suspended_ones() -> None:
    assert concerned_councils(instance("territory"), DIRECTORY) == [SD1, SD2, ST1]


@pytest.mark.parametrize(
    ("told", "registered", "expected"),
    [
        ([], [], {}),
        (["aicha", "karim"], [], {"aicha": "told_before", "karim": "told_before"}),
        (["aicha"], ["aicha", "nadia"], {"aicha": "registered", "nadia": "registered"}),
        ([], ["marc"], {"marc": "registered"}),
    ],
)
def test_change_recipients(told: list[str], registered: list[str], expected: dict[str, str]) -> None:
    result = change_recipients([M[n] for n in told], [M[n] for n in registered])
    assert named(result) == expected


@pytest.mark.parametrize(
    ("view", "registered", "expected"),
    [
        (
            "theme emploi, Franc-Moisin registered: Julie (SD2 referent) is warned",
            {"fatou": SD1},
            {"fatou": "registered", "julie": "referent_nobody_registered"},
        ),
        (
            "theme emploi, nobody registered: both referents",
            {},
            {"aicha": "referent_nobody_registered", "julie": "referent_nobody_registered"},
        ),
        (
            "theme emploi, both councils registered: registrants only",
            {"marc": SD1, "karim": SD2},
            {"marc": "registered", "karim": "registered"},
        ),
    ],
)
def test_reminder_recipients_for_a_thematic_instance(
    view: str, registered: dict[str, uuid.UUID], expected: dict[str, str]
) -> None:
    result = reminder_recipients(
        instance("theme", theme="emploi"), DIRECTORY, {M[n]: council for n, council in registered.items()}
    )
    assert named(result) == expected, view


def test_reminder_of_a_territory_instance_warns_every_referent_of_unrepresented_councils() -> None:
    result = reminder_recipients(instance("territory"), DIRECTORY, {M["karim"]: SD2})
    assert named(result) == {
        "karim": "registered",
        "aicha": "referent_nobody_registered",
        "nadia": "referent_nobody_registered",
    }


@pytest.mark.parametrize(
    ("view", "registered", "attended", "expected"),
    [
        (
            instance("theme", theme="sante"),
            ["marc"],
            ["marc", "karim"],
            {"marc": "attended", "karim": "attended", "fatou": "follows_theme", "nadia": "follows_theme"},
        ),
        (instance("territory"), ["julie"], [], {"julie": "registered"}),
        (instance("city", city="93072"), [], ["nadia"], {"nadia": "attended"}),
    ],
)
def test_minutes_recipients(
    view: InstanceView, registered: list[str], attended: list[str], expected: dict[str, str]
) -> None:
    result = minutes_recipients(view, DIRECTORY, [M[n] for n in registered], [M[n] for n in attended])
    assert named(result) == expected


A, B = uuid.UUID(int=1001), uuid.UUID(int=1002)


@pytest.mark.parametrize(
    ("kind", "prefs", "expected"),
    [
        ("scheduled", {}, [(A, "email", False), (B, "email", False)]),
        ("scheduled", {A: Preferences(categories=frozenset({"minutes"}))}, [(B, "email", False)]),
        ("reminder", {A: Preferences(channels=frozenset({"email", "sms"}))},
         [(A, "email", False), (A, "sms", False), (B, "email", False)]),
        ("dossier", {A: Preferences(digest=True)}, [(A, "email", True), (B, "email", False)]),
        # a change or a reminder is never delayed to the digest
        ("cancelled", {A: Preferences(digest=True)}, [(A, "email", False), (B, "email", False)]),
        # SMS is immediate or nothing
        ("minutes", {A: Preferences(digest=True, channels=frozenset({"sms", "email"}))},
         [(A, "email", True), (B, "email", False)]),
    ],
)  # fmt: skip
def test_plan_deliveries_follows_preferences(
    kind: str, prefs: dict[uuid.UUID, Preferences], expected: list[tuple[uuid.UUID, str, bool]]
) -> None:
    recipients = [Recipient(A, "registered"), Recipient(B, "told_before"), Recipient(A, "told_before")]
    planned = plan_deliveries(recipients, kind, prefs)
    assert [(p.member_id, p.channel, p.deferred_to_digest) for p in planned] == expected


def test_validate_preferences_refuses_unknown_themes_and_no_channel() -> None:
    with pytest.raises(DomainError, match="Thématique inconnue : cuisine"):
        validate_preferences(Preferences(themes=frozenset({"cuisine"})), ["emploi"])
    with pytest.raises(DomainError, match="au moins un moyen"):
        validate_preferences(Preferences(channels=frozenset()), ["emploi"])
    prefs = Preferences(themes=frozenset({"emploi"}))
    assert validate_preferences(prefs, ["emploi"]) is prefs


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("starts_in_days", "days", "expected_days"),
    [(30, [7, 1], [7, 1]), (3, [7, 1], [1]), (0.5, [7, 1], []), (10, [1, 7, 7], [7, 1])],
)
def test_reminder_due_times_keep_only_future_ones(
    starts_in_days: float, days: list[int], expected_days: list[int]
) -> None:
    starts = NOW + timedelta(days=starts_in_days)
    due = reminder_due_times(starts, days, NOW)
    assert list(due) == expected_days
    assert all(when == starts - timedelta(days=d) for d, when in due.items())


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 5), (2, 10), (3, 20), (20, 3600)])
def test_retry_delay_is_exponential_and_capped(attempts: int, seconds: float) -> None:
    assert retry_delay(attempts, 5.0) == timedelta(seconds=seconds)


def test_unsubscribe_token_round_trip_and_tampering() -> None:
    member = uuid.uuid4()
    token = unsubscribe_token("secret", member, "reminder")
    assert read_unsubscribe_token("secret", token) == (member, "reminder")
    other = unsubscribe_token("secret", uuid.uuid4(), "reminder")
    forged = token.split(".")[0] + "." + other.split(".")[1]
    for bad in (forged, "garbage", token + "x"):
        with pytest.raises(DomainError, match="Lien de désinscription invalide"):
            read_unsubscribe_token("secret", bad)
    with pytest.raises(DomainError):
        read_unsubscribe_token("another-secret", token)
