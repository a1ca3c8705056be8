"""Every email the platform sends (each kind, each reason it is sent for, the subject, the
plain text and the HTML), rendered from its Jinja templates with fixtures, reads as French:
no ISO date, no "None", no raw status code, no English word, no double punctuation, no "(s)"
plural, no "1 observateur·rices" (tests/support/french_text.py)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conseils_notifications.alert_mailer import build_alert_email
from conseils_notifications.alert_rules import AlertState
from conseils_notifications.domain import REASON_LABELS
from conseils_notifications.mail import render
from conseils_notifications.records import StaffAlertMailRecord, StaffAlertRecord, StaffAlertView
from tests.notifications.test_mail import MEMBER_ID, SETTINGS, SNAPSHOT
from tests.notifications.test_mail_wire import KINDS
from tests.support.french_text import problems, visible

TEMPLATES = Path(__file__).parents[2] / "services/notifications/conseils_notifications/templates"
INSTANCE = {**SNAPSHOT, "observers_allowed": True, "registration_closes_at": "2026-04-13T16:30:00+00:00"}
MOVED = {"previous_starts_at": "2026-04-10T16:30:00+00:00", "previous_location": "Bourse du travail"}
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONTEXTS = {
    **KINDS,
    "rescheduled": MOVED,
    "waitlisted": {"mode": "observer", "position": 1},
    "promoted": {"mode": "observer"},
    "digest": {
        "items": [{"kind": "dossier", "subject": "Dossier disponible", "instance_id": str(uuid.uuid4())}]
    },
}


def test_the_checker_catches_what_it_must() -> None:
    for bad in (
        "le 2026-10-15",
        "rang None",
        "observer;confirmed",
        "citoyens..",
        "1 observateur·rices",
        "0 jours",
    ):
        assert problems(bad), bad
    assert problems("conseiller(s) présent(s)")
    assert not problems("mardi 15 octobre 2026 à 18 h 30, 1 fois, 2 observateur·rices.")


def test_every_email_template_is_covered() -> None:
    assert {path.name for path in TEMPLATES.iterdir()} == {
        "email.txt.j2",
        "email.html.j2",
        "staff-alert.txt.j2",  # test_every_staff_alert_email_reads_as_french
        "staff-alert.html.j2",
    }


@pytest.mark.parametrize("source", ["alert:urgente", "digest:2026-03-02"])
def test_every_staff_alert_email_reads_as_french(source: str) -> None:
    views = [
        StaffAlertView(
            StaffAlertRecord(
                uuid.uuid4(), kind, uuid.uuid4(), "« Comité technique Emploi » : à vérifier.", NOW
            ),
            state,
        )
        for kind, state in (
            ("dossier_late", AlertState()),
            ("council_over_quota", AlertState(acknowledged_by=uuid.uuid4(), acknowledged_at=NOW)),
            ("webhook_failed", AlertState()),  # no page to link: none in the email
        )
    ]
    mail = StaffAlertMailRecord(uuid.uuid4(), source, "agent@plainecommune.example", [], "pending", 0)
    message = build_alert_email(SETTINGS, mail, views, name="Camille Martin", territory_name="Plaine Commune")
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    for part, content in (
        ("objet", str(message["Subject"])),
        ("texte", text.get_content()),
        ("html", visible(html.get_content())),
    ):
        assert problems(content) == [], (source, part)


@pytest.mark.parametrize(("kind", "reason"), list(itertools.product(CONTEXTS, [*REASON_LABELS, ""])))
def test_every_email_reads_as_french(kind: str, reason: str) -> None:
    context = {"instance": INSTANCE, **CONTEXTS[kind]} if kind != "digest" else CONTEXTS[kind]
    rendered = render(
        SETTINGS,
        kind=kind,
        category="scheduling",
        reason=reason,
        context=context,
        member_id=MEMBER_ID,
        display_name="Aïcha Diallo",
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    for part, text in (
        ("objet", rendered.subject),
        ("texte", rendered.text),
        ("html", visible(rendered.html)),
    ):
        assert problems(text) == [], (kind, reason, part)
