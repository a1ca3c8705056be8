"""The SMS channel's plain rules: GSM-7 text in one segment, quiet hours, phone numbers,
STOP answers, who may be texted, signed links (fast, no I/O)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, time

import pytest

from conseils_notifications.sms_api import RedactSmsQueries
from conseils_notifications.sms_rules import (
    QuietHours,
    SmsStanding,
    check_report_signature,
    is_start,
    is_stop,
    mask_phone,
    may_text,
    normalise_phone,
    phone_key,
    read_short_link,
    report_signature,
    short_link_token,
)
from conseils_notifications.sms_settings import SmsRules
from conseils_notifications.sms_text import SEGMENT, fit_segment, is_gsm7, septets, sms_body, to_gsm7
from conseils_runtime.errors import DomainError

LINK = "https://conseils.plainecommune.fr/notifications/s/" + "x" * 30


def test_accents_gsm7_has_are_kept_and_the_others_transliterated() -> None:
    assert (
        to_gsm7("Étiez-vous présent·e ? « Fête » à l'œuvre, ça")
        == 'Étiez-vous présent.e ? " Fete " à l\'oeuvre, ca'
    )
    assert is_gsm7(to_gsm7("ÂÊÎÔÛ âêîôû ëïü — … ’ 😀"))
    assert septets("a€[") == 5  # the extension table counts two


def test_one_segment_keeps_the_link_whole_and_cuts_the_body() -> None:
    text = fit_segment("Rappel : demain", "mar. 3/3 18h30, " + "Salle polyvalente " * 20, LINK)
    assert septets(text) <= SEGMENT
    assert text.endswith(" " + LINK)
    assert "..." in text
    assert text.startswith("Rappel : demain mar. 3/3 18h30, Salle")


def test_sms_body_of_a_reminder_in_local_time() -> None:
    context = {
        "instance": {
            "instance_id": str(uuid.uuid4()),
            "title": "Comité technique Emploi",
            "starts_at": "2026-03-03T17:30:00+00:00",
            "location": "Mairie de Saint-Denis",
        },
        "days_before": 1,
    }
    text = sms_body("reminder", context, link=LINK, timezone="Europe/Paris")
    assert text == f"Rappel : demain mar. 3/3 18h30, Mairie de Saint-Denis - Comité technique Emploi {LINK}"
    assert septets(text) <= SEGMENT


@pytest.mark.parametrize(
    ("now", "resume"),
    [
        ("2026-03-02T18:00:00+00:00", None),  # Monday 19:00 Paris
        ("2026-03-02T19:30:00+00:00", "2026-03-03T07:00:00+00:00"),  # Monday 20:30 -> Tuesday 08:00
        ("2026-03-03T06:59:00+00:00", "2026-03-03T07:00:00+00:00"),  # before 08:00
        ("2026-03-07T21:00:00+00:00", "2026-03-09T07:00:00+00:00"),  # Saturday night: after Sunday
        ("2026-03-08T11:00:00+00:00", "2026-03-09T07:00:00+00:00"),  # Sunday noon
        ("2026-03-28T20:00:00+00:00", "2026-03-30T06:00:00+00:00"),  # across the summer time change
    ],
)
def test_quiet_hours_defer_to_their_end(now: str, resume: str | None) -> None:
    found = QuietHours().next_allowed(datetime.fromisoformat(now))
    assert found == (datetime.fromisoformat(resume) if resume else None)


def test_territory_rules_set_the_quiet_hours() -> None:
    rules = SmsRules(quiet_from=time(21, 0), quiet_until=time(9, 0), quiet_days=["samedi", "dimanche"])
    quiet = rules.quiet_hours("Europe/Paris")
    assert quiet.days_off == frozenset({5, 6})
    assert quiet.next_allowed(datetime(2026, 3, 2, 19, 30, tzinfo=UTC)) is None  # 20:30 Paris
    with pytest.raises(ValueError, match="jour inconnu"):
        SmsRules(quiet_days=["sunday"])


def test_phone_numbers_normalised_masked_and_keyed() -> None:
    assert {normalise_phone(n) for n in ("06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678")} == {
        "+33612345678"
    }
    with pytest.raises(DomainError):
        normalise_phone("12")
    assert "12 34 56" not in mask_phone("+33 6 12 34 56 78")
    assert (
        phone_key("s", "06 12 34 56 78") == phone_key("s", "+33612345678") != phone_key("t", "+33612345678")
    )


def test_stop_and_start_answers() -> None:
    assert all(is_stop(text) for text in ("STOP", "stop.", " Stop SMS", "ARRÊT", "arret"))
    assert not any(is_stop(text) for text in ("non stop", "je viens", ""))
    assert is_start("START")
    assert not is_start("STOP")


def test_who_may_be_texted() -> None:
    assert may_text(SmsStanding(), has_phone=True, consented=True) is None
    assert may_text(SmsStanding(), has_phone=True, consented=False) == "pas de consentement"
    stopped = SmsStanding(opted_out_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert may_text(stopped, has_phone=True, consented=True) == "la personne a répondu STOP"
    assert may_text(SmsStanding(), has_phone=False, consented=True) == "pas de numéro de téléphone"


def test_signed_links_and_report_addresses() -> None:
    instance_id, delivery_id = uuid.uuid4(), uuid.uuid4()
    token = short_link_token("secret", instance_id)
    assert len(token) == 30
    assert read_short_link("secret", token) == instance_id
    for forged in (
        short_link_token("other", instance_id),
        token[:24] + ("A" if token[24] != "A" else "B") + token[25:],
        "x",
    ):
        with pytest.raises(DomainError):
            read_short_link("secret", forged)
    check_report_signature("secret", delivery_id, report_signature("secret", delivery_id))
    with pytest.raises(DomainError):
        check_report_signature("secret", uuid.uuid4(), report_signature("secret", delivery_id))


def test_the_access_log_never_shows_the_gateway_queries() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/notifications/sms/mo?token=t&from=%2B33612345678&text=STOP", "1.1", 200),
        None,
    )  # fmt: skip
    assert RedactSmsQueries().filter(record)
    assert "612345678" not in record.getMessage()
    assert "token" not in record.getMessage()
    assert "/notifications/sms/mo?<masqué>" in record.getMessage()
