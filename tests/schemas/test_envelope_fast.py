"""The consumers' faster reading of the envelope answers exactly as `from_kafka_headers`:
the same metadata for what it accepts, the same error (type and message) for what it refuses."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from conseils_schemas import (
    EventMetadata,
    InvalidEnvelope,
    envelope_fast,
    from_kafka_headers,
    to_kafka_headers,
)
from conseils_schemas.envelope_fast import read_kafka_headers

TYPE = "fr.conseils.registry.member.joined.v1"


def _headers(**overrides: object) -> list[tuple[Any, Any]]:
    values: dict[str, object] = {
        "id": "0b7f5a51-3c77-4b2c-9a43-4a6f5b0c1d2e",
        "source": "/conseils/plaine-commune/registry",
        "type": TYPE,
        "time": datetime(2025, 3, 11, 18, 30, tzinfo=timezone(timedelta(hours=1))),
        "subject": "6f1c2d3e-0000-4000-8000-000000000001",
        "correlationid": "corr-1",
        "dataschema": "urn:conseils:schema:" + TYPE,
    }
    values.update(overrides)
    return list(to_kafka_headers(EventMetadata.model_validate(values)))


def _outcome(read: Any, headers: list[tuple[Any, Any]]) -> tuple[str, Any]:
    try:
        metadata = read(headers)
    except Exception as error:  # the exact error is part of the answer
        return "error", (type(error), str(error), type(error.__cause__))
    return "metadata", (metadata, metadata.__dict__, metadata.model_fields_set, metadata.model_dump_json())


def test_valid_headers_are_read_without_pydantic_and_give_the_same_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = [_headers(), _headers(subject=None, dataschema=None), _headers(time=datetime.now(UTC))]
    expected = [from_kafka_headers(headers) for headers in cases]

    def refused(headers: Any) -> EventMetadata:
        raise AssertionError("plainly valid headers took the slow path")

    monkeypatch.setattr(envelope_fast, "from_kafka_headers", refused)
    for metadata, headers in zip(expected, cases, strict=True):
        read = read_kafka_headers(headers)
        assert read == metadata
        assert read.__dict__ == metadata.__dict__
        assert list(read.__dict__) == list(metadata.__dict__)
        assert read.model_fields_set == metadata.model_fields_set
        assert read.time.tzinfo is UTC
        assert hash(read) == hash(metadata)
        assert read.model_dump_json() == metadata.model_dump_json()


VALUES: list[Any] = [
    b"",
    b" ",
    b"a b",
    b"a\tb",
    b"\xff\xfe",
    "é".encode(),
    "a\u00a0b".encode(),
    b"a\x1cb",
    "nøn-ascii".encode(),
    b"1.0",
    b"1.0 ",
    b"0.3",
    b"2025-03-11T17:30:00Z",
    b"2025-03-11T17:30:00",
    b"2025-03-11T17:30:00+01:00",
    b"2025-03-11",
    b"yesterday",
    b"application/json",
    b"application/json; charset=utf-8",
    b"Application/JSON",
    b"application/xml",
    b"plain-value",
    None,
    "a str, not bytes",
    bytearray(b"bytearray-value"),
]
NAMES = [
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_specversion",
    "ce_time",
    "ce_subject",
    "ce_correlationid",
    "ce_dataschema",
    "content-type",
    "CE_ID",
    "Content-Type",
    "ce_other",
    "x-unrelated",
]


def _mutated(rng: random.Random) -> list[tuple[Any, Any]]:
    headers = _headers() if rng.random() < 0.7 else _headers(subject=None, dataschema=None)
    for _ in range(rng.randint(1, 3)):
        action = rng.choice(("drop", "set", "add", "rename"))
        if action == "drop" and headers:
            headers.pop(rng.randrange(len(headers)))
        elif action == "set" and headers:
            index = rng.randrange(len(headers))
            headers[index] = (headers[index][0], rng.choice(VALUES))
        elif action == "add":
            headers.insert(rng.randint(0, len(headers)), (rng.choice(NAMES), rng.choice(VALUES)))
        elif headers:
            index = rng.randrange(len(headers))
            headers[index] = (rng.choice(NAMES), headers[index][1])
    return headers


def test_any_headers_get_the_same_answer_as_from_kafka_headers() -> None:
    rng = random.Random(17)
    accepted = refused = 0
    for _ in range(4000):
        headers = _mutated(rng)
        expected = _outcome(from_kafka_headers, headers)
        assert _outcome(read_kafka_headers, headers) == expected, headers
        if expected[0] == "error":
            refused += 1
            assert expected[1][0] in (InvalidEnvelope, TypeError, AttributeError), headers
        else:
            accepted += 1
    assert accepted > 300
    assert refused > 300
