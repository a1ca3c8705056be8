"""(e) Event catalogue, parse_event, topics and payload rules."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pydantic
import pytest

from conseils_schemas import (
    ALL_TOPICS,
    CONTACT_TOMBSTONE,
    EVENT_TYPES,
    MEETINGS_INSTANCES,
    REGISTRY_MEMBER_CONTACTS,
    DossierPublished,
    Event,
    InstanceScheduled,
    MemberContactCard,
    MemberContactCardV2,
    MemberJoined,
    NotificationFailed,
    UnknownEventType,
    dlq_topic,
    event_types_for_topic,
    is_tombstone,
    parse_event,
    topic_name,
)

NOW = datetime(2025, 3, 11, 17, 30, tzinfo=UTC)
INSTANCE = uuid.uuid4()


def _scheduled(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "instance_id": str(INSTANCE),
        "instance_type": "comite-technique",
        "title": "Comité technique Emploi",
        "theme": "emploi",
        "city_code": "93066",
        "council_ids": [],
        "scope": "theme",
        "starts_at": "2025-03-11T18:30:00+01:00",
        "ends_at": "2025-03-11T20:30:00+01:00",
        "location": "Mairie de Saint-Denis, salle du conseil",
        "is_political": False,
        "is_evening": True,
        "observers_allowed": True,
        "sequence": 0,
        "policy_warnings": [],
    }
    values.update(overrides)
    return values


def test_catalogue_is_complete_and_well_formed() -> None:
    # + InstanceUpdated, StaffAlert{Acknowledged,Resolved} (18); NeedsCounted, CostClaim*,
    # contact card v2 (19); the voice (20)
    assert len(EVENT_TYPES) == 47  # + substitutes (2) and the rota (3), issue 20; + attendance confirmed (19)
    for name, model in EVENT_TYPES.items():
        assert name == model.event_type
        assert name.startswith("fr.conseils.")
        version = "v2" if model is MemberContactCardV2 else "v1"
        assert name.rsplit(".", 1)[-1] == version
        assert model.topic in ALL_TOPICS
        assert model.model_config.get("frozen") is True
        assert model.model_config.get("extra") == "ignore"
    assert set(ALL_TOPICS) == {m.topic for m in EVENT_TYPES.values()}


def test_parse_valid_event() -> None:
    event = parse_event(InstanceScheduled.event_type, json.dumps(_scheduled()).encode())
    assert isinstance(event, InstanceScheduled)
    assert event.partition_key() == str(INSTANCE)
    assert event.starts_at == datetime(2025, 3, 11, 17, 30, tzinfo=UTC)


def test_round_trip_through_bytes() -> None:
    event = InstanceScheduled.model_validate(_scheduled())
    assert parse_event(event.event_type, event.to_json_bytes()) == event


def test_unknown_fields_are_ignored() -> None:
    event = parse_event(InstanceScheduled.event_type, json.dumps(_scheduled(added_in_v1_1="x")).encode())
    assert not hasattr(event, "added_in_v1_1")


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        json.dumps(_scheduled(instance_id="nope")).encode(),
        json.dumps(_scheduled(starts_at="2025-03-11T18:30:00")).encode(),  # naive
        json.dumps(_scheduled(ends_at="2025-03-11T18:00:00+01:00")).encode(),  # before start
        json.dumps(_scheduled(scope="planet")).encode(),
        json.dumps(_scheduled(instance_type="Comité")).encode(),
        json.dumps({k: v for k, v in _scheduled().items() if k != "location"}).encode(),
    ],
)
def test_parse_invalid_payload(payload: bytes) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_event(InstanceScheduled.event_type, payload)


def test_parse_unknown_type() -> None:
    with pytest.raises(UnknownEventType, match=r"fr\.conseils\.meetings\.instance\.scheduled\.v9"):
        parse_event("fr.conseils.meetings.instance.scheduled.v9", b"{}")
    assert issubclass(UnknownEventType, ValueError)


def test_event_types_for_topic() -> None:
    instances = event_types_for_topic(MEETINGS_INSTANCES)
    assert InstanceScheduled.event_type in instances
    assert DossierPublished.event_type in instances
    assert all(m.topic == MEETINGS_INSTANCES for m in instances.values())
    contacts = list(event_types_for_topic(REGISTRY_MEMBER_CONTACTS).values())
    assert contacts == [MemberContactCard, MemberContactCardV2]
    assert event_types_for_topic("nope") == {}


def test_events_are_frozen() -> None:
    event = MemberJoined(
        member_id=uuid.uuid4(), council_id=uuid.uuid4(), college="habitants", joined_on=date(2025, 1, 1)
    )
    with pytest.raises(pydantic.ValidationError):
        event.role = "coordinator"  # type: ignore[misc]
    assert event.partition_key() == str(event.member_id)


def test_base_event_has_no_key() -> None:
    with pytest.raises(NotImplementedError):
        Event().partition_key()


def test_contact_card_validation_and_tombstone() -> None:
    card = MemberContactCard(member_id=uuid.uuid4(), display_name="A. B.", email="a@example.org")
    assert card.language == "fr"
    with pytest.raises(pydantic.ValidationError):
        MemberContactCard(member_id=uuid.uuid4(), display_name="A", email="not-an-email")
    assert is_tombstone(CONTACT_TOMBSTONE)
    assert is_tombstone(None)
    assert not is_tombstone(b"")
    assert not is_tombstone(card.to_json_bytes())


def test_failed_notification_redacts_contact_data() -> None:
    failed = NotificationFailed(
        delivery_id=uuid.uuid4(),
        member_id=uuid.uuid4(),
        channel="email",
        category="reminder",
        source_event_id="e1",
        error="550 5.1.1 <jeanne.dupont@example.org>: mailbox unavailable; sms +33 6 12 34 56 78",
        permanent=True,
        failed_at=NOW,
    )
    assert "jeanne" not in failed.error
    assert "12 34" not in failed.error
    assert "550 5.1.1" in failed.error


def test_empty_interval_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match="ends_at must be after starts_at"):
        InstanceScheduled.model_validate(_scheduled(ends_at=_scheduled()["starts_at"]))


@pytest.mark.parametrize(
    ("prefix", "base", "expected"),
    [
        ("plaine-commune", "meetings.instances", "plaine-commune.meetings.instances"),
        ("est-ensemble", "registry.member-contacts", "est-ensemble.registry.member-contacts"),
        ("t1", "alerts.staff", "t1.alerts.staff"),
    ],
)
def test_topic_name(prefix: str, base: str, expected: str) -> None:
    assert topic_name(prefix, base) == expected
    assert dlq_topic(expected) == expected + ".dlq"


@pytest.mark.parametrize("prefix", ["", "Plaine", "-x", "plaine commune", "plaine.commune", "é"])
def test_topic_name_rejects_bad_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="territory prefix"):
        topic_name(prefix, MEETINGS_INSTANCES)


def test_dlq_of_dlq_rejected() -> None:
    with pytest.raises(ValueError, match="already a dead-letter topic"):
        dlq_topic("t.meetings.instances.dlq")
