"""Issue 16 items 2 and 7: the invitations and feeds read by a second, independent parser, Mozilla's
ical.js (Thunderbird's), run with Node.js from tools/ical-check, besides icalendar: accented
names in CN read as the name (not `=?utf-8?q?…?=`), METHOD equal to the MIME `method=`
parameter, one UID scheme, the feed's refresh properties, cancelled instances kept."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any

import icalendar
import pytest

from conseils_notifications.calendar import FEED_PAST, feed
from conseils_notifications.mail import MailSettings, build_email
from conseils_runtime.mail import wire_bytes
from conseils_schemas import instance_uid

from .test_mail import INSTANCE_ID, MEMBER_ID, SNAPSHOT
from .test_mail_wire import KINDS

TOOL = Path(__file__).resolve().parents[2] / "tools" / "ical-check"
ATTENDEE = "Aïcha Ben Saïd-Diallo"
ORGANIZER = "Conseils citoyens de l'Île-Saint-Denis, « Plaine Commune »"
# As a From header writes it (RFC 2047 words, quoted): the CN must still read the name.
SENDER = formataddr((ORGANIZER, "conseils@plainecommune.example"))


def ical_js(tmp_path: Path, documents: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node, "Node.js is needed to run ical.js (scripts/setup.sh)"
    assert npm, "npm is needed to install ical.js (scripts/setup.sh)"
    if not (TOOL / "node_modules" / "ical.js").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOL, check=True)
    paths = []
    for name, body in documents.items():
        path = tmp_path / f"{name}.ics"
        path.write_bytes(body)
        paths.append(str(path))
    result = subprocess.run(
        [node, "check.mjs", *paths], cwd=TOOL, capture_output=True, text=True, check=False, timeout=60
    )
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == len(documents), result.stderr
    return {Path(report["file"]).stem: report for report in reports}


def invitation_email(kind: str) -> bytes:
    settings = MailSettings(
        sender=SENDER,
        public_base_url="https://conseils.example",
        territory="plaine-commune",
        secret="s",  # noqa: S106 - a test key
    )
    message = build_email(
        settings,
        delivery_id=uuid.uuid4(),
        kind=kind,
        category="scheduling",
        reason="theme_referent",
        context={"instance": SNAPSHOT, **KINDS[kind]},
        member_id=MEMBER_ID,
        display_name=ATTENDEE,
        email="aicha.diallo@demo.example",
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    return wire_bytes(message)


def calendar_part(data: bytes) -> tuple[str, bytes]:
    """The raw Content-Type of the text/calendar part, and its decoded body."""
    content_type = re.search(rb"\r\nContent-Type: (text/calendar;[^\r]*(?:\r\n[ \t][^\r]*)*)", data)
    assert content_type, "no text/calendar part"
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    (part,) = (p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    body = part.get_payload(decode=True)
    assert isinstance(body, bytes)
    return content_type.group(1).decode().replace("\r\n", ""), body


@pytest.mark.parametrize(
    ("kind", "method"),
    [("scheduled", "REQUEST"), ("rescheduled", "REQUEST"), ("registered", "REQUEST"), ("cancelled", "CANCEL"),
     ("unregistered", "CANCEL")],
)  # fmt: skip
def test_invitations_read_by_ical_js_and_icalendar(tmp_path: Path, kind: str, method: str) -> None:
    content_type, body = calendar_part(invitation_email(kind))
    assert re.search(rf'\bmethod="?{method}"?(;|$)', content_type), content_type
    assert "=?" not in body.decode()  # no RFC 2047 word anywhere in the calendar
    report = ical_js(tmp_path, {"invitation": body})["invitation"]
    assert report["parsed"], report
    assert report["method"] == method  # METHOD equals the MIME method parameter
    (event,) = report["events"]
    assert event["uid"] == instance_uid(INSTANCE_ID, "plaine-commune")
    assert event["status"] == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    assert event["sequence"] == 2
    assert event["start"] == "2026-04-14T16:30:00.000Z"
    assert event["timezone"] == "Europe/Paris"
    assert event["organizer"] == {
        "value": "mailto:conseils@plainecommune.example",
        "cn": ORGANIZER,
        "role": None,
    }
    assert event["attendees"] == [
        {"value": "mailto:aicha.diallo@demo.example", "cn": ATTENDEE, "role": "OPT-PARTICIPANT"}
    ]
    # icalendar reads the same.
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert vevent["ATTENDEE"].params["CN"] == ATTENDEE
    assert vevent["ORGANIZER"].params["CN"] == ORGANIZER


def test_a_quote_in_a_name_does_not_break_the_parameter(tmp_path: Path) -> None:
    from conseils_notifications.calendar import invitation

    body = invitation(
        SNAPSHOT,
        method="REQUEST",
        territory="plaine-commune",
        public_base_url="https://conseils.example",
        organizer=SENDER,
        attendee=('Aïcha "la Présidente"; Diallo: x', "a@demo.example"),
    )
    (event,) = ical_js(tmp_path, {"quoted": body})["quoted"]["events"]
    assert event["attendees"][0]["cn"] == 'Aïcha "la Présidente"; Diallo: x'  # RFC 6868 ^'


def test_feeds_read_by_ical_js_keep_cancelled_instances_and_say_when_to_refresh(tmp_path: Path) -> None:
    cancelled = {**SNAPSHOT, "instance_id": str(uuid.uuid4()), "title": "CLIP Stains", "status": "cancelled"}
    winter = {
        **SNAPSHOT,
        "instance_id": str(uuid.uuid4()),
        "title": "Copil",
        "starts_at": "2026-12-22T17:30:00+00:00",
        "ends_at": "2026-12-22T19:30:00+00:00",
    }
    body = feed(
        [SNAPSHOT, cancelled, winter],
        name="Instances — Plaine Commune",
        territory="plaine-commune",
        public_base_url="https://conseils.example",
        organizer=SENDER,
    )
    report = ical_js(tmp_path, {"feed": body})["feed"]
    assert report["method"] == "PUBLISH"
    assert report["refresh_interval"] == "PT1H"
    assert report["published_ttl"] == "PT1H"
    assert report["timezones"] == ["Europe/Paris"]
    events = {event["summary"]: event for event in report["events"]}
    assert events["CLIP Stains"]["status"] == "CANCELLED"
    assert events["CLIP Stains"]["uid"] == instance_uid(cancelled["instance_id"], "plaine-commune")
    assert events["Comité technique Emploi"]["status"] == "CONFIRMED"
    assert events["Comité technique Emploi"]["organizer"]["cn"] == ORGANIZER
    # Summer and winter time from the VTIMEZONE: ical.js once read every summer event an hour off.
    assert events["Comité technique Emploi"]["start"] == "2026-04-14T16:30:00.000Z"
    assert events["Copil"]["start"] == "2026-12-22T17:30:00.000Z"
    assert FEED_PAST.days == 60  # the stated time: 60 days after its start (docs, notifications README)
