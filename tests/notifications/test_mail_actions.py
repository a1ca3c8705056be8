"""The two-click links of the emails: an invitation carries « Je participe » and
« J'observe », a mail about her own registration (and a reminder or a move once she is
registered) « Je ne viens plus »; each signed for her, that instance and that action, valid
while the action is; none on a cancelled instance, none past the window. The move says what
changed, old -> new, in its first lines."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from conseils_notifications.mail import render
from conseils_runtime.action_links import read_action
from tests.notifications.test_mail import MEMBER_ID, SETTINGS, SNAPSHOT, build, parts

INVITE = {**SNAPSHOT, "observers_allowed": True, "registration_closes_at": "2026-04-13T16:30:00+00:00"}
BEFORE = datetime(2026, 3, 1, tzinfo=UTC)


def links(
    kind: str, reason: str, instance: dict[str, object] = INVITE, now: datetime = BEFORE
) -> dict[str, str]:
    rendered = render(
        SETTINGS,
        kind=kind,
        category="scheduling",
        reason=reason,
        context={
            "instance": instance,
            "mode": "participant",
            "position": 1,
            "reason_text": "",
            "summary": "",
        },
        member_id=MEMBER_ID,
        display_name="Aïcha Diallo",
        now=now,
    )
    found = dict(re.findall(r"^- (Je participe|J'observe|Je ne viens plus) : (\S+)$", rendered.text, re.M))
    html = rendered.html
    for label, url in found.items():
        assert url in html  # the same link as a button in the HTML part
        assert label.replace("'", "&#39;") in html
    return found


def action_of(url: str, now: datetime = BEFORE) -> tuple[uuid.UUID, uuid.UUID, str]:
    assert url.startswith(f"{SETTINGS.public_base_url}/action/")
    link = read_action(SETTINGS.secret, url.rsplit("/", 1)[1], now)
    return link.member_id, link.instance_id, link.action


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("scheduled", "theme_referent"),
        ("dossier", "council_member"),
        ("rescheduled", "told_before"),
        ("reminder", "referent_nobody_registered"),
    ],
)
def test_an_invitation_offers_to_participate_or_observe_in_two_clicks(kind: str, reason: str) -> None:
    found = links(kind, reason)
    assert set(found) == {"Je participe", "J'observe"}
    instance_id = uuid.UUID(str(INVITE["instance_id"]))
    assert action_of(found["Je participe"]) == (MEMBER_ID, instance_id, "participant")
    assert action_of(found["J'observe"]) == (MEMBER_ID, instance_id, "observer")
    expiry = read_action(SETTINGS.secret, found["Je participe"].rsplit("/", 1)[1], BEFORE).expires_at
    assert expiry == datetime(2026, 4, 13, 16, 30, tzinfo=UTC)  # when registration closes


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("registered", "own_registration"),
        ("promoted", "own_registration"),
        ("waitlisted", "own_registration"),
        ("reminder", "registered"),
        ("rescheduled", "registered"),
    ],
)
def test_her_own_registration_offers_to_withdraw(kind: str, reason: str) -> None:
    found = links(kind, reason)
    assert set(found) == {"Je ne viens plus"}
    member, _instance, action = action_of(found["Je ne viens plus"])
    assert (member, action) == (MEMBER_ID, "cancel")
    expiry = read_action(SETTINGS.secret, found["Je ne viens plus"].rsplit("/", 1)[1], BEFORE).expires_at
    assert expiry == datetime(2026, 4, 14, 16, 30, tzinfo=UTC)  # until the instance starts


def test_no_observer_link_where_observers_are_not_allowed() -> None:
    assert set(links("scheduled", "council_member", {**INVITE, "observers_allowed": False})) == {
        "Je participe"
    }


def test_no_links_once_closed_cancelled_or_about_nothing_to_do() -> None:
    closed = datetime(2026, 4, 13, 17, 0, tzinfo=UTC)
    assert links("reminder", "referent_nobody_registered", now=closed) == {}
    assert set(links("reminder", "registered", now=closed)) == {"Je ne viens plus"}
    assert links("cancelled", "registered", {**INVITE, "status": "cancelled"}) == {}
    assert links("scheduled", "council_member", {**INVITE, "status": "cancelled"}) == {}
    for kind in ("minutes", "unregistered", "cancelled"):
        assert links(kind, "registered") == {}


def test_an_older_snapshot_without_the_window_still_gets_links_until_the_start() -> None:
    found = links("scheduled", "council_member", SNAPSHOT)
    assert set(found) == {"Je participe", "J'observe"}


def test_a_move_says_what_changed_old_to_new_first() -> None:
    message = build(
        "rescheduled",
        previous_starts_at="2026-04-10T16:30:00+00:00",
        previous_location="Bourse du travail",
    )
    text = parts(message)["text/plain"].get_content().replace("\u00a0", " ")
    first = text.split("\n\n")[1]
    assert first.startswith(
        "Nouvelle date : mardi 14 avril 2026 à 18 h 30 (au lieu de vendredi 10 avril 2026 à 18 h 30)"
    )
    assert (
        "Nouveau lieu : Mairie de Saint-Denis, salle du conseil (précédemment : Bourse du travail)" in first
    )
    html = parts(message)["text/html"].get_content().replace("\u00a0", " ")
    assert "Nouvelle date : mardi 14 avril 2026 à 18 h 30</strong> (au lieu de vendredi 10 avril" in html


def test_a_move_of_place_only_says_only_the_place() -> None:
    message = build(
        "rescheduled", previous_starts_at=SNAPSHOT["starts_at"], previous_location="Bourse du travail"
    )
    text = parts(message)["text/plain"].get_content()
    assert "Nouvelle date" not in text
    assert "Nouveau lieu : Mairie de Saint-Denis" in text
