"""The open-data rules of the contract (`conseils_schemas.open_data`): facts applied to an agenda
entry, the schema.org Event JSON-LD and the CSV. pyld is not installed and there is no network,
so the JSON-LD is checked as JSON against what schema.org and Google's Event documentation ask
(types, ISO 8601 dates with the Paris offset, eventStatus URLs), not expanded by a processor."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

from conseils_schemas import open_data
from conseils_schemas.events import (
    AttendanceRecorded,
    ConvenedCouncil,
    DossierPublished,
    InstanceCancelled,
    InstanceRescheduled,
    InstanceScheduled,
    InstanceUpdated,
)

INSTANCE = uuid.UUID("6f1c2b1e-7d3a-4c55-9a0e-2f4b8c1d9e01")
COUNCIL = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
STARTS = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)  # 18:30 in Paris (winter time)
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
PUBLISHER = open_data.Publisher(
    territory="plaine-commune",
    territory_name="Plaine Commune",
    base_url="https://conseils.example",
    cities={"93066": "Saint-Denis"},
    councils={str(COUNCIL): "Conseil citoyen Franc-Moisin"},
    instance_types={"comite-technique": "Comité technique"},
    themes={"emploi": "Emploi"},
)


def scheduled(title: str = "Comité technique Emploi", sequence: int = 0) -> InstanceScheduled:
    return InstanceScheduled(
        instance_id=INSTANCE,
        instance_type="comite-technique",
        title=title,
        theme="emploi",
        city_code="93066",
        council_ids=[COUNCIL],
        scope="theme",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        location="Maison de quartier Franc-Moisin",
        is_political=False,
        is_evening=True,
        sequence=sequence,
        time_slot="weekday_evening",
    )


def moved(sequence: int, days: int, previous: datetime) -> InstanceRescheduled:
    return InstanceRescheduled(
        instance_id=INSTANCE,
        starts_at=STARTS + timedelta(days=days),
        ends_at=STARTS + timedelta(days=days, hours=2),
        location="Bourse du travail",
        previous_starts_at=previous,
        sequence=sequence,
    )


def run(*events: object) -> open_data.AgendaEntry | None:
    entry = None
    for minute, event in enumerate(events):
        entry = open_data.apply(entry, event, T0 + timedelta(minutes=minute)) or entry  # type: ignore[arg-type]
    return entry


def test_two_reschedules_keep_every_earlier_start_and_a_redelivery_changes_nothing() -> None:
    first = moved(1, 7, STARTS)
    entry = run(scheduled(), first, moved(2, 14, STARTS + timedelta(days=7)))
    assert entry is not None
    assert entry.previous_starts_at == (STARTS, STARTS + timedelta(days=7))
    assert open_data.apply(entry, first, T0 + timedelta(days=1)) is None  # older: ignored
    assert open_data.apply(entry, scheduled(), T0 + timedelta(days=1)) is None
    event = open_data.event_jsonld(entry, PUBLISHER)
    assert event["eventStatus"] == "https://schema.org/EventRescheduled"
    assert event["previousStartDate"] == ["2026-03-10T18:30:00+01:00", "2026-03-17T18:30:00+01:00"]
    assert event["startDate"] == "2026-03-24T18:30:00+01:00"


def test_the_json_ld_is_a_schema_org_graph_of_events() -> None:
    cancelled = InstanceCancelled(instance_id=INSTANCE, reason="Salle indisponible", sequence=1)
    scheduled_only = run(scheduled())
    assert scheduled_only is not None
    other = open_data.AgendaEntry.from_json(
        {**scheduled_only.as_json(), "instance_id": str(uuid.uuid4()), "starts_at": "2026-06-02T16:00:00Z"}
    )
    cancelled_entry = run(scheduled(), cancelled)
    assert cancelled_entry is not None
    document = json.loads(json.dumps(open_data.agenda_jsonld([other, cancelled_entry], PUBLISHER)))
    assert document["@context"] == "https://schema.org"
    first, second = document["@graph"]
    assert first["eventStatus"] == "https://schema.org/EventCancelled"
    assert second["eventStatus"] == "https://schema.org/EventScheduled"
    assert second["startDate"] == "2026-06-02T18:00:00+02:00"  # summer time
    for event in (first, second):
        assert event["@type"] == "Event"
        assert event["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
        datetime.fromisoformat(event["startDate"]).utcoffset()  # ISO 8601 with an offset
        assert datetime.fromisoformat(event["endDate"]).tzinfo is not None
        assert event["location"]["@type"] == "Place"
        assert event["location"]["address"] == {
            "@type": "PostalAddress",
            "addressCountry": "FR",
            "addressLocality": "Saint-Denis",
        }
        assert event["organizer"] == {
            "@type": "Organization",
            "name": "Plaine Commune",
            "url": "https://conseils.example",
        }
        assert event["audience"] == [{"@type": "Audience", "name": "Conseil citoyen Franc-Moisin"}]
        assert event["url"].startswith("https://conseils.example/donnees-ouvertes#instance-")
        assert event["identifier"].endswith("@conseils.plaine-commune")
    assert "previousStartDate" not in first


def test_the_csv_has_french_headers_and_no_formula() -> None:
    entry = run(
        scheduled(title='=HYPERLINK("https://evil.example")'),
        InstanceUpdated(instance_id=INSTANCE, title="@SUM(A1:A2)", description="-2+3", updated_at=T0),
        DossierPublished(
            instance_id=INSTANCE, dossier_version=1, documents=[], published_at=T0, notice_days=37.5
        ),
        AttendanceRecorded(
            instance_id=INSTANCE,
            present_member_ids=[uuid.uuid4()],
            recorded_at=T0,
            convened=[ConvenedCouncil(council_id=COUNCIL, member_ids=[uuid.uuid4(), uuid.uuid4()])],
        ),
    )
    assert entry is not None
    rows = list(csv.DictReader(io.StringIO(open_data.agenda_csv([entry], PUBLISHER))))
    assert list(rows[0]) == list(open_data.CSV_HEADERS)
    [row] = rows
    assert row["titre"] == "'@SUM(A1:A2)"
    assert row["statut"] == "programmée"
    assert row["hors horaires de travail"] == "oui"
    assert row["délai du dossier (jours)"] == "37.5"
    assert row["présents"] == "1"
    assert row["présents par conseil"] == "Conseil citoyen Franc-Moisin : 0/2"
    assert row["début"] == "2026-03-10T18:30:00+01:00"
    for value in row.values():
        assert value[:1] not in {"=", "+", "-", "@"}, value


def test_an_entry_survives_its_json_form() -> None:
    entry = run(scheduled(), moved(1, 7, STARTS))
    assert entry is not None
    assert open_data.AgendaEntry.from_json(json.loads(json.dumps(entry.as_json()))) == entry
