"""JSON Schema (draft 2020-12) documents of the event catalogue.

This module owns how a model becomes a published contract: the ``$id`` of each
schema (also used as CloudEvents ``dataschema``), its title, the ``x-`` keywords
that tell integrators the topic and key, and the canonical text form of the file
(sorted keys, 2-space indent, trailing newline).
"""

from __future__ import annotations

import json
from typing import Any, Final

from .events import CONTACT_TOMBSTONE_DOC, Event
from .registry import EVENT_TYPES
from .topics import REGISTRY_MEMBER_CONTACTS

__all__ = [
    "DRAFT_2020_12",
    "SCHEMA_ID_PREFIX",
    "TOMBSTONE_NOTE_FILENAME",
    "all_schema_files",
    "dumps_schema",
    "event_schema",
    "schema_filename",
    "schema_id",
]

DRAFT_2020_12: Final = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_PREFIX: Final = "urn:conseils:schema:"
TOMBSTONE_NOTE_FILENAME: Final = f"{REGISTRY_MEMBER_CONTACTS}.tombstone.md"


def schema_id(event_type: str) -> str:
    """``$id`` of the schema of ``event_type`` (a URN, also the CloudEvents ``dataschema``)."""
    return SCHEMA_ID_PREFIX + event_type


def schema_filename(event_type: str) -> str:
    """File name of the schema of ``event_type``: ``<event type>.json``."""
    return f"{event_type}.json"


def event_schema(model: type[Event]) -> dict[str, Any]:
    """JSON Schema of ``model`` with ``$schema``, ``$id``, title and ``x-`` routing hints."""
    schema: dict[str, Any] = model.model_json_schema(mode="validation")
    schema["$schema"] = DRAFT_2020_12
    schema["$id"] = schema_id(model.event_type)
    schema["title"] = model.__name__
    schema["x-event-type"] = model.event_type
    schema["x-topic"] = model.topic
    schema["x-partition-key"] = model.key_field
    return schema


def dumps_schema(schema: dict[str, Any]) -> str:
    """Canonical text of a schema file: sorted keys, indent 2, UTF-8, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def all_schema_files() -> dict[str, str]:
    """Every file of the exported schema directory: file name -> exact content."""
    files = {schema_filename(name): dumps_schema(event_schema(model)) for name, model in EVENT_TYPES.items()}
    files[TOMBSTONE_NOTE_FILENAME] = CONTACT_TOMBSTONE_DOC
    return files
