"""Open data of a territory's instances: one agenda entry per instance, kept from the facts of
``meetings.instances``, and its two public forms, schema.org ``Event`` JSON-LD and CSV.

Pure functions, no framework and no I/O: the platform's site and the third-party example
(``examples/open_data_agenda``) apply the same facts by the same rules and publish the same
files. The entry keeps what no API keeps: every earlier start date of a rescheduled
instance (schema.org ``previousStartDate``). Only public data: titles, dates, places,
councils' public names, counts; never a member id or a person's name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .calendar import instance_uid
from .envelope import format_time
from .events import (
    AttendanceRecorded,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    InstanceUpdated,
    MinutesPublished,
)

__all__ = [
    "CSV_HEADERS",
    "HANDLED",
    "HANDLED_TYPES",
    "AgendaEntry",
    "CouncilAttendance",
    "Publisher",
    "agenda_csv",
    "agenda_jsonld",
    "apply",
    "event_jsonld",
]

HANDLED: tuple[type[Event], ...] = (
    InstanceScheduled,
    InstanceRescheduled,
    InstanceCancelled,
    InstanceHeld,
    InstanceUpdated,
    DossierPublished,
    MinutesPublished,
    AttendanceRecorded,
)
HANDLED_TYPES = frozenset(model.event_type for model in HANDLED)
SCHEMA_ORG = "https://schema.org"
Status = Literal["scheduled", "cancelled", "held"]
STATUS_LABELS = {
    "scheduled": "programmée",
    "rescheduled": "déplacée",
    "cancelled": "annulée",
    "held": "tenue",
}


@dataclass(frozen=True)
class CouncilAttendance:
    """How many of a council's convened members were present (counts only, never who)."""

    council_id: str
    present: int
    convened: int


@dataclass(frozen=True)
class AgendaEntry:
    """What the open data says about one instance."""

    instance_id: str
    status: Status
    sequence: int
    title: str
    instance_type: str
    scope: str
    starts_at: datetime
    ends_at: datetime
    location: str
    is_political: bool
    is_evening: bool
    updated_at: datetime
    theme: str | None = None
    city_code: str | None = None
    council_ids: tuple[str, ...] = ()
    observers_allowed: bool = True
    timezone: str | None = None
    time_slot: str | None = None
    description: str | None = None
    previous_starts_at: tuple[datetime, ...] = ()
    cancellation_reason: str | None = None
    dossier_version: int | None = None
    dossier_published_at: datetime | None = None
    dossier_notice_days: float | None = None
    minutes_published_at: datetime | None = None
    present_count: int | None = None
    attendance: tuple[CouncilAttendance, ...] = field(default=())

    @property
    def outside_working_hours(self) -> bool:
        """Evening or weekend, as the platform computed it in local time."""
        if self.time_slot is not None:
            return self.time_slot != "working_hours"
        return self.is_evening

    def as_json(self) -> dict[str, Any]:
        """A JSON object (UTC times with ``Z``); :meth:`from_json` reads it back."""
        times = {"starts_at", "ends_at", "updated_at", "dossier_published_at", "minutes_published_at"}
        document: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name in times:
                value = format_time(value) if value is not None else None
            elif name == "previous_starts_at":
                value = [format_time(moment) for moment in value]
            elif name == "attendance":
                value = [vars(council) for council in value]
            elif name == "council_ids":
                value = list(value)
            document[name] = value
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> AgendaEntry:
        values = {name: document[name] for name in cls.__dataclass_fields__ if name in document}
        for name in ("starts_at", "ends_at", "updated_at", "dossier_published_at", "minutes_published_at"):
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        values["previous_starts_at"] = tuple(
            datetime.fromisoformat(moment) for moment in values.get("previous_starts_at", ())
        )
        values["council_ids"] = tuple(values.get("council_ids", ()))
        values["attendance"] = tuple(CouncilAttendance(**council) for council in values.get("attendance", ()))
        return cls(**values)


def apply(entry: AgendaEntry | None, event: Event, at: datetime) -> AgendaEntry | None:
    """The entry after ``event`` (which happened at ``at``, its ``ce_time``); None when it changes
    nothing: an event of another kind, a duplicate, an older change, an instance never scheduled.
    An older change never undoes a newer one (``sequence``), so a redelivery is harmless."""
    if isinstance(event, InstanceScheduled):
        if _stale(entry, event.sequence):
            return None
        return _changed(entry, _scheduled(event, entry), at)
    if entry is None:
        return None
    return _changed(entry, _applied(entry, event), at)


def _changed(entry: AgendaEntry | None, new: AgendaEntry | None, at: datetime) -> AgendaEntry | None:
    if new is None or (entry is not None and replace(new, updated_at=entry.updated_at) == entry):
        return None
    return replace(new, updated_at=at)


def _applied(entry: AgendaEntry, event: Event) -> AgendaEntry | None:
    match event:
        case InstanceRescheduled() if not _stale(entry, event.sequence):
            earlier = [*entry.previous_starts_at, event.previous_starts_at, entry.starts_at]
            return replace(
                entry,
                status="scheduled",
                sequence=event.sequence,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                location=event.location,
                title=event.title or entry.title,
                timezone=event.timezone or entry.timezone,
                time_slot=event.time_slot or entry.time_slot,
                previous_starts_at=_earlier(earlier, event.starts_at),
            )
        case InstanceCancelled() if not _stale(entry, event.sequence):
            return replace(
                entry, status="cancelled", sequence=event.sequence, cancellation_reason=event.reason
            )
        case InstanceHeld() if entry.status == "scheduled":
            return replace(entry, status="held")
        case InstanceUpdated():
            return replace(entry, title=event.title, theme=event.theme, description=event.description)
        case DossierPublished() if (entry.dossier_version or 0) <= event.dossier_version:
            return replace(
                entry,
                dossier_version=event.dossier_version,
                dossier_published_at=event.published_at,
                dossier_notice_days=event.notice_days,
            )
        case MinutesPublished():
            return replace(entry, minutes_published_at=event.published_at)
        case AttendanceRecorded():
            present = {str(member) for member in event.present_member_ids}
            councils = tuple(
                CouncilAttendance(
                    str(council.council_id),
                    len(present & {str(member) for member in council.member_ids}),
                    len(council.member_ids),
                )
                for council in event.convened or ()
            )
            return replace(entry, present_count=len(present), attendance=councils)
    return None  # other types, replays of older changes


def _earlier(moments: Iterable[datetime], current: datetime) -> tuple[datetime, ...]:
    """The earlier start dates, in the order they were left, once each, without the current one."""
    kept: list[datetime] = []
    for moment in moments:
        if moment != current and moment not in kept:
            kept.append(moment)
    return tuple(kept)


def _scheduled(event: InstanceScheduled, entry: AgendaEntry | None) -> AgendaEntry:
    previous = _earlier([*entry.previous_starts_at, entry.starts_at], event.starts_at) if entry else ()
    kept: dict[str, Any] = {}
    if entry is not None:  # a new schedule (higher sequence) keeps what came from other facts
        kept = {
            name: getattr(entry, name)
            for name in (
                "description",
                "dossier_version",
                "dossier_published_at",
                "dossier_notice_days",
                "minutes_published_at",
                "present_count",
                "attendance",
            )
        }
    return AgendaEntry(
        instance_id=str(event.instance_id),
        status="scheduled",
        sequence=event.sequence,
        title=event.title,
        instance_type=event.instance_type,
        scope=event.scope,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=event.location,
        is_political=event.is_political,
        is_evening=event.is_evening,
        updated_at=event.starts_at,  # set by apply
        theme=event.theme,
        city_code=event.city_code,
        council_ids=tuple(str(council) for council in event.council_ids),
        observers_allowed=event.observers_allowed,
        timezone=event.timezone,
        time_slot=event.time_slot,
        previous_starts_at=previous,
        **kept,
    )


def _stale(entry: AgendaEntry | None, sequence: int) -> bool:
    """Idempotence by (instance id, sequence): older changes never undo newer ones."""
    if entry is None:
        return False
    return sequence < entry.sequence or (sequence == entry.sequence and entry.status != "scheduled")


# --------------------------------------------------------------------------- publishing


@dataclass(frozen=True)
class Publisher:
    """Who publishes, and the public names the facts only give as codes or ids."""

    territory: str
    territory_name: str
    base_url: str
    timezone: str = "Europe/Paris"
    cities: Mapping[str, str] = field(default_factory=dict)
    councils: Mapping[str, str] = field(default_factory=dict)
    instance_types: Mapping[str, str] = field(default_factory=dict)
    themes: Mapping[str, str] = field(default_factory=dict)
    page_path: str = "/donnees-ouvertes"

    def instance_url(self, instance_id: str) -> str:
        """A public address of the instance: its line on the open-data page."""
        return f"{self.base_url.rstrip('/')}{self.page_path}#instance-{instance_id}"

    def local(self, entry: AgendaEntry, moment: datetime) -> str:
        """ISO 8601 with the territory's offset, e.g. ``2026-03-10T19:30:00+01:00``."""
        return moment.astimezone(ZoneInfo(entry.timezone or self.timezone)).isoformat()

    def council_names(self, entry: AgendaEntry) -> list[str]:
        return [self.councils.get(council, council) for council in entry.council_ids]


def event_status(entry: AgendaEntry) -> str:
    if entry.status == "cancelled":
        return f"{SCHEMA_ORG}/EventCancelled"
    if entry.previous_starts_at:
        return f"{SCHEMA_ORG}/EventRescheduled"
    return f"{SCHEMA_ORG}/EventScheduled"


def event_jsonld(entry: AgendaEntry, publisher: Publisher) -> dict[str, Any]:
    """One schema.org ``Event`` (without ``@context``: :func:`agenda_jsonld` puts it once)."""
    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": "FR"}
    if entry.city_code:
        address["addressLocality"] = publisher.cities.get(entry.city_code, entry.city_code)
    kind = publisher.instance_types.get(entry.instance_type, entry.instance_type)
    keywords = [kind] + ([publisher.themes.get(entry.theme, entry.theme)] if entry.theme else [])
    event: dict[str, Any] = {
        "@type": "Event",
        "@id": publisher.instance_url(entry.instance_id),
        "identifier": instance_uid(entry.instance_id, publisher.territory),
        "name": entry.title,
        "startDate": publisher.local(entry, entry.starts_at),
        "endDate": publisher.local(entry, entry.ends_at),
        "eventStatus": event_status(entry),
        "eventAttendanceMode": f"{SCHEMA_ORG}/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": entry.location, "address": address},
        "organizer": {"@type": "Organization", "name": publisher.territory_name, "url": publisher.base_url},
        "url": publisher.instance_url(entry.instance_id),
        "isAccessibleForFree": True,
        "inLanguage": "fr",
        "keywords": keywords,
    }
    if entry.previous_starts_at:
        event["previousStartDate"] = [publisher.local(entry, moment) for moment in entry.previous_starts_at]
    if entry.description:
        event["description"] = entry.description
    if entry.council_ids:
        event["audience"] = [{"@type": "Audience", "name": name} for name in publisher.council_names(entry)]
    return event


def agenda_jsonld(entries: Iterable[AgendaEntry], publisher: Publisher) -> dict[str, Any]:
    """The whole agenda: ``{"@context": "https://schema.org", "@graph": [Event, ...]}`` by date."""
    return {
        "@context": SCHEMA_ORG,
        "@graph": [event_jsonld(entry, publisher) for entry in _by_date(entries)],
    }


CSV_HEADERS = (
    "identifiant",
    "titre",
    "type d'instance",
    "thème",
    "statut",
    "début",
    "fin",
    "dates de début précédentes",
    "lieu",
    "commune",
    "code INSEE",
    "conseils concernés",
    "hors horaires de travail",
    "instance politique",
    "observateurs admis",
    "dossier publié le",
    "délai du dossier (jours)",
    "compte rendu publié le",
    "présents",
    "présents par conseil",
    "motif d'annulation",
    "adresse",
    "mis à jour le",
)


def agenda_csv(entries: Iterable[AgendaEntry], publisher: Publisher) -> str:
    """RFC 4180 CSV, one row per instance by date, French headers; every cell that a spreadsheet
    would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) starts with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for entry in _by_date(entries):
        writer.writerow([_cell(value) for value in _row(entry, publisher)])
    return out.getvalue()


def _row(entry: AgendaEntry, publisher: Publisher) -> list[object]:
    status = "rescheduled" if entry.status == "scheduled" and entry.previous_starts_at else entry.status
    councils = dict(zip(entry.council_ids, publisher.council_names(entry), strict=True))
    per_council = " ; ".join(
        f"{councils.get(c.council_id) or publisher.councils.get(c.council_id, c.council_id)} : "
        f"{c.present}/{c.convened}"
        for c in entry.attendance
    )
    local = publisher.local
    return [
        entry.instance_id,
        entry.title,
        publisher.instance_types.get(entry.instance_type, entry.instance_type),
        publisher.themes.get(entry.theme, entry.theme) if entry.theme else "",
        STATUS_LABELS[status],
        local(entry, entry.starts_at),
        local(entry, entry.ends_at),
        " ; ".join(local(entry, moment) for moment in entry.previous_starts_at),
        entry.location,
        publisher.cities.get(entry.city_code, entry.city_code) if entry.city_code else "",
        entry.city_code or "",
        " ; ".join(publisher.council_names(entry)),
        _yes(entry.outside_working_hours),
        _yes(entry.is_political),
        _yes(entry.observers_allowed),
        local(entry, entry.dossier_published_at) if entry.dossier_published_at else "",
        f"{entry.dossier_notice_days:.1f}" if entry.dossier_notice_days is not None else "",
        local(entry, entry.minutes_published_at) if entry.minutes_published_at else "",
        entry.present_count if entry.present_count is not None else "",
        per_council,
        entry.cancellation_reason or "",
        publisher.instance_url(entry.instance_id),
        local(entry, entry.updated_at),
    ]


def _yes(value: bool) -> str:
    return "oui" if value else "non"


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _by_date(entries: Iterable[AgendaEntry]) -> list[AgendaEntry]:
    return sorted(entries, key=lambda entry: (entry.starts_at, entry.instance_id))
