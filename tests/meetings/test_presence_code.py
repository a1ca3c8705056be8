"""The attendance code: six characters without look-alikes, the same for the same instance and
secret, another for another instance or secret; what she types is compared without case, spaces
or dashes. The new actions of the signed links keep the older ones' wire form."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from conseils_meetings.presence_code import ALPHABET, attendance_code, matches
from conseils_runtime.action_links import ACTIONS, read_action, sign_action

SECRET = "un-secret-de-plateforme-de-test-assez-long"  # noqa: S105 - a test secret
INSTANCE = uuid.UUID("66666666-7777-8888-9999-000000000000")


def test_the_code_is_six_clear_characters_derived_from_the_instance() -> None:
    code = attendance_code(SECRET, INSTANCE)
    assert len(code) == 6
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1IL2Z5S8B")
    assert attendance_code(SECRET, INSTANCE) == code
    assert attendance_code(SECRET, uuid.uuid4()) != code
    assert attendance_code(SECRET + "x", INSTANCE) != code


def test_what_she_types_is_compared_without_case_spaces_or_dashes() -> None:
    code = attendance_code(SECRET, INSTANCE)
    assert matches(SECRET, INSTANCE, code)
    assert matches(SECRET, INSTANCE, f" {code[:3].lower()}-{code[3:]} ")
    assert not matches(SECRET, INSTANCE, code[:5])
    assert not matches(SECRET, uuid.uuid4(), code)


def test_new_actions_are_appended_so_older_links_still_read() -> None:
    assert ACTIONS[:3] == ("participant", "observer", "cancel")
    until = datetime(2030, 1, 1, tzinfo=UTC)
    for action in ("confirm", "present"):
        token = sign_action(SECRET, INSTANCE, INSTANCE, action, until)
        assert read_action(SECRET, token, datetime(2029, 1, 1, tzinfo=UTC)).action == action
