"""The example third-party consumer (``examples/open_data_agenda``): its rules without I/O,
its files, and the whole app on the real broker, fed like the meetings service feeds it."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiokafka import AIOKafkaProducer

import conseils_schemas as cs
from conseils_notifications.domain import ical_uid
from tests.examples.kafka_probe import wait_until_committed

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "open_data_agenda"
if str(EXAMPLE_DIR) not in sys.path:  # works whether or not the example is pip-installed
    sys.path.insert(0, str(EXAMPLE_DIR))

from open_data_agenda import Agenda, create_app  # type: ignore[import-not-found]  # noqa: E402

INSTANCE = uuid.UUID("6f1c2b1e-7d3a-4c55-9a0e-2f4b8c1d9e01")
STARTS = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def scheduled(sequence: int = 0) -> cs.InstanceScheduled:
    return cs.InstanceScheduled(
        instance_id=INSTANCE,
        instance_type="comite-technique",
        title="Comité technique thématique Emploi",
        theme="emploi",
        city_code="93066",
        scope="theme",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        location="Maison de quartier Franc-Moisin, Saint-Denis",
        is_political=False,
        is_evening=True,
        sequence=sequence,
        policy_warnings=["internal note"],
    )


def rescheduled(sequence: int, days: int = 7) -> cs.InstanceRescheduled:
    return cs.InstanceRescheduled(
        instance_id=INSTANCE,
        starts_at=STARTS + timedelta(days=days),
        ends_at=STARTS + timedelta(days=days, hours=2),
        location="Bourse du travail, Saint-Denis",
        previous_starts_at=STARTS,
        sequence=sequence,
    )


def cancelled(sequence: int) -> cs.InstanceCancelled:
    return cs.InstanceCancelled(instance_id=INSTANCE, reason="Salle indisponible", sequence=sequence)


def held() -> cs.InstanceHeld:
    return cs.InstanceHeld(instance_id=INSTANCE, held_at=STARTS + timedelta(hours=2))


Check = Callable[[dict[str, Any] | None], bool]
CASES: list[tuple[str, list[cs.Event], Check]] = [
    ("scheduled", [scheduled()], lambda e: e is not None and e["status"] == "scheduled"),
    (
        "rescheduled moves it",
        [scheduled(), rescheduled(1)],
        lambda e: e is not None and e["sequence"] == 1 and e["location"].startswith("Bourse"),
    ),
    (
        "redelivered scheduled does not undo a cancellation",
        [scheduled(), cancelled(1), scheduled()],
        lambda e: e is not None and e["status"] == "cancelled" and e["cancellation_reason"] is not None,
    ),
    (
        "late older reschedule is ignored",
        [scheduled(), rescheduled(2, days=14), rescheduled(1, days=7)],
        lambda e: (
            e is not None
            and e["starts_at"] == (STARTS + timedelta(days=14)).isoformat().replace("+00:00", "Z")
        ),
    ),
    (
        "held, then a redelivered scheduled",
        [scheduled(), held(), scheduled()],
        lambda e: e is not None and e["status"] == "held",
    ),
    (
        "cancelled instance is not held",
        [scheduled(), cancelled(1), held()],
        lambda e: e is not None and e["status"] == "cancelled",
    ),
    ("change of an instance never seen", [rescheduled(1), cancelled(2)], lambda e: e is None),
]


@pytest.mark.parametrize(("events", "check"), [(e, c) for _, e, c in CASES], ids=[n for n, _, _ in CASES])
def test_agenda_rules(tmp_path: Path, events: list[cs.Event], check: Check) -> None:
    agenda = Agenda(tmp_path, "plaine-commune")
    for minute, event in enumerate(events):
        agenda.apply(event, T0 + timedelta(minutes=minute))
    assert check(agenda.entries.get(str(INSTANCE))), agenda.entries


def test_same_event_twice_changes_nothing(tmp_path: Path) -> None:
    agenda = Agenda(tmp_path, "plaine-commune")
    assert agenda.apply(scheduled(), T0)
    assert not agenda.apply(scheduled(), T0 + timedelta(minutes=5))
    assert "policy_warnings" not in agenda.entries[str(INSTANCE)]  # internal, not open data


def test_files_are_written_atomically_and_reloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agenda = Agenda(tmp_path, "plaine-commune")
    agenda.apply(scheduled(), T0)
    agenda.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agenda.ics", "agenda.json"]
    assert os.stat(tmp_path / "agenda.json").st_mode & 0o777 == 0o644
    assert Agenda(tmp_path, "plaine-commune").entries == agenda.entries

    before = (tmp_path / "agenda.json").read_bytes()
    agenda.apply(cancelled(1), T0 + timedelta(days=1))

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        agenda.save()
    assert (tmp_path / "agenda.json").read_bytes() == before  # readers still see the old file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agenda.ics", "agenda.json"]  # no temp left


# --------------------------------------------------------------------------- real broker


async def _publish(producer: AIOKafkaProducer, topic: str, event_type: str, key: str, body: bytes) -> str:
    meta = cs.EventMetadata(
        source="/conseils/test/meetings", type=event_type, subject=key, time=datetime.now(UTC)
    )
    await _send(producer, topic, key, body, cs.to_kafka_headers(meta))
    return meta.id


async def _send(
    producer: AIOKafkaProducer, topic: str, key: str, body: bytes, headers: list[tuple[str, bytes]]
) -> None:
    await producer.send_and_wait(topic, value=body, key=key.encode(), headers=headers)


def _vevent(ics_file: Path) -> icalendar.Component:
    calendar = icalendar.Calendar.from_ical(ics_file.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1, calendar.to_ical()
    return events[0]


@pytest.mark.kafka
async def test_consumer_keeps_json_and_ics_up_to_date(
    kafka_bootstrap: str, territory: str, tmp_path: Path
) -> None:
    topic = cs.topic_name(territory, cs.MEETINGS_INSTANCES)
    group = f"{territory}.open-data-agenda"
    key = str(INSTANCE)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    app = create_app(kafka_bootstrap, territory, tmp_path / "public")
    try:
        # A newer type this consumer does not know, then the scheduling, then a dossier (not ours).
        await _publish(producer, topic, "fr.conseils.meetings.instance.renamed.v9", key, b'{"x": 1}')
        scheduled_meta = cs.EventMetadata.for_event(scheduled(), source="/conseils/test/meetings")
        scheduled_headers = cs.to_kafka_headers(scheduled_meta)
        await _send(producer, topic, key, scheduled().to_json_bytes(), scheduled_headers)
        dossier = cs.DossierPublished(
            instance_id=INSTANCE, dossier_version=1, documents=[], published_at=T0, notice_days=10
        )
        await _publish(producer, topic, dossier.event_type, key, dossier.to_json_bytes())

        await app.start()
        await wait_until_committed(producer, kafka_bootstrap, topic, group)
        document = json.loads((tmp_path / "public" / "agenda.json").read_text(encoding="utf-8"))
        assert document["territory"] == territory
        [entry] = document["instances"]
        assert entry["instance_id"] == key
        assert entry["status"] == "scheduled"
        assert entry["title"] == "Comité technique thématique Emploi"
        vevent = _vevent(tmp_path / "public" / "agenda.ics")
        # the platform's invitations and feeds use the same UID: one event per meeting in a calendar
        assert str(vevent["UID"]) == ical_uid(INSTANCE, territory) == f"{key}@conseils.{territory}"
        assert str(vevent["STATUS"]) == "CONFIRMED"
        assert vevent.decoded("DTSTART") == STARTS
        assert str(vevent["SUMMARY"]) == "Comité technique thématique Emploi"

        # The cancellation, then Kafka redelivering the old scheduling (same ce_id): no resurrection.
        cancellation = cancelled(1)
        await _publish(producer, topic, cancellation.event_type, key, cancellation.to_json_bytes())
        await _send(producer, topic, key, scheduled().to_json_bytes(), scheduled_headers)
        await wait_until_committed(producer, kafka_bootstrap, topic, group)
    finally:
        await app.stop()
        await producer.stop()

    [entry] = json.loads((tmp_path / "public" / "agenda.json").read_text(encoding="utf-8"))["instances"]
    assert entry["status"] == "cancelled"
    assert entry["sequence"] == 1
    assert entry["cancellation_reason"] == "Salle indisponible"
    vevent = _vevent(tmp_path / "public" / "agenda.ics")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent.decoded("SEQUENCE") == 1
