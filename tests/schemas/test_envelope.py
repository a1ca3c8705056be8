"""(d) CloudEvents Kafka binary-mode envelope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pydantic
import pytest

from conseils_schemas import (
    CORRELATION_ID_HEADER,
    EventMetadata,
    InstanceHeld,
    InvalidEnvelope,
    from_kafka_headers,
    schema_id,
    source_for,
    to_kafka_headers,
)

SOURCE = "/conseils/plaine-commune/meetings"
TYPE = "fr.conseils.meetings.instance.held.v1"


def _meta(**overrides: object) -> EventMetadata:
    values: dict[str, object] = {
        "id": "0b7f5a51-3c77-4b2c-9a43-4a6f5b0c1d2e",
        "source": SOURCE,
        "type": TYPE,
        "time": datetime(2025, 3, 11, 18, 30, tzinfo=timezone(timedelta(hours=1))),
        "subject": "6f1c2d3e-0000-4000-8000-000000000001",
        "correlationid": "corr-1",
        "dataschema": "urn:conseils:schema:" + TYPE,
    }
    values.update(overrides)
    return EventMetadata.model_validate(values)


def test_header_names_are_exactly_the_binding_ones() -> None:
    headers = to_kafka_headers(_meta())
    assert [name for name, _ in headers] == [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_correlationid",
        "ce_dataschema",
        "content-type",
    ]
    assert CORRELATION_ID_HEADER == "ce_correlationid"
    assert "ce_datacontenttype" not in dict(headers)
    assert all(isinstance(value, bytes) for _, value in headers)


def test_header_values() -> None:
    headers = dict(to_kafka_headers(_meta()))
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_time"] == b"2025-03-11T17:30:00Z"  # RFC 3339, normalised to UTC
    assert headers["content-type"] == b"application/json"
    assert headers["ce_source"] == SOURCE.encode()


def test_round_trip() -> None:
    meta = _meta()
    assert from_kafka_headers(to_kafka_headers(meta)) == meta
    assert meta.time.tzinfo is UTC


def test_optional_attributes_omitted() -> None:
    meta = _meta(subject=None, dataschema=None)
    headers = to_kafka_headers(meta)
    names = [name for name, _ in headers]
    assert "ce_subject" not in names
    assert "ce_dataschema" not in names
    assert from_kafka_headers(headers) == meta


def test_defaults() -> None:
    meta = EventMetadata(source=SOURCE, type=TYPE)
    uuid.UUID(meta.id)
    uuid.UUID(meta.correlationid)
    assert meta.specversion == "1.0"
    assert meta.datacontenttype == "application/json"
    assert meta.time.tzinfo is not None


def test_naive_time_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match="timezone"):
        _meta(time=datetime(2025, 3, 11, 18, 30))


def test_metadata_is_frozen() -> None:
    meta = _meta()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        meta.id = "other"  # type: ignore[misc]


def _without(name: str) -> list[tuple[str, bytes]]:
    return [(n, v) for n, v in to_kafka_headers(_meta()) if n != name]


@pytest.mark.parametrize(
    "name", ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_correlationid"]
)
def test_missing_required_header(name: str) -> None:
    with pytest.raises(InvalidEnvelope, match=name):
        from_kafka_headers(_without(name))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ce_specversion", b"0.3", "specversion"),
        ("ce_time", b"yesterday", "RFC 3339"),
        ("ce_time", b"2025-03-11T17:30:00", "time zone"),
        ("content-type", b"application/xml", "content-type"),
        ("ce_id", b"\xff\xfe", "UTF-8"),
        ("ce_source", b"has space", "source"),
        ("ce_id", b"", "ce_id"),
    ],
)
def test_invalid_header(name: str, value: bytes, message: str) -> None:
    headers = [(n, value if n == name else v) for n, v in to_kafka_headers(_meta())]
    with pytest.raises(InvalidEnvelope, match=message):
        from_kafka_headers(headers)


def test_duplicate_header_is_rejected() -> None:
    headers = [*to_kafka_headers(_meta()), ("ce_id", b"another")]
    with pytest.raises(InvalidEnvelope, match="more than once"):
        from_kafka_headers(headers)


def test_unknown_headers_ignored_and_charset_accepted() -> None:
    headers = [
        (n, b"application/json; charset=utf-8" if n == "content-type" else v)
        for n, v in to_kafka_headers(_meta())
    ]
    headers += [("x-dlq-origin-topic", b"t"), ("ce_traceparent", b"00-abc")]
    assert from_kafka_headers(headers) == _meta()


def test_missing_content_type_defaults_to_json() -> None:
    assert from_kafka_headers(_without("content-type")) == _meta()


def test_invalid_envelope_is_value_error() -> None:
    assert issubclass(InvalidEnvelope, ValueError)


def test_for_event() -> None:
    event = InstanceHeld(instance_id=uuid.uuid4(), held_at=datetime.now(UTC))
    meta = EventMetadata.for_event(event, source=source_for("plaine-commune", "meetings"), correlationid="c")
    assert meta.type == TYPE
    assert meta.subject == str(event.instance_id)
    assert meta.dataschema == schema_id(TYPE)
    assert meta.correlationid == "c"
    assert meta.source == SOURCE
