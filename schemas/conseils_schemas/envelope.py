"""CloudEvents 1.0 envelope in the Kafka protocol binding, binary content mode.

This module owns the mapping between event metadata (:class:`EventMetadata`)
and Kafka record headers. In binary mode the JSON payload is the record value,
every context attribute is a header named ``ce_<attribute>`` whose value is the
UTF-8 string form of the attribute, and ``datacontenttype`` maps to the
``content-type`` header (there is no ``ce_datacontenttype`` header).
See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from .jsonschema import schema_id
from .topics import validate_territory_slug

if TYPE_CHECKING:
    from .events import Event

__all__ = [
    "CONTENT_TYPE_HEADER",
    "CORRELATION_ID_HEADER",
    "DATASCHEMA_HEADER",
    "HEADER_PREFIX",
    "ID_HEADER",
    "JSON_CONTENT_TYPE",
    "SOURCE_HEADER",
    "SPECVERSION_HEADER",
    "SUBJECT_HEADER",
    "TIME_HEADER",
    "TYPE_HEADER",
    "EventMetadata",
    "InvalidEnvelope",
    "format_time",
    "from_kafka_headers",
    "source_for",
    "to_kafka_headers",
]

HEADER_PREFIX: Final = "ce_"
ID_HEADER: Final = "ce_id"
SOURCE_HEADER: Final = "ce_source"
SPECVERSION_HEADER: Final = "ce_specversion"
TYPE_HEADER: Final = "ce_type"
TIME_HEADER: Final = "ce_time"
SUBJECT_HEADER: Final = "ce_subject"
CORRELATION_ID_HEADER: Final = "ce_correlationid"
DATASCHEMA_HEADER: Final = "ce_dataschema"
CONTENT_TYPE_HEADER: Final = "content-type"
JSON_CONTENT_TYPE: Final = "application/json"
SPECVERSION: Final = "1.0"

_NonBlank = Annotated[str, StringConstraints(min_length=1, pattern=r"^\S+$")]


class InvalidEnvelope(ValueError):
    """Kafka headers do not form a valid CloudEvents 1.0 binary-mode envelope."""


def source_for(territory: str, service: str) -> str:
    """Conventional ``source`` of an event: ``/conseils/<territory>/<service>``."""
    validate_territory_slug(territory)
    return f"/conseils/{territory}/{service}"


class EventMetadata(BaseModel):
    """CloudEvents context attributes of one event (plus the ``correlationid`` extension)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: _NonBlank = Field(default_factory=lambda: str(uuid.uuid4()))
    source: _NonBlank = Field(
        description="URI-reference of the producer", examples=["/conseils/plaine-commune/meetings"]
    )
    type: _NonBlank = Field(examples=["fr.conseils.meetings.instance.scheduled.v1"])
    specversion: Literal["1.0"] = "1.0"
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    correlationid: _NonBlank = Field(default_factory=lambda: str(uuid.uuid4()))
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None

    @field_validator("time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("subject", "dataschema")
    @classmethod
    def _non_empty_optional(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("must be omitted rather than empty")
        return value

    @classmethod
    def for_event(
        cls,
        event: Event,
        *,
        source: str,
        correlationid: str | None = None,
        subject: str | None = None,
        time: datetime | None = None,
    ) -> EventMetadata:
        """Metadata for ``event``: its type and schema, subject = its partition key by default.

        Pass the ``correlationid`` of the event being handled to keep a causal chain;
        a new id is generated otherwise.
        """
        values: dict[str, object] = {
            "source": source,
            "type": event.event_type,
            "subject": subject if subject is not None else event.partition_key(),
            "dataschema": schema_id(event.event_type),
        }
        if correlationid is not None:
            values["correlationid"] = correlationid
        if time is not None:
            values["time"] = time
        return cls.model_validate(values)


def format_time(value: datetime) -> str:
    """RFC 3339 timestamp in UTC with a ``Z`` suffix, e.g. ``2025-03-11T17:30:00Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_kafka_headers(meta: EventMetadata) -> list[tuple[str, bytes]]:
    """Kafka headers carrying ``meta`` in CloudEvents binary content mode."""
    headers: list[tuple[str, str]] = [
        (SPECVERSION_HEADER, meta.specversion),
        (ID_HEADER, meta.id),
        (SOURCE_HEADER, meta.source),
        (TYPE_HEADER, meta.type),
        (TIME_HEADER, format_time(meta.time)),
    ]
    if meta.subject is not None:
        headers.append((SUBJECT_HEADER, meta.subject))
    headers.append((CORRELATION_ID_HEADER, meta.correlationid))
    if meta.dataschema is not None:
        headers.append((DATASCHEMA_HEADER, meta.dataschema))
    headers.append((CONTENT_TYPE_HEADER, meta.datacontenttype))
    return [(name, value.encode("utf-8")) for name, value in headers]


_REQUIRED: Final = (ID_HEADER, SOURCE_HEADER, SPECVERSION_HEADER, TYPE_HEADER, TIME_HEADER)
_OPTIONAL: Final = (SUBJECT_HEADER, DATASCHEMA_HEADER)
_MEDIA_TYPE_RE: Final = re.compile(r"^\s*([^;\s]+)\s*(;.*)?$")


def from_kafka_headers(headers: Sequence[tuple[str, bytes]]) -> EventMetadata:
    """Parse CloudEvents binary-mode Kafka headers into :class:`EventMetadata`.

    Unknown headers (other extensions, retry or dead-letter headers) are ignored.
    Raises :class:`InvalidEnvelope` when a required attribute is missing,
    duplicated, not UTF-8 or invalid, or when the content type is not JSON.
    """
    values: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if not (name.startswith(HEADER_PREFIX) or name == CONTENT_TYPE_HEADER):
            continue
        if name in values:
            raise InvalidEnvelope(f"header {name!r} appears more than once")
        if raw_value is None:
            raise InvalidEnvelope(f"header {name!r} has no value")
        try:
            values[name] = bytes(raw_value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidEnvelope(f"header {name!r} is not valid UTF-8") from exc

    missing = [name for name in _REQUIRED if not values.get(name)]
    if missing:
        raise InvalidEnvelope(
            "not a CloudEvents 1.0 binary-mode record: missing header(s) " + ", ".join(missing)
        )
    if values[SPECVERSION_HEADER] != SPECVERSION:
        raise InvalidEnvelope(
            f"unsupported CloudEvents specversion {values[SPECVERSION_HEADER]!r} (expected '1.0')"
        )
    if not values.get(CORRELATION_ID_HEADER):
        raise InvalidEnvelope(f"missing header {CORRELATION_ID_HEADER}")

    content_type = values.get(CONTENT_TYPE_HEADER, JSON_CONTENT_TYPE)
    match = _MEDIA_TYPE_RE.match(content_type)
    if match is None or match.group(1).lower() != JSON_CONTENT_TYPE:
        raise InvalidEnvelope(f"unsupported content-type {content_type!r} (expected application/json)")

    try:
        time = datetime.fromisoformat(values[TIME_HEADER])
    except ValueError as exc:
        raise InvalidEnvelope(f"{TIME_HEADER} is not an RFC 3339 timestamp: {values[TIME_HEADER]!r}") from exc
    if time.tzinfo is None:
        raise InvalidEnvelope(f"{TIME_HEADER} has no time zone offset: {values[TIME_HEADER]!r}")

    attributes: dict[str, object] = {
        "id": values[ID_HEADER],
        "source": values[SOURCE_HEADER],
        "type": values[TYPE_HEADER],
        "specversion": values[SPECVERSION_HEADER],
        "time": time,
        "correlationid": values[CORRELATION_ID_HEADER],
    }
    for name in _OPTIONAL:
        if name in values:
            attributes[name.removeprefix(HEADER_PREFIX)] = values[name]
    try:
        return EventMetadata.model_validate(attributes)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise InvalidEnvelope(f"invalid CloudEvents attributes: {problems}") from exc
