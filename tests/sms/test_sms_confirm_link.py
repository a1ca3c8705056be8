"""The SMS J-1 reminder to a registrant carries her « Je viens » (issue 19): the short form of the
email's signed confirm link (`sign_short_action`, 58 characters), read back by the site as the
same member, instance and « confirm » action, valid until the instance starts; the whole SMS
stays one GSM-7 segment with a long title. Only that reminder to a registrant gets it (a
referent reminded, the J-7, another kind: the instance's link); after the start, or with a public
address too long to leave room for the date, the instance's link too. « Je ne viens plus » is not
in the SMS: two action links do not fit one segment, no SMS answer cancels, and the « Je viens »
page is that one action's credential."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from conseils_notifications.records import DeliveryRecord
from conseils_notifications.sms_channel import confirm_short_link
from conseils_notifications.sms_text import is_gsm7, septets, sms_body
from conseils_runtime.action_links import read_any_action

SECRET = "un-secret-de-plateforme-de-test-assez-long"  # noqa: S105 - a test secret
MEMBER, INSTANCE = uuid.uuid4(), uuid.uuid4()
STARTS = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)  # jeudi 18 h 30 à Paris
NOW = STARTS - timedelta(days=1)
BASE = "http://127.0.0.1:8000"  # the demo territory's address


def reminder(*, reason: str = "registered", days_before: int = 1, **instance: Any) -> DeliveryRecord:
    snapshot = {
        "instance_id": str(INSTANCE),
        "title": "Comité de pilotage du contrat de ville — renouvellement urbain et emploi des jeunes",
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(hours=2)).isoformat(),
        "location": "Mairie de Saint-Denis",
        "status": "scheduled",
        **instance,
    }
    return DeliveryRecord(
        delivery_id=uuid.uuid4(), source_event_id="reminder:x:0", member_id=MEMBER, channel="sms",
        category="reminder", kind="reminder", instance_id=INSTANCE, reason=reason,
        context={"instance": snapshot, "days_before": days_before},
        status="pending", attempts=0, next_attempt_at=NOW, last_error=None, subject=None,
        created_at=NOW, sent_at=None,
    )  # fmt: skip


def test_the_j1_sms_carries_her_short_je_viens_link_in_one_segment() -> None:
    row = reminder()
    labelled = confirm_short_link(BASE, SECRET, row, NOW)
    assert labelled is not None
    assert labelled.startswith(f"Je viens : {BASE}/action/")
    token = labelled.rsplit("/", 1)[1]
    assert len(token) == 58
    read = read_any_action(SECRET, token, NOW)
    assert (read.member_id, read.instance_id, read.action) == (MEMBER, INSTANCE, "confirm")
    assert STARTS <= read.expires_at <= STARTS + timedelta(days=1)  # until it starts (to that day's end)
    text = sms_body("reminder", row.context, link=labelled, timezone="Europe/Paris")
    assert text.startswith("Rappel : demain jeu. 5/3 18h30, Mairie de Saint-Denis")
    assert text.endswith(labelled)  # the link is never cut
    assert is_gsm7(text)
    assert septets(text) <= 160


def test_only_a_registrants_j1_reminder_before_the_start_gets_it() -> None:
    assert confirm_short_link(BASE, SECRET, reminder(reason="referent_nobody_registered"), NOW) is None
    assert confirm_short_link(BASE, SECRET, reminder(days_before=7), NOW) is None
    assert confirm_short_link(BASE, SECRET, reminder(days_before=0), NOW) is None
    assert confirm_short_link(BASE, SECRET, reminder(status="cancelled"), NOW) is None
    assert confirm_short_link(BASE, SECRET, reminder(), STARTS) is None  # started: nothing to confirm
    other = DeliveryRecord(**{**reminder().__dict__, "kind": "registered"})
    assert confirm_short_link(BASE, SECRET, other, NOW) is None


def test_an_address_too_long_for_the_date_gets_the_instances_link() -> None:
    long_base = "https://conseils-citoyens-de-la-ville.plainecommune.example"
    assert confirm_short_link(long_base, SECRET, reminder(), NOW) is None
    medium = "https://conseils.plainecommune.fr"
    labelled = confirm_short_link(medium, SECRET, reminder(), NOW)
    assert labelled is not None
    text = sms_body("reminder", reminder().context, link=labelled, timezone="Europe/Paris")
    assert text.startswith("Rappel : demain jeu. 5/3 18h30")
    assert septets(text) <= 160
