"""Sign-in by SMS inside the notifications service (issue 19), on a real database with a
scripted gateway: the look-up finds every member with the number whatever its spelling and
gives ids only; her link goes out at once in one GSM-7 segment (quiet hours do not hold back
a sign-in she asked for); a STOP is honoured; a gateway away is tried again, then given up; a
member without a number gets nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conseils_notifications import sms_signin
from conseils_notifications.sms_settings import SmsSettings
from conseils_notifications.sms_text import is_gsm7, septets
from conseils_notifications.transport import TemporaryFailure

from .test_sms_service import Harness, harness  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres

LINK = "https://conseils.example/connexion/-KkQ8a69jaNXZ-s-PZf4V-WtPscWmS9N9ITXk6cHtCA?suite=/agenda"
SUNDAY_NIGHT = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # quiet hours twice over


async def test_the_look_up_finds_the_number_whatever_its_spelling(harness: Harness) -> None:  # noqa: F811
    nadia = await harness.person(phone="06 12 34 56 78")
    sister = await harness.person(phone="+33 6 12 34 56 78")  # a family's one phone
    await harness.person(phone="07 11 22 33 44")
    await harness.person(phone=None)
    found = await sms_signin.members_with_phone(harness.service, "0612345678", "33")
    assert sorted(found) == sorted([nadia, sister])
    assert await sms_signin.members_with_phone(harness.service, "06 99 99 99 99", "33") == []
    assert await sms_signin.members_with_phone(harness.service, "pas un numéro", "33") == []


async def test_her_link_goes_out_at_once_in_one_segment_even_in_quiet_hours(harness: Harness) -> None:  # noqa: F811
    nadia = await harness.person()
    harness.clock.now = SUNDAY_NIGHT
    answer = await sms_signin.send_signin_sms(harness.service, harness.gateway, SmsSettings(), nadia, LINK)
    assert answer.sent, answer
    ((phone, text, _dlr),) = harness.gateway.sent
    assert phone == "+33612345678"
    assert text == f"Conseils citoyens - votre lien de connexion (10 min) : {LINK}"
    assert is_gsm7(text)
    assert septets(text) <= 160


async def test_a_stop_is_honoured_and_a_missing_number_gets_nothing(harness: Harness) -> None:  # noqa: F811
    nadia, without = await harness.person(), await harness.person(phone=None)
    assert await harness.service.sms_answer("+33612345678", "STOP") is not None
    stopped = await sms_signin.send_signin_sms(harness.service, harness.gateway, SmsSettings(), nadia, LINK)
    assert (stopped.sent, stopped.reason) == (False, "la personne a répondu STOP")
    none = await sms_signin.send_signin_sms(harness.service, harness.gateway, SmsSettings(), without, LINK)
    assert (none.sent, none.reason) == (False, "pas de numéro")
    assert harness.gateway.sent == []


async def test_a_gateway_away_is_tried_again_then_given_up(
    harness: Harness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sms_signin, "BACKOFF_SECONDS", 0.01)
    nadia = await harness.person()
    harness.gateway.outcomes = [TemporaryFailure("away"), None]
    assert (
        await sms_signin.send_signin_sms(harness.service, harness.gateway, SmsSettings(), nadia, LINK)
    ).sent
    assert len(harness.gateway.sent) == 1
    harness.gateway.outcomes = [TemporaryFailure("away")] * 3
    gone = await sms_signin.send_signin_sms(harness.service, harness.gateway, SmsSettings(), nadia, LINK)
    assert (gone.sent, gone.reason) == (False, "passerelle SMS injoignable")
    assert len(harness.gateway.sent) == 1
