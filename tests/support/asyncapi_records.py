"""Which message of the AsyncAPI documents claims a Kafka record, as an outside client reads them.

A record (topic, key, value bytes, headers) is claimed by a message when the message sits on a
channel whose `address` is the record's topic, the record's headers validate against the
message's `headers` schema and its value against its `payload` (JSON, or `null` for a
tombstone). The documents must say, for every record of a real flow, exactly one message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs


@dataclass(frozen=True)
class Claim:
    document: str
    message: str


class Catalogue:
    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        # (address, message name) -> (document name, headers validator, payload validator or None = any)
        self._by_address: dict[str, list[tuple[Claim, Any, Any]]] = {}
        for doc_name, document in documents.items():
            components = document.get("components", {})
            for channel in document["channels"].values():
                for ref in channel["messages"].values():
                    name = ref["$ref"].rsplit("/", 1)[-1]
                    message = components["messages"][name]
                    headers = jsonschema_rs.validator_for(message.get("headers", {}))
                    payload_schema = message.get("payload", {})
                    payload = jsonschema_rs.validator_for(
                        {"components": components, **payload_schema}
                        if "$ref" in payload_schema
                        else payload_schema
                    )
                    self._by_address.setdefault(channel["address"], []).append(
                        (Claim(doc_name, name), headers, payload)
                    )

    def claims(self, topic: str, value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> set[str]:
        """Names of the messages (across documents) that claim this record."""
        header_values = {name: raw.decode("utf-8", "replace") for name, raw in headers}
        if value is None:
            body: Any = None
        else:
            try:
                body = json.loads(value)
            except ValueError:
                body = value.decode("utf-8", "replace")  # e.g. the bytes of a dead letter
        found: set[str] = set()
        for claim, header_validator, payload_validator in self._by_address.get(topic, []):
            if header_validator.is_valid(header_values) and payload_validator.is_valid(body):
                found.add(claim.message)
        return found

    def unclaimed_or_ambiguous(
        self, records: Iterable[tuple[str, Any]]
    ) -> list[tuple[str, int, set[str], Any]]:
        """Every record (topic, aiokafka ConsumerRecord) not claimed by exactly one message,
        with what claimed it and its headers (to tell why)."""
        problems = []
        for topic, record in records:
            found = self.claims(topic, record.value, record.headers)
            if len(found) != 1:
                problems.append((topic, record.offset, found, list(record.headers)))
        return problems
