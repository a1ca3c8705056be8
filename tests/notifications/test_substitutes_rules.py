"""The substitute of a theme's referent is invited when the referent cancels: only for a thematic
instance under the referent scenario, only when the one who cancelled is that council's referent
for the instance's theme, and only a substitute still active in that council."""

from __future__ import annotations

import uuid

from conseils_notifications.domain import InstanceView, substitute_recipients
from tests.notifications.test_domain import DIRECTORY, SD1, SD2, ST1, M, named

EMPLOI = InstanceView(uuid.uuid4(), "theme", "emploi", None, ())
SUBSTITUTES = {(SD1, "emploi"): M["fatou"], (SD2, "emploi"): M["nadia"]}  # nadia is in Stains


def test_the_referent_cancelling_invites_her_substitute() -> None:
    invited = substitute_recipients(
        EMPLOI, DIRECTORY, SUBSTITUTES, absent_member_id=M["aicha"], council_id=SD1
    )
    assert named(invited) == {"fatou": "substitute"}
    assert "suppléant·e" in invited[0].reason_label


def test_nobody_else_is_invited_for_a_cancellation() -> None:
    # Someone who is not the referent cancels: nobody is invited in her place.
    assert (
        substitute_recipients(EMPLOI, DIRECTORY, SUBSTITUTES, absent_member_id=M["marc"], council_id=SD1)
        == []
    )
    # The substitute is no (longer an) active member of that council: nobody.
    assert (
        substitute_recipients(EMPLOI, DIRECTORY, SUBSTITUTES, absent_member_id=M["julie"], council_id=SD2)
        == []
    )
    # An open pool: everyone was invited already.
    pool = InstanceView(uuid.uuid4(), "theme", "emploi", None, (), open_pool=True)
    assert (
        substitute_recipients(pool, DIRECTORY, SUBSTITUTES, absent_member_id=M["aicha"], council_id=SD1) == []
    )
    # Not a thematic instance, or a council the instance does not concern: nobody.
    city = InstanceView(uuid.uuid4(), "city", None, "93066", ())
    assert (
        substitute_recipients(city, DIRECTORY, SUBSTITUTES, absent_member_id=M["aicha"], council_id=SD1) == []
    )
    stains_only = InstanceView(uuid.uuid4(), "theme", "emploi", None, (ST1,))
    assert (
        substitute_recipients(
            stains_only, DIRECTORY, SUBSTITUTES, absent_member_id=M["aicha"], council_id=SD1
        )
        == []
    )
    # No substitute for the theme: nobody.
    assert substitute_recipients(EMPLOI, DIRECTORY, {}, absent_member_id=M["aicha"], council_id=SD1) == []
