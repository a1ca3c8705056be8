"""AsyncAPI 3 document of a service, generated from its code.

The consumers process raw bytes (they validate and dead-letter themselves),
so their FastStream signatures say nothing useful about payloads. The
document is therefore built on a specification-only broker that mirrors the
real registrations: one subscriber per consumer group with one typed handler
per event class it handles, and one publisher per event class the service
declares it produces (the outbox refuses undeclared events, so the document
cannot drift from the code). That broker never connects.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI, get_asyncapi_html

from conseils_schemas import Event, schema_id, topic_name

if TYPE_CHECKING:
    from conseils_runtime.consumer import EventConsumer


def _typed_handler(event_class: type[Event]) -> Callable[..., Awaitable[None]]:
    async def handler(body: Any) -> None:  # pragma: no cover - documentation only
        return None

    handler.__annotations__ = {"body": event_class, "return": None}
    handler.__name__ = event_class.__name__
    handler.__qualname__ = event_class.__name__
    return handler


def build_asyncapi(
    *,
    service_name: str,
    territory: str,
    bootstrap_servers: str,
    consumers: Sequence[EventConsumer],
    produces: Sequence[type[Event]],
    version: str,
) -> dict[str, Any]:
    broker = KafkaBroker(
        bootstrap_servers,
        description=f"Kafka cluster of territory '{territory}' (topics prefixed '{territory}.')",
    )
    for consumer in consumers:
        for topic in consumer.topics:
            subscriber = broker.subscriber(
                topic,
                group_id=consumer.group_id,
                title=f"{consumer.group_id}:{topic}",
                description=(
                    f"Consumer group {consumer.group_id}: idempotent by ce_id, commits after its database "
                    "transaction; failures retried then sent to <topic>.dlq. Other types are ignored."
                ),
            )
            for event_class in consumer.event_classes:
                if topic_name(territory, event_class.topic) == topic:
                    subscriber(filter=lambda _message: True)(_typed_handler(event_class))
    for event_class in produces:
        broker.publisher(
            topic_name(territory, event_class.topic),
            title=f"{event_class.event_type}",
            description=(
                f"CloudEvents binary mode: ce_type={event_class.event_type}, "
                f"ce_dataschema={schema_id(event_class.event_type)}, key={event_class.key_field}."
            ),
            schema=event_class,
        )
    specification = AsyncAPI(
        broker,
        title=f"conseils — {service_name}",
        version=version,
        description=(
            f"Events consumed and produced by the {service_name} service of conseils. "
            "Envelope: CloudEvents 1.0, Kafka protocol binding, binary content mode (ce_* headers, "
            "ce_correlationid extension, JSON body)."
        ),
        schema_version="3.0.0",
    ).to_specification()
    document: dict[str, Any] = json.loads(specification.to_json())
    return document


def asyncapi_html(document: dict[str, Any]) -> str:
    """The AsyncAPI viewer page, without FastStream's "try it out" endpoint."""
    from faststream.specification.asyncapi.v3_0_0.schema import ApplicationSchema

    return get_asyncapi_html(ApplicationSchema.model_validate(document), try_it_out_path=None)
