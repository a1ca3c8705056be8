"""Calendar links of the site: the addresses of the notifications service's feeds (as the
site publishes them, under /notifications/feeds/), in https and webcal, and the one-event
iCalendar file behind "Ajouter à mon agenda" on an instance page.

The site does not import the services (import-linter): the event is built here with the
icalendar library, with the same UID as the invitations and feeds of the notifications
service (`<instance id>@conseils.<territory>`), so a calendar updates the event instead of
duplicating it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import icalendar

from conseils_runtime.times import as_utc
from conseils_web import frenchdates

PRODID = "-//conseils//site//FR"
FEEDS = "/notifications/feeds"


@dataclass(frozen=True)
class FeedLink:
    """One calendar feed: what it holds, its https address, the same address in webcal://
    (which phones and desktop calendars open as a subscription)."""

    label: str
    https: str
    webcal: str


def webcal(url: str) -> str:
    """Same host and path, webcal scheme."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url.removeprefix(scheme)
    return url


def feed_link(public_base_url: str, label: str, path: str) -> FeedLink:
    url = f"{public_base_url.rstrip('/')}{path}"
    return FeedLink(label=label, https=url, webcal=webcal(url))


def personal_feed_link(url: str) -> FeedLink:
    return FeedLink(label="Mon agenda personnel", https=url, webcal=webcal(url))


def territory_feed(public_base_url: str, territory_name: str) -> FeedLink:
    return feed_link(public_base_url, f"Toutes les instances — {territory_name}", f"{FEEDS}/agenda.ics")


def council_feed(public_base_url: str, council_id: object, name: str = "Mon conseil citoyen") -> FeedLink:
    return feed_link(public_base_url, name, f"{FEEDS}/councils/{council_id}.ics")


def theme_feed(public_base_url: str, slug: str, name: str) -> FeedLink:
    return feed_link(public_base_url, f"Thématique « {name} »", f"{FEEDS}/themes/{slug}.ics")


def ical_uid(instance_id: object, territory: str) -> str:
    """The notifications service's UID of an instance (its `domain.ical_uid`)."""
    return f"{instance_id}@conseils.{territory}"


def _utc(value: str | datetime) -> datetime:
    """An instant of the API (aware ISO text; naive means UTC), in UTC."""
    return as_utc(frenchdates.parse_iso(value)).astimezone(UTC)


def instance_ics(
    instance: Mapping[str, Any],
    *,
    territory: str,
    public_base_url: str,
    stamp: datetime | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT for an instance of the meetings API, times in UTC."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", ical_uid(instance["id"], territory))
    event.add("dtstamp", _utc(stamp or datetime.now(UTC)))
    event.add("dtstart", _utc(instance["starts_at"]))
    event.add("dtend", _utc(instance["ends_at"]))
    event.add("sequence", int(instance.get("sequence") or 0))
    event.add("summary", str(instance["title"]))
    event.add("location", str(instance.get("location") or ""))
    event.add("url", f"{public_base_url.rstrip('/')}/instances/{instance['id']}")
    event.add("status", "CANCELLED" if instance.get("status") == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
