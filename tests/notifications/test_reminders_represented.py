"""Who a reminder reminds for a council nobody registered from, under the scenario in force
(issue 20): the referents by default; under the rotation scenario the member whose turn it is
(not the referents, who were not invited), nobody for a council without a turn; once the
referent cancelled and her substitute was invited, the substitute, not the referent who said
she cannot come. A council represented by a registrant is reminded only through her."""

from __future__ import annotations

import uuid

from conseils_notifications.domain import InstanceView
from conseils_notifications.reminders import represented_reminder_recipients
from tests.notifications.test_domain import DIRECTORY, SD1, SD2, M, named

EMPLOI = InstanceView(uuid.uuid4(), "theme", "emploi", "93066", ())
CITY = InstanceView(uuid.uuid4(), "city", None, "93066", ())


def test_by_default_the_referents_of_councils_nobody_registered_from() -> None:
    assert named(represented_reminder_recipients(EMPLOI, DIRECTORY, {M["marc"]: SD1})) == {
        "marc": "registered",
        "julie": "referent_nobody_registered",
    }


def test_under_the_rotation_the_member_whose_turn_it_is_not_the_referents() -> None:
    turns = {SD1: M["fatou"], SD2: M["karim"]}
    assert named(represented_reminder_recipients(CITY, DIRECTORY, {}, turns=turns)) == {
        "fatou": "rotation_turn",
        "karim": "rotation_turn",
    }
    # Karim registered for his council: he is reminded as registered; Saint-Denis 1's turn is Fatou's.
    assert named(represented_reminder_recipients(CITY, DIRECTORY, {M["karim"]: SD2}, turns=turns)) == {
        "karim": "registered",
        "fatou": "rotation_turn",
    }
    # No turn for a council (or its member left): nobody of it, and never its referents.
    assert named(represented_reminder_recipients(CITY, DIRECTORY, {}, turns={SD1: M["nadia"]})) == {}


def test_the_substitute_invited_in_place_of_the_referent_is_reminded_instead_of_her() -> None:
    reminded = represented_reminder_recipients(EMPLOI, DIRECTORY, {}, substitutes={SD1: M["fatou"]})
    assert named(reminded) == {"fatou": "substitute", "julie": "referent_nobody_registered"}
    # The substitute registered: she is reminded as registered, the referent is not reminded.
    assert named(
        represented_reminder_recipients(EMPLOI, DIRECTORY, {M["fatou"]: SD1}, substitutes={SD1: M["fatou"]})
    ) == {"fatou": "registered", "julie": "referent_nobody_registered"}
    # A substitute no longer in that council: nobody in the referent's place, not the referent either.
    assert named(represented_reminder_recipients(EMPLOI, DIRECTORY, {}, substitutes={SD1: M["nadia"]})) == {
        "julie": "referent_nobody_registered"
    }
