"""The SMS presence prompt (issue 19) carries her own short signed presence link, the short
form of the email's (`conseils_runtime.action_links.sign_short_action`): 58 characters, read
back by the site as the same member, instance and « present » action, valid as long as the
email's (a week after the end, to the end of that day); the whole SMS stays one GSM-7 segment
even with a long title and a long public address. A forged or cut token is refused, and the
short form is no credential for another action, member or secret."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conseils_notifications.records import DeliveryRecord
from conseils_notifications.sms_channel import presence_short_link
from conseils_notifications.sms_text import is_gsm7, septets, sms_body
from conseils_runtime.action_links import (
    ActionLinkExpired,
    ActionLinkInvalid,
    read_any_action,
    sign_action,
    sign_short_action,
)

SECRET = "un-secret-de-plateforme-de-test-assez-long"  # noqa: S105 - a test secret
MEMBER, INSTANCE = uuid.uuid4(), uuid.uuid4()
ENDS = datetime(2026, 3, 20, 19, 30, tzinfo=UTC)
BASE = "https://conseils-citoyens.plainecommune.example"


def prompt(**instance: Any) -> DeliveryRecord:
    snapshot = {
        "instance_id": str(INSTANCE),
        "title": "Comité de pilotage du contrat de ville — renouvellement urbain et emploi des jeunes",
        "starts_at": (ENDS - timedelta(hours=2)).isoformat(),
        "ends_at": ENDS.isoformat(),
        "location": "Salle des fêtes de l'hôtel de ville de Saint-Denis, 2 place Victor-Hugo",
        **instance,
    }
    now = ENDS + timedelta(hours=1)
    return DeliveryRecord(
        delivery_id=uuid.uuid4(), source_event_id="presence_prompt:x:0", member_id=MEMBER, channel="sms",
        category="reminder", kind="presence", instance_id=INSTANCE, reason="registered",
        context={"instance": snapshot, "presence_url": f"{BASE}/instances/{INSTANCE}#presence"},
        status="pending", attempts=0, next_attempt_at=now, last_error=None, subject=None,
        created_at=now, sent_at=None,
    )  # fmt: skip


def test_the_prompt_sms_carries_her_short_presence_link_in_one_segment() -> None:
    link = presence_short_link(BASE, SECRET, prompt())
    assert link is not None
    assert link.startswith(f"{BASE}/presence/")
    token = link.rsplit("/", 1)[1]
    assert len(token) == 58
    read = read_any_action(SECRET, token, ENDS + timedelta(hours=1))
    assert (read.member_id, read.instance_id, read.action) == (MEMBER, INSTANCE, "present")
    assert read.expires_at >= ENDS + timedelta(days=7)  # as long as the email's link
    assert read.expires_at <= ENDS + timedelta(days=8)
    text = sms_body("presence", prompt().context, link=link, timezone="Europe/Paris")
    assert text.startswith("Étiez-vous présent.e ? ven. 20/3 18h30")
    assert text.endswith(link)  # never cut
    assert is_gsm7(text)
    assert septets(text) <= 160


def test_only_the_prompt_gets_her_presence_link() -> None:
    reminder = prompt()
    other = DeliveryRecord(**{**reminder.__dict__, "kind": "reminder"})
    assert presence_short_link(BASE, SECRET, other) is None


def test_the_short_form_is_no_credential_beyond_its_own() -> None:
    until = ENDS + timedelta(days=7)
    token = sign_short_action(SECRET, MEMBER, INSTANCE, "present", until)
    with pytest.raises(ActionLinkInvalid):
        read_any_action(SECRET + "x", token, ENDS)
    with pytest.raises(ActionLinkInvalid):
        # A signature character changed (not the last: its low bits are base64 padding, ignored).
        read_any_action(SECRET, token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], ENDS)
    with pytest.raises(ActionLinkInvalid):
        read_any_action(SECRET, token[:57], ENDS)
    with pytest.raises(ActionLinkExpired):
        read_any_action(SECRET, token, until + timedelta(days=1))
    cancel = sign_short_action(SECRET, MEMBER, INSTANCE, "cancel", until)
    assert read_any_action(SECRET, cancel, ENDS).action == "cancel"
    assert cancel != token
    long_form = sign_action(SECRET, MEMBER, INSTANCE, "present", until)  # the email's still reads
    assert read_any_action(SECRET, long_form, ENDS).member_id == MEMBER
