"""Lookup of event models by CloudEvents type, and payload parsing.

This module owns :data:`EVENT_TYPES` (every concrete :class:`Event` subclass,
keyed by its ``event_type``) and :func:`parse_event`, the one call a consumer
needs to turn ``(ce_type header, record value)`` into a typed model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from . import events
from .events import Event

__all__ = [
    "EVENT_TYPES",
    "UnknownEventType",
    "event_types_for_topic",
    "model_for",
    "parse_event",
]


class UnknownEventType(ValueError):
    """The CloudEvents type is not in this version of the catalogue."""


def _concrete_subclasses(cls: type[Event]) -> Iterator[type[Event]]:
    for sub in cls.__subclasses__():
        if "event_type" in sub.__dict__:
            yield sub
        yield from _concrete_subclasses(sub)


def _build() -> dict[str, type[Event]]:
    # Import for the side effect of defining every model (explicit, and keeps ruff quiet).
    assert events.Event is Event
    found: dict[str, type[Event]] = {}
    for model in _concrete_subclasses(Event):
        if not model.__module__.startswith(events.__name__ + "."):
            continue  # subclasses defined elsewhere (tests, consumers) are not the catalogue
        previous = found.setdefault(model.event_type, model)
        if previous is not model:
            raise RuntimeError(
                f"event type {model.event_type!r} defined twice: {previous.__name__} and {model.__name__}"
            )
    return dict(sorted(found.items()))


EVENT_TYPES: Final[dict[str, type[Event]]] = _build()
"""Every event model of the catalogue, keyed by full CloudEvents type (sorted)."""


def model_for(event_type: str) -> type[Event]:
    """Model class of ``event_type``; raises :class:`UnknownEventType`."""
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def parse_event(event_type: str, data: bytes) -> Event:
    """Validate the JSON record value ``data`` as the model of ``event_type``.

    Raises :class:`UnknownEventType` for a type not in the catalogue (a consumer
    usually skips it) and :class:`pydantic.ValidationError` for an invalid body
    (a consumer sends it to the dead-letter topic). Unknown fields are ignored.
    """
    return model_for(event_type).model_validate_json(data)


def event_types_for_topic(base_topic: str) -> dict[str, type[Event]]:
    """The event models published on ``base_topic`` (a base name, without territory prefix)."""
    return {name: model for name, model in EVENT_TYPES.items() if model.topic == base_topic}
