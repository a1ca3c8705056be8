"""AsyncAPI 3.0 document of a service, generated from its code: the traffic as it is.

What a record on our topics looks like is decided by the CloudEvents Kafka binding
(binary mode), not by a FastStream handler signature: the type of a record is its
`ce_type` header, its body is the event's JSON, its key the aggregate id. So the
document is written here, from the same declarations the service runs with:

- one channel per physical topic the service touches (address = territory-prefixed
  topic), with its Kafka binding (partitions, the configs `ensure_topics` applies) and
  one channel per dead-letter topic the service's consumers write to;
- one message per event type, identified by a `headers` schema whose `ce_type` is a
  constant (two messages never match the same record), the payload = the published
  JSON Schema (its `$defs` hoisted to `components/schemas`), the key in the Kafka
  message binding, `correlationId` from the `ce_correlationid` header;
- the tombstone (null value, no headers) on the compacted contacts topic;
- the dead letter: the original record (its bytes, its headers when it had any) plus the
  `dlq_*` origin headers;
- `send` operations for what the service publishes (the outbox refuses anything not
  declared, so the document cannot drift from the code), `receive` operations per
  consumer group and topic, listing the types the group handles (others are skipped).

FastStream's own generator is not used: it describes one message per handler
argument and, for a consumer with several event types, a `oneOf` of overlapping
payload schemas without headers, which matches records no producer sends.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conseils_runtime.topics import topic_configs
from conseils_schemas import COMPACTED_TOPICS, EVENT_TYPES, Event, dlq_topic, topic_name
from conseils_schemas.envelope import (
    CONTENT_TYPE_HEADER,
    CORRELATION_ID_HEADER,
    DATASCHEMA_HEADER,
    ID_HEADER,
    SOURCE_HEADER,
    SPECVERSION_HEADER,
    SUBJECT_HEADER,
    TIME_HEADER,
    TYPE_HEADER,
)
from conseils_schemas.jsonschema import event_schema, schema_id
from conseils_schemas.topics import (
    DLQ_ATTEMPTS,
    DLQ_CONSUMER_GROUP,
    DLQ_ERROR,
    DLQ_FAILED_AT,
    DLQ_ORIGIN_OFFSET,
    DLQ_ORIGIN_PARTITION,
    DLQ_ORIGIN_TOPIC,
    DLQ_ORIGINAL_SHA256,
    DLQ_ORIGINAL_SIZE,
    DLQ_REPLAYED_FROM,
    DLQ_TRUNCATED,
)

if TYPE_CHECKING:
    from conseils_runtime.consumer import EventConsumer

BINDING_VERSION = "0.5.0"
PARTITIONS = 3  # what `ensure_topics` creates
TOMBSTONE = "tombstone"
DEAD_LETTER = "dead-letter"

# The Kafka channel binding (0.5.0) names these topic configs; the others go in `x-topic-configs`.
RELAY_CORRELATION_HEADER = "correlation_id"
_BINDING_CONFIGS = {"retention.ms", "retention.bytes", "delete.retention.ms", "max.message.bytes"}


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _ce_headers(event_type: str | None) -> dict[str, Any]:
    """The CloudEvents binary-mode headers of one event type (all of them when `event_type` is None)."""
    properties: dict[str, Any] = {
        SPECVERSION_HEADER: _string("CloudEvents spec version.", const="1.0"),
        ID_HEADER: _string("Event id: unique per event, the consumers' idempotency key."),
        SOURCE_HEADER: _string("Producer, `/conseils/<territory>/<service>`.", format="uri-reference"),
        TYPE_HEADER: (
            _string("Event type, with its version.", const=event_type)
            if event_type
            else _string("Event type, with its version.")
        ),
        TIME_HEADER: _string("When the fact happened, RFC 3339 in UTC (`Z`).", format="date-time"),
        SUBJECT_HEADER: _string("The aggregate id (same as the Kafka key)."),
        DATASCHEMA_HEADER: _string(
            "URI of the JSON Schema of the payload"
            + (f" ({schema_id(event_type)} is its `$id`)." if event_type else "."),
            format="uri",
        ),
        CORRELATION_ID_HEADER: _string(
            "CloudEvents extension `correlationid`: shared by an event and the events it caused."
        ),
        CONTENT_TYPE_HEADER: _string("CloudEvents `datacontenttype`.", const="application/json"),
        RELAY_CORRELATION_HEADER: _string(
            "Set by the relay's Kafka client (FastStream) to the value of `ce_correlationid`; read that one."
        ),
    }
    return {
        "type": "object",
        "required": [
            SPECVERSION_HEADER,
            ID_HEADER,
            SOURCE_HEADER,
            TYPE_HEADER,
            TIME_HEADER,
            CONTENT_TYPE_HEADER,
        ],
        "properties": properties,
    }


class _Schemas:
    """Event schemas with their `$defs` hoisted into `components/schemas`."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def payload(self, event_class: type[Event]) -> dict[str, Any]:
        schema = event_schema(event_class)
        definitions = schema.pop("$defs", {})
        renamed: dict[str, str] = {}
        for name, definition in definitions.items():
            target = name
            while target in self.components and self.components[target] != definition:
                target = f"{event_class.__name__}.{name}"
            renamed[name] = target
        for name, definition in definitions.items():
            self.components[renamed[name]] = self._relink(definition, renamed)
        schema.pop("$schema", None)  # the document's schemaFormat says the dialect
        name = event_class.event_type
        self.components[name] = self._relink(schema, renamed)
        return {"$ref": f"#/components/schemas/{name}"}

    def _relink(self, node: Any, renamed: dict[str, str]) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                    out[key] = "#/components/schemas/" + renamed[value.removeprefix("#/$defs/")]
                else:
                    out[key] = self._relink(value, renamed)
            return out
        if isinstance(node, list):
            return [self._relink(item, renamed) for item in node]
        return copy.deepcopy(node)


def _event_message(event_class: type[Event], schemas: _Schemas) -> dict[str, Any]:
    return {
        "name": event_class.__name__,
        "title": event_class.event_type,
        "summary": (event_class.__doc__ or event_class.__name__).strip().splitlines()[0],
        "contentType": "application/json",
        "headers": _ce_headers(event_class.event_type),
        "payload": schemas.payload(event_class),
        "correlationId": {"location": f"$message.header#/{CORRELATION_ID_HEADER}"},
        "bindings": {
            "kafka": {
                "bindingVersion": BINDING_VERSION,
                "key": _string(f"`{event_class.key_field}` of the event (the aggregate id)."),
            }
        },
    }


def _tombstone_message() -> dict[str, Any]:
    return {
        "name": "Tombstone",
        "title": "Tombstone (erasure of a contact card)",
        "summary": "Null value for a member id: compaction removes every earlier card of that key.",
        "description": (
            "No body and no CloudEvents headers (an empty `content-type`): a consumer treats a null "
            "value on the contacts topic as 'forget this member's card now'. "
            "`MemberErased` on registry.members says "
            "the same, forever."
        ),
        "headers": {
            "type": "object",
            "properties": {
                CONTENT_TYPE_HEADER: _string("Empty: there is no body.", const=""),
                RELAY_CORRELATION_HEADER: _string("Set by the relay's Kafka client; means nothing here."),
            },
            "additionalProperties": False,
        },
        "payload": {"type": "null"},
        "bindings": {"kafka": {"bindingVersion": BINDING_VERSION, "key": _string("The member id.")}},
    }


def _dead_letter_message() -> dict[str, Any]:
    origin = {
        DLQ_ORIGIN_TOPIC: _string("Topic of the failed record."),
        DLQ_ORIGIN_PARTITION: _string("Its partition (decimal).", pattern="^[0-9]+$"),
        DLQ_ORIGIN_OFFSET: _string("Its offset (decimal).", pattern="^[0-9]+$"),
        DLQ_CONSUMER_GROUP: _string("The consumer group that gave up on it."),
        DLQ_ERROR: _string("Kind of error and field names; never message contents."),
        DLQ_ATTEMPTS: _string("Attempts made (decimal).", pattern="^[0-9]+$"),
        DLQ_FAILED_AT: _string("When it was dead-lettered (ISO 8601).", format="date-time"),
        DLQ_REPLAYED_FROM: _string(
            "Set on a record replayed from a dead-letter topic by `conseils ops dlq`."
        ),
        DLQ_TRUNCATED: _string("`true` when the letter was cut to fit in a broker record.", const="true"),
        DLQ_ORIGINAL_SIZE: _string("Size in bytes of the original value.", pattern="^[0-9]+$"),
        DLQ_ORIGINAL_SHA256: _string("SHA-256 (hex) of the original value.", pattern="^[0-9a-f]{64}$"),
    }
    ce = _ce_headers(None)["properties"]
    return {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record a consumer could not process: its own bytes, key and headers, plus its origin.",
        "description": (
            "The value and key are the original record's, unchanged (possibly not JSON, or null for a "
            "tombstone). Its CloudEvents headers are kept when it had them. Read by operators "
            "(`conseils ops dlq list/show/replay`), never by integrators."
        ),
        "headers": {
            "type": "object",
            "required": [
                DLQ_ORIGIN_TOPIC,
                DLQ_ORIGIN_PARTITION,
                DLQ_ORIGIN_OFFSET,
                DLQ_CONSUMER_GROUP,
                DLQ_ERROR,
                DLQ_ATTEMPTS,
                DLQ_FAILED_AT,
            ],
            "properties": {**ce, **origin},
        },
        "payload": {"description": "The original record's value, as it was."},
        "bindings": {
            "kafka": {"bindingVersion": BINDING_VERSION, "key": _string("The original record's key.")}
        },
    }


def _channel(address: str, base: str, *, dead_letters: bool, messages: dict[str, Any]) -> dict[str, Any]:
    configs = topic_configs(base, dead_letters=dead_letters)
    binding: dict[str, Any] = {
        "cleanup.policy": configs["cleanup.policy"].split(","),
        **{name: int(value) for name, value in configs.items() if name in _BINDING_CONFIGS},
    }
    channel: dict[str, Any] = {
        "address": address,
        "title": address,
        "description": (
            f"Dead letters of {address.removesuffix('.dlq')}."
            if dead_letters
            else f"Base topic `{base}`, prefixed by the territory."
        ),
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in sorted(messages)},
        "bindings": {
            "kafka": {
                "bindingVersion": BINDING_VERSION,
                "topic": address,
                "partitions": PARTITIONS,
                "topicConfiguration": binding,
            }
        },
        "x-topic-configs": configs,
    }
    return channel


def build_asyncapi(
    *,
    service_name: str,
    territory: str,
    bootstrap_servers: str,
    consumers: Sequence[EventConsumer],
    produces: Sequence[type[Event]],
    version: str,
) -> dict[str, Any]:
    schemas = _Schemas()
    messages: dict[str, Any] = {}
    channel_messages: dict[str, set[str]] = {}  # base topic (or "<base>.dlq") -> message names
    operations: dict[str, Any] = {}
    by_address = {topic_name(territory, base): base for base in {cls.topic for cls in EVENT_TYPES.values()}}

    def message(event_class: type[Event]) -> str:
        name = event_class.event_type
        if name not in messages:
            messages[name] = _event_message(event_class, schemas)
        channel_messages.setdefault(event_class.topic, set()).add(name)
        return name

    def tombstone(base: str) -> str:
        messages.setdefault(TOMBSTONE, _tombstone_message())
        channel_messages.setdefault(base, set()).add(TOMBSTONE)
        return TOMBSTONE

    def ref(base: str, name: str) -> dict[str, str]:
        return {"$ref": f"#/channels/{base}/messages/{name}"}

    sent: dict[str, list[str]] = {}
    for event_class in produces:
        sent.setdefault(event_class.topic, []).append(message(event_class))
        if event_class.topic in COMPACTED_TOPICS:
            # Erasure: a tombstone on the compacted topic and on its (compacted) dead letters.
            sent[event_class.topic].append(tombstone(event_class.topic))
            dead = f"{event_class.topic}.dlq"
            sent.setdefault(dead, []).append(tombstone(dead))
    for base, names in sorted(sent.items()):
        operations[f"send.{base}"] = {
            "action": "send",
            "title": f"Publish to {topic_name(territory, base.removesuffix('.dlq'))}"
            + (" dead letters" if base.endswith(".dlq") else ""),
            "summary": "Relayed from the service's transactional outbox (at least once, in order per key).",
            "channel": {"$ref": f"#/channels/{base}"},
            "messages": [ref(base, name) for name in sorted(set(names))],
        }

    dead_lettered: set[str] = set()
    for consumer in consumers:
        for address in consumer.topics:
            consumed = by_address.get(address)
            if consumed is None:
                continue
            base = consumed
            names = [message(cls) for cls in consumer.event_classes if cls.topic == base]
            if base in COMPACTED_TOPICS:
                names.append(tombstone(base))
            operations[f"receive.{consumer.name}.{base}"] = {
                "action": "receive",
                "title": f"{consumer.group_id} reads {address}",
                "summary": (
                    "Idempotent by ce_id; offsets committed after the database transaction; a failure is "
                    "retried with backoff, then dead-lettered. Types not listed are skipped."
                ),
                "channel": {"$ref": f"#/channels/{base}"},
                "messages": [ref(base, name) for name in sorted(set(names))],
                "bindings": {
                    "kafka": {
                        "bindingVersion": BINDING_VERSION,
                        "groupId": {"type": "string", "enum": [consumer.group_id]},
                    }
                },
            }
            dead_lettered.add(base)

    if dead_lettered:
        messages[DEAD_LETTER] = _dead_letter_message()
    for base in sorted(dead_lettered):
        channel_messages.setdefault(f"{base}.dlq", set()).add(DEAD_LETTER)
        operations[f"dead-letter.{base}"] = {
            "action": "send",
            "title": f"Dead-letter to {dlq_topic(topic_name(territory, base))}",
            "summary": "What this service's consumers could not process on that topic.",
            "channel": {"$ref": f"#/channels/{base}.dlq"},
            "messages": [ref(f"{base}.dlq", DEAD_LETTER)],
        }

    channels: dict[str, Any] = {}
    for key, on_channel in sorted(channel_messages.items()):
        is_dead = key.endswith(".dlq")
        key_base = key.removesuffix(".dlq")
        physical = topic_name(territory, key_base)
        channels[key] = _channel(
            dlq_topic(physical) if is_dead else physical,
            key_base,
            dead_letters=is_dead,
            messages=dict.fromkeys(on_channel),
        )

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"conseils — {service_name}",
            "version": version,
            "description": (
                f"Events consumed and produced by the {service_name} service of conseils, as they travel on "
                f"Kafka for the territory '{territory}'. Envelope: CloudEvents 1.0, Kafka protocol binding, "
                "binary content mode: `ce_*` headers (plus the `ce_correlationid` extension), JSON body, "
                "key = the aggregate id. A record is identified by its `ce_type` header."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": bootstrap_servers.split(",", maxsplit=1)[0],
                "protocol": "kafka",
                "description": f"Kafka cluster of territory '{territory}' (topics prefixed '{territory}.').",
            }
        },
        "channels": channels,
        "operations": dict(sorted(operations.items())),
        "components": {
            "messages": dict(sorted(messages.items())),
            "schemas": dict(sorted(schemas.components.items())),
        },
    }
