"""The emails' signed action links: only the platform can make one, for one member, one
instance, one action, until its expiry; anything else is refused."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from conseils_runtime.action_links import (
    ACTIONS,
    ActionLinkExpired,
    ActionLinkInvalid,
    read_action,
    sign_action,
)

SECRET = "un-secret-de-plateforme-de-test-assez-long"  # noqa: S105 - a test secret
MEMBER = uuid.UUID("11111111-2222-3333-4444-555555555555")
INSTANCE = uuid.UUID("66666666-7777-8888-9999-000000000000")
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
UNTIL = datetime(2026, 10, 14, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize("action", ACTIONS)
def test_a_link_says_who_what_and_until_when(action: str) -> None:
    token = sign_action(SECRET, MEMBER, INSTANCE, action, UNTIL)  # type: ignore[arg-type]
    link = read_action(SECRET, token, NOW)
    assert (link.member_id, link.instance_id, link.action, link.expires_at) == (
        MEMBER,
        INSTANCE,
        action,
        UNTIL,
    )
    assert len(token) < 120  # one short path segment
    assert "/" not in token
    assert "=" not in token


def test_each_action_and_member_has_its_own_link() -> None:
    tokens = {sign_action(SECRET, MEMBER, INSTANCE, action, UNTIL) for action in ACTIONS}
    tokens.add(sign_action(SECRET, uuid.uuid4(), INSTANCE, "participant", UNTIL))
    assert len(tokens) == len(ACTIONS) + 1


def test_every_changed_byte_is_refused() -> None:
    raw = base64.urlsafe_b64decode(sign_action(SECRET, MEMBER, INSTANCE, "observer", UNTIL) + "==")
    for index in range(len(raw)):
        tampered = bytearray(raw)
        tampered[index] ^= 0x01
        token = base64.urlsafe_b64encode(bytes(tampered)).rstrip(b"=").decode()
        with pytest.raises(ActionLinkInvalid):
            read_action(SECRET, token, NOW)


@pytest.mark.parametrize("token", ["", "abc", "!!!!", "A" * 99, "A" * 5000])
def test_garbage_and_cut_links_are_refused(token: str) -> None:
    with pytest.raises(ActionLinkInvalid):
        read_action(SECRET, token, NOW)


def test_a_link_cut_short_is_refused() -> None:
    token = sign_action(SECRET, MEMBER, INSTANCE, "participant", UNTIL)
    with pytest.raises(ActionLinkInvalid):
        read_action(SECRET, token[:-4], NOW)


def test_another_secret_cannot_make_or_read_a_link() -> None:
    forged = sign_action("un-autre-secret-de-plateforme-assez-long", MEMBER, INSTANCE, "participant", UNTIL)
    with pytest.raises(ActionLinkInvalid):
        read_action(SECRET, forged, NOW)


def test_a_link_past_its_window_says_which_it_was() -> None:
    token = sign_action(SECRET, MEMBER, INSTANCE, "cancel", UNTIL)
    with pytest.raises(ActionLinkExpired) as expired:
        read_action(SECRET, token, UNTIL)
    assert expired.value.link.instance_id == INSTANCE
    assert read_action(SECRET, token, UNTIL - timedelta(seconds=1)).action == "cancel"


def test_an_unknown_action_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        sign_action(SECRET, MEMBER, INSTANCE, "delete", UNTIL)  # type: ignore[arg-type]
