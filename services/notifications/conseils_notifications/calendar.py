"""iCalendar (RFC 5545) documents: the invitation attached to an email (iTIP, RFC 5546) and
the calendar feeds (RFC 7986 refresh properties).

Names go into CN as UTF-8 text, quoted by icalendar (RFC 5545 §3.2, RFC 6868 for a `"`),
never as RFC 2047 encoded words; UIDs are `conseils_schemas.instance_uid`, the one scheme of
every producer (this service, the site, the open-data example)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import icalendar

from conseils_runtime.times import as_utc
from conseils_schemas import instance_uid

PRODID = "-//conseils//notifications//FR"
TIMEZONE = "Europe/Paris"
# How often a subscribed feed should be fetched again: RFC 7986 REFRESH-INTERVAL, and the
# older X-PUBLISHED-TTL that Outlook and Apple Calendar read.
FEED_REFRESH = timedelta(hours=1)
FEED_PAST = timedelta(days=60)
"""How long a feed keeps an instance after its start, a cancelled one too (STATUS:CANCELLED):
a subscribed calendar sees the cancellation at its next refresh, whenever it was decided."""


def _calendar_address(name: str, address: str) -> icalendar.vCalAddress:
    """`mailto:` with a CN in plain UTF-8 (a `From` header's RFC 2047 name decoded first)."""
    if "=?" in name:
        name = str(make_header(decode_header(name)))
    value = icalendar.vCalAddress(f"mailto:{address}")
    if name:
        value.params["CN"] = " ".join(name.split())
    return value


def _organizer(sender: str) -> icalendar.vCalAddress:
    return _calendar_address(*parseaddr(sender))


def instance_url(public_base_url: str, instance_id: UUID | str) -> str:
    return f"{public_base_url.rstrip('/')}/instances/{instance_id}"


def vevent(
    snapshot: Mapping[str, Any],
    *,
    territory: str,
    public_base_url: str,
    organizer: str | None,
    cancelled: bool = False,
    stamp: datetime | None = None,
) -> icalendar.Event:
    zone = ZoneInfo(TIMEZONE)
    event = icalendar.Event()
    instance_id = UUID(str(snapshot["instance_id"]))
    event.add("uid", instance_uid(instance_id, territory))
    event.add("sequence", int(snapshot.get("sequence", 0)))
    event.add("dtstamp", stamp or datetime.now(UTC))
    event.add("dtstart", _aware(snapshot["starts_at"]).astimezone(zone))
    event.add("dtend", _aware(snapshot["ends_at"]).astimezone(zone))
    event.add("summary", snapshot["title"])
    event.add("location", snapshot["location"])
    event.add("url", instance_url(public_base_url, instance_id))
    description = snapshot.get("type_name") or ""
    if snapshot.get("theme_name"):
        description = f"{description} — {snapshot['theme_name']}".strip(" —")
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organizer:
        event.add("organizer", _organizer(organizer))
    return event


def _aware(value: Any) -> datetime:
    """A stored instant (datetime or ISO text from a JSON snapshot), aware."""
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


def _calendar(method: str | None, name: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", TIMEZONE)
    if method == "PUBLISH":
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(FEED_REFRESH))
    return calendar


@functools.lru_cache(maxsize=32)
def _vtimezone_ical(tzid: str) -> bytes:
    """The serialised VTIMEZONE of `tzid` (default date range), built once.

    Building and serialising its transitions costs more than the rest of an email, and it
    is the same for every email of a territory.
    """
    try:
        timezone = icalendar.Timezone.from_tzid(tzid)
    except ValueError:
        return b""
    # One RDATE property per onset: icalendar writes them as one comma-separated list, of which
    # Mozilla's ical.js reads only the first value (1977), so it put every summer event of
    # Europe/Paris an hour off. RFC 5545 allows both forms; every client reads this one.
    for onset in timezone.subcomponents:
        rdates = onset.get("RDATE")
        if rdates is None:
            continue
        values = [
            value.dt for item in (rdates if isinstance(rdates, list) else [rdates]) for value in item.dts
        ]
        del onset["RDATE"]
        for value in values:
            onset.add("rdate", value)
    return bytes(timezone.to_ical())


def _to_ical(calendar: icalendar.Calendar) -> bytes:
    """`calendar.add_missing_timezones(); calendar.to_ical()`, with the VTIMEZONEs from the cache.

    Same bytes: the timezones go where `add_missing_timezones` puts them, before the first
    component (a folded property line never starts with `BEGIN:`, so the first `\\r\\nBEGIN:`
    after the calendar's own is the first component).
    """
    assert not calendar.timezones, "calendars here carry no VTIMEZONE of their own"
    timezones = b"".join(_vtimezone_ical(tzid) for tzid in calendar.get_missing_tzids())
    body = bytes(calendar.to_ical())
    if not timezones:
        return body
    position = body.find(b"\r\nBEGIN:", len(b"BEGIN:VCALENDAR"))
    if position < 0:
        position = body.rindex(b"END:VCALENDAR")
    else:
        position += 2
    return body[:position] + timezones + body[position:]


def invitation(
    snapshot: Mapping[str, Any],
    *,
    method: Literal["REQUEST", "CANCEL"],
    territory: str,
    public_base_url: str,
    organizer: str,
    attendee: tuple[str, str] | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """An iTIP message (RFC 5546) for one instance: REQUEST creates or updates, CANCEL removes.

    `attendee` is (display name, address); the calendar's METHOD is the one the caller puts
    in the MIME `method=` parameter of its text/calendar part.
    """
    calendar = _calendar(method)
    event = vevent(
        snapshot,
        territory=territory,
        public_base_url=public_base_url,
        organizer=organizer,
        cancelled=method == "CANCEL",
        stamp=stamp,
    )
    if attendee:
        name, address = attendee
        participant = _calendar_address(name or address, address)
        participant.params["ROLE"] = "OPT-PARTICIPANT"
        participant.params["RSVP"] = "FALSE"
        event.add("attendee", participant)
    calendar.add_component(event)
    return _to_ical(calendar)


def feed(
    snapshots: Iterable[Mapping[str, Any]],
    *,
    name: str,
    territory: str,
    public_base_url: str,
    organizer: str | None,
) -> bytes:
    """A subscribable calendar (METHOD:PUBLISH); cancelled instances stay, marked CANCELLED."""
    calendar = _calendar("PUBLISH", name)
    for snapshot in snapshots:
        calendar.add_component(
            vevent(
                snapshot,
                territory=territory,
                public_base_url=public_base_url,
                organizer=organizer,
                cancelled=snapshot.get("status") == "cancelled",
            )
        )
    return _to_ical(calendar)
