"""The calendar documents parsed back with icalendar: feeds tell subscribers how often to
refresh (RFC 7986 REFRESH-INTERVAL and X-PUBLISHED-TTL), invitations do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar

from conseils_notifications import calendar

SNAPSHOT: dict[str, Any] = {
    "instance_id": "00000000-0000-0000-0000-00000000000a",
    "title": "Comité technique — Emploi",
    "location": "Maison de quartier",
    "starts_at": "2026-12-22T17:30:00+00:00",
    "ends_at": "2026-12-22T19:30:00+00:00",
    "sequence": 2,
    "status": "scheduled",
}


def _feed() -> icalendar.Calendar:
    body = calendar.feed(
        [SNAPSHOT],
        name="Instances — Plaine Commune",
        territory="plaine-commune",
        public_base_url="https://conseils.example.org",
        organizer="Conseils <conseils@example.org>",
    )
    return icalendar.Calendar.from_ical(body)


def test_feed_carries_refresh_interval_and_published_ttl() -> None:
    parsed = _feed()
    refresh = parsed["REFRESH-INTERVAL"]
    assert refresh.dt == timedelta(hours=1)
    assert refresh.params["VALUE"] == "DURATION"
    assert icalendar.vDuration.from_ical(str(parsed["X-PUBLISHED-TTL"])) == timedelta(hours=1)
    assert parsed["METHOD"] == "PUBLISH"


def test_feed_lines_are_the_rfc_ones() -> None:
    body = calendar.feed(
        [],
        name="Mes instances",
        territory="plaine-commune",
        public_base_url="https://conseils.example.org",
        organizer=None,
    )
    lines = body.decode().split("\r\n")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines


def test_feed_event_keeps_its_instant() -> None:
    (event,) = _feed().walk("VEVENT")
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2026, 12, 22, 17, 30, tzinfo=UTC)
    assert event["UID"] == "00000000-0000-0000-0000-00000000000a@conseils.plaine-commune"
    assert event["SEQUENCE"] == 2


def test_invitation_has_no_refresh_properties() -> None:
    body = calendar.invitation(
        SNAPSHOT,
        method="REQUEST",
        territory="plaine-commune",
        public_base_url="https://conseils.example.org",
        organizer="Conseils <conseils@example.org>",
    )
    parsed = icalendar.Calendar.from_ical(body)
    assert "REFRESH-INTERVAL" not in parsed
    assert "X-PUBLISHED-TTL" not in parsed
