"""Email and iCalendar building: parsed back with the stdlib `email` parser and `icalendar`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import icalendar
import pytest

from conseils_notifications.calendar import feed
from conseils_notifications.domain import read_unsubscribe_token
from conseils_notifications.mail import MailSettings, build_email, french_datetime, sms_text

SETTINGS = MailSettings(
    sender="Conseils citoyens de Plaine Commune <conseils@plainecommune.example>",
    public_base_url="https://conseils.example",
    territory="plaine-commune",
    secret="s3cret",  # noqa: S106 - a test key
)
INSTANCE_ID = uuid.UUID("8d0c1f7e-3b7a-4d5e-9a51-0a1b2c3d4e5f")
MEMBER_ID = uuid.UUID("11111111-2222-3333-4444-555555555555")
SNAPSHOT = {
    "instance_id": str(INSTANCE_ID),
    "title": "Comité technique Emploi",
    "instance_type": "comite-technique",
    "type_name": "Comité technique thématique",
    "theme": "emploi",
    "theme_name": "Emploi, insertion et développement économique",
    "starts_at": "2026-04-14T16:30:00+00:00",  # 18 h 30 in Paris (summer time)
    "ends_at": "2026-04-14T18:30:00+00:00",
    "location": "Mairie de Saint-Denis, salle du conseil",
    "sequence": 2,
    "status": "scheduled",
}


def build(kind: str, **context: object) -> EmailMessage:
    message = build_email(
        SETTINGS,
        delivery_id=uuid.uuid4(),
        kind=kind,
        category="scheduling" if kind != "minutes" else "minutes",
        reason="theme_referent",
        context={"instance": SNAPSHOT, **context},
        member_id=MEMBER_ID,
        display_name="Aïcha Diallo",
        email="aicha.diallo@demo.example",
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> dict[str, EmailMessage]:
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    part = parts(message)["text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def test_invitation_email_has_headers_both_parts_and_a_request_ics() -> None:
    message = build("scheduled")
    assert message["Subject"] == "Nouvelle instance : Comité technique Emploi, mardi 14 avril 2026 à 18 h 30"
    assert message["To"] == "Aïcha Diallo <aicha.diallo@demo.example>"
    assert message["From"].addresses[0].addr_spec == "conseils@plainecommune.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (link.strip().strip("<>") for link in message["List-Unsubscribe"].split(","))
    assert https.startswith("https://conseils.example/notifications/unsubscribe/")
    assert mailto.startswith("mailto:conseils@plainecommune.example?subject=")
    assert read_unsubscribe_token("s3cret", https.rsplit("/", 1)[1]) == (MEMBER_ID, "scheduling")

    assert message.get_content_type() == "multipart/mixed"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "multipart/alternative",
        "text/calendar",
    ]
    found = parts(message)
    text = found["text/plain"].get_content()
    html = found["text/html"].get_content()
    for body in (text, html):
        assert "Bonjour Aïcha Diallo" in body
        assert "Mairie de Saint-Denis, salle du conseil" in body
        assert "référent·e de votre conseil pour cette thématique" in body
        assert f"https://conseils.example/instances/{INSTANCE_ID}" in body
    assert '<html lang="fr">' in html
    assert found["text/calendar"].get_param("method") == "REQUEST"
    assert found["text/calendar"].get_filename() == "invitation.ics"

    ics = calendar_of(message)
    assert ics["METHOD"] == "REQUEST"
    (event,) = ics.walk("VEVENT")
    assert str(event["UID"]) == f"{INSTANCE_ID}@conseils.plaine-commune"
    assert event["SEQUENCE"] == 2
    assert event["SUMMARY"] == "Comité technique Emploi"
    assert event["LOCATION"] == "Mairie de Saint-Denis, salle du conseil"
    assert str(event["URL"]) == f"https://conseils.example/instances/{INSTANCE_ID}"
    assert str(event["ORGANIZER"]) == "mailto:conseils@plainecommune.example"
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute) == (18, 30)
    assert start.astimezone(UTC) == datetime(2026, 4, 14, 16, 30, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2026, 4, 14, 18, 30, tzinfo=UTC)
    (timezone,) = ics.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Paris"
    assert "BEGIN:VTIMEZONE" in parts(message)["text/calendar"].get_content()


def test_cancellation_email_carries_a_cancel_ics_with_the_same_uid() -> None:
    message = build("cancelled", reason_text="Salle indisponible")
    assert message["Subject"].startswith("Instance annulée : Comité technique Emploi")
    assert "Motif : Salle indisponible" in parts(message)["text/plain"].get_content()
    ics = calendar_of(message)
    assert ics["METHOD"] == "CANCEL"
    (event,) = ics.walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"
    assert str(event["UID"]) == f"{INSTANCE_ID}@conseils.plaine-commune"


def test_minutes_email_has_no_invitation() -> None:
    message = build("minutes", summary="Trois projets retenus.")
    assert set(parts(message)) == {"text/plain", "text/html"}
    assert message.get_content_type() == "multipart/alternative"
    assert "Trois projets retenus." in parts(message)["text/html"].get_content()


def test_a_line_break_in_a_title_does_not_break_the_email() -> None:
    """Issue 15 item 7: a title with a line break made every email of the instance fail."""
    title = "Comité technique\r\nBcc: tout-le-monde@example.com"
    message = build_email(
        SETTINGS,
        delivery_id=uuid.uuid4(),
        kind="scheduled",
        category="scheduling",
        reason="theme_referent",
        context={"instance": {**SNAPSHOT, "title": title}},
        member_id=MEMBER_ID,
        display_name="Aïcha Diallo",
        email="aicha.diallo@demo.example",
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None  # no header injected
    assert "Comité technique Bcc: tout-le-monde@example.com" in str(parsed["Subject"])


def test_html_part_escapes_user_supplied_text() -> None:
    message = build("cancelled", reason_text="<script>alert(1)</script>")
    html = parts(message)["text/html"].get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-04-14T16:30:00+00:00", "mardi 14 avril 2026 à 18 h 30"),
        ("2026-01-01T17:00:00+00:00", "jeudi 1er janvier 2026 à 18 h"),
        ("2026-12-05T09:05:00+00:00", "samedi 5 décembre 2026 à 10 h 05"),
    ],
)
def test_french_dates_in_paris_time(value: str, expected: str) -> None:
    assert french_datetime(value) == expected


def test_feed_lists_instances_and_marks_cancelled_ones() -> None:
    other = {**SNAPSHOT, "instance_id": str(uuid.uuid4()), "title": "CLIP Stains", "status": "cancelled"}
    body = feed(
        [SNAPSHOT, other],
        name="Instances — Plaine Commune",
        territory="plaine-commune",
        public_base_url="https://conseils.example",
        organizer=None,
    )
    ics = icalendar.Calendar.from_ical(body)
    assert ics["METHOD"] == "PUBLISH"
    events = {str(e["SUMMARY"]): e for e in ics.walk("VEVENT")}
    assert set(events) == {"Comité technique Emploi", "CLIP Stains"}
    assert events["CLIP Stains"]["STATUS"] == "CANCELLED"
    assert len(ics.walk("VTIMEZONE")) == 1


def test_sms_text_is_short_and_links_the_instance() -> None:
    text = sms_text("reminder", {"instance": SNAPSHOT}, "https://conseils.example")
    assert text.startswith("Rappel : Comité technique Emploi")
    assert text.endswith(f"/instances/{INSTANCE_ID}")


@pytest.mark.parametrize(
    ("kind", "subject", "first_line", "method"),
    [
        (
            "registered",
            "Inscription confirmée : Comité technique Emploi, mardi 14 avril 2026 à 18 h 30",
            "Votre inscription comme participant·e est confirmée :",
            "REQUEST",
        ),
        (
            "waitlisted",
            "Vous êtes sur la liste d'attente (rang 2) : "
            "Comité technique Emploi, mardi 14 avril 2026 à 18 h 30",
            "vous êtes sur la liste d'attente (rang 2) comme participant·e",
            None,
        ),
        (
            "promoted",
            "Une place s'est libérée : vous êtes inscrit·e "
            "(Comité technique Emploi, mardi 14 avril 2026 à 18 h 30)",
            "Une place s'est libérée : vous êtes inscrit·e comme participant·e à l'instance suivante :",
            "REQUEST",
        ),
        (
            "unregistered",
            "Inscription annulée : Comité technique Emploi (mardi 14 avril 2026 à 18 h 30)",
            "Votre inscription à l'instance suivante est annulée :",
            "CANCEL",
        ),
    ],
)
def test_registration_emails_say_what_changed_and_carry_her_calendar_copy(
    kind: str, subject: str, first_line: str, method: str | None
) -> None:
    message = build(kind, mode="participant", position=2)
    assert message["Subject"] == subject
    found = parts(message)
    text = found["text/plain"].get_content()
    assert first_line in text
    assert "None" not in text
    assert "2026-04-14" not in text
    assert "le mardi 14\u00a0avril\u00a02026 à 18\u00a0h\u00a030" in text.lower()  # never split
    if method is None:  # waitlisted: no seat, nothing for her calendar
        assert "text/calendar" not in found
        assert "si une place se libère" in text
        return
    assert found["text/calendar"].get_param("method") == method
    ics = calendar_of(message)
    assert ics["METHOD"] == method
    (event,) = ics.walk("VEVENT")
    assert str(event["UID"]) == f"{INSTANCE_ID}@conseils.plaine-commune"  # the instance's invitations' UID
    assert int(event["SEQUENCE"]) == 2
