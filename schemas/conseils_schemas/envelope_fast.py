"""A faster reading of the CloudEvents envelope for consumers: the same answer as
:func:`conseils_schemas.envelope.from_kafka_headers`, without pydantic's validation for the
headers that are plainly valid.

`read_kafka_headers` checks, in plain Python, a subset of what the envelope accepts: every
attribute header a `str` name and a `bytes` value in UTF-8, no duplicate, the required ones
present and non-empty, `ce_specversion` exactly ``1.0``, the content type exactly
``application/json`` (or absent), `ce_time` an RFC 3339 timestamp with an offset, the ids,
source, type and correlation id printable ASCII without a space (so they match ``^\\S+$``
whatever the regex engine's idea of Unicode white space), and `ce_subject` and
`ce_dataschema` non-empty when present. Such headers build the `EventMetadata` that
`model_validate` would (same values, same fields set, `time` in UTC). Anything else — an
invalid envelope, or a valid one outside that subset (a content type with parameters, a
non-ASCII id) — goes through `from_kafka_headers` itself, so the envelope's rules and its
error messages stay those of :mod:`conseils_schemas.envelope`, written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from .envelope import (
    CONTENT_TYPE_HEADER,
    CORRELATION_ID_HEADER,
    DATASCHEMA_HEADER,
    ID_HEADER,
    JSON_CONTENT_TYPE,
    SOURCE_HEADER,
    SPECVERSION_HEADER,
    SUBJECT_HEADER,
    TIME_HEADER,
    TYPE_HEADER,
    EventMetadata,
    from_kafka_headers,
)

__all__ = ["read_kafka_headers"]

_TOKENS: Final = (
    ("id", ID_HEADER),
    ("source", SOURCE_HEADER),
    ("type", TYPE_HEADER),
    ("correlationid", CORRELATION_ID_HEADER),
)
_OPTIONAL: Final = (("subject", SUBJECT_HEADER), ("dataschema", DATASCHEMA_HEADER))


def _plain_token(value: str | None) -> bool:
    """Non-empty printable ASCII without a space: matches ``^\\S+$`` in any regex engine."""
    if not value:
        return False
    return value.isascii() and value.isprintable() and " " not in value


def read_kafka_headers(headers: Sequence[tuple[str, bytes]]) -> EventMetadata:
    """The `EventMetadata` of binary-mode Kafka headers, as `from_kafka_headers` returns it (and
    raising its `InvalidEnvelope`, with its message, for headers it refuses)."""
    values: dict[str, str] = {}
    for raw_name, raw_value in headers:
        if type(raw_name) is not str or type(raw_value) is not bytes:
            return from_kafka_headers(headers)
        name = raw_name.lower()
        if not (name.startswith("ce_") or name == CONTENT_TYPE_HEADER):
            continue
        if name in values:
            return from_kafka_headers(headers)
        try:
            values[name] = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            return from_kafka_headers(headers)
    if values.get(SPECVERSION_HEADER) != "1.0" or values.get(CONTENT_TYPE_HEADER, JSON_CONTENT_TYPE) != (
        JSON_CONTENT_TYPE
    ):
        return from_kafka_headers(headers)
    attributes: dict[str, object] = {}
    for field, header in _TOKENS:
        value = values.get(header)
        if not _plain_token(value):
            return from_kafka_headers(headers)
        attributes[field] = value
    try:
        time = datetime.fromisoformat(values[TIME_HEADER])
    except (KeyError, ValueError):
        return from_kafka_headers(headers)
    if time.tzinfo is None or time.utcoffset() is None:
        return from_kafka_headers(headers)
    attributes["specversion"] = "1.0"
    attributes["time"] = time.astimezone(UTC)
    fields_set = set(attributes)
    for field, header in _OPTIONAL:
        value = values.get(header)
        if value is not None:
            if not value:
                return from_kafka_headers(headers)
            fields_set.add(field)
        attributes[field] = value
    attributes["datacontenttype"] = JSON_CONTENT_TYPE
    return _built({name: attributes[name] for name in _FIELDS}, fields_set)


_FIELDS: Final = tuple(EventMetadata.model_fields)


def _built(fields: dict[str, object], fields_set: set[str]) -> EventMetadata:
    """The instance `model_validate` would return for values already valid: what pydantic's
    `model_construct` sets, without its handling of defaults (every field is given)."""
    metadata = EventMetadata.__new__(EventMetadata)
    object.__setattr__(metadata, "__dict__", fields)
    object.__setattr__(metadata, "__pydantic_fields_set__", fields_set)
    object.__setattr__(metadata, "__pydantic_extra__", None)
    object.__setattr__(metadata, "__pydantic_private__", None)
    return metadata
