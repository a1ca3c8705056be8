"""The AsyncAPI documents as outside clients read them: the official AsyncAPI parser
(JavaScript, `tools/asyncapi-check`) finds no error and no warning; a record is
claimed by exactly one message (its `ce_type` header), a tombstone and a dead letter
by theirs, and a record nobody sends by none."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from conseils_schemas import (
    CouncilRegistered,
    CouncilUpdated,
    EventMetadata,
    MemberContactCard,
    to_kafka_headers,
)
from tests.support.asyncapi_records import Catalogue
from tests.support.factories import council_registered

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs" / "asyncapi").glob("*.json"))
TOOL = ROOT / "tools" / "asyncapi-check"
TERRITORY = "plaine-commune"  # the committed documents are generated for the demo territory


def documents() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in DOCS}


def test_the_official_parser_finds_no_error_and_no_warning() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node, "Node.js is needed to run the official AsyncAPI parser (scripts/setup.sh)"
    assert npm, "npm is needed to install the official AsyncAPI parser (scripts/setup.sh)"
    if not (TOOL / "node_modules" / "@asyncapi" / "parser").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOL, check=True)
    result = subprocess.run(
        [node, "check.mjs", *map(str, DOCS)], cwd=TOOL, capture_output=True, text=True, check=False
    )
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == 3, result.stderr
    for report in reports:
        assert report["parsed"], report
        assert report["errors"] == [], report
        assert report["warnings"] == [], report
        assert report["messages"] > 0


def council() -> CouncilRegistered:
    return council_registered(territory=TERRITORY)


def headers_of(event: Any) -> list[tuple[str, bytes]]:
    metadata = EventMetadata.for_event(event, source="/conseils/plaine-commune/registry")
    return to_kafka_headers(metadata)


def test_each_record_is_claimed_by_the_message_of_its_type_only() -> None:
    catalogue = Catalogue(documents())
    event = council()
    topic = f"{TERRITORY}.registry.councils"
    value = event.model_dump_json().encode()
    # A CouncilRegistered body also fits CouncilUpdated's payload: the header decides.
    assert catalogue.claims(topic, value, headers_of(event)) == {CouncilRegistered.event_type}
    updated = CouncilUpdated.model_validate(event.model_dump() | {"status": "active"})
    assert catalogue.claims(topic, updated.model_dump_json().encode(), headers_of(updated)) == {
        CouncilUpdated.event_type
    }
    # On another topic, or with an unknown type, nothing claims it.
    assert catalogue.claims(f"{TERRITORY}.meetings.instances", value, headers_of(event)) == set()
    forged = [
        (n, b"fr.conseils.registry.council.renamed.v1" if n == "ce_type" else v) for n, v in headers_of(event)
    ]
    assert catalogue.claims(topic, value, forged) == set()


def test_tombstones_and_dead_letters_have_their_own_messages() -> None:
    catalogue = Catalogue(documents())
    contacts = f"{TERRITORY}.registry.member-contacts"
    assert catalogue.claims(contacts, None, []) == {"tombstone"}
    relayed = [("content-type", b""), ("correlation_id", b"4b1f")]  # what FastStream adds
    assert catalogue.claims(contacts, None, relayed) == {"tombstone"}
    assert catalogue.claims(f"{contacts}.dlq", None, []) == {"tombstone"}
    card = MemberContactCard(member_id=uuid.uuid4(), display_name="A", email="a@exemple.fr", language="fr")
    dead = [
        *headers_of(card),
        ("dlq_origin_topic", contacts.encode()),
        ("dlq_origin_partition", b"0"),
        ("dlq_origin_offset", b"12"),
        ("dlq_consumer_group", b"plaine-commune.notifications.contacts"),
        ("dlq_error", b"ValidationError: email"),
        ("dlq_attempts", b"3"),
        ("dlq_failed_at", b"2026-12-01T10:00:00+00:00"),
    ]
    assert catalogue.claims(f"{contacts}.dlq", b"not json at all", dead) == {"dead-letter"}
    # a record on a dead-letter topic without its origin headers is claimed by nothing
    assert catalogue.claims(f"{contacts}.dlq", b"{}", headers_of(card)) == set()


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_messages_carry_headers_key_and_channels_their_topic_configs(path: Path) -> None:
    document = json.loads(path.read_text())
    for name, message in document["components"]["messages"].items():
        assert "headers" in message, name
        assert "key" in message["bindings"]["kafka"], name
    for channel in document["channels"].values():
        binding = channel["bindings"]["kafka"]
        assert binding["topic"] == channel["address"]
        assert binding["topicConfiguration"]["cleanup.policy"], channel["address"]
    dead_letter_channels = [c for c in document["channels"].values() if c["address"].endswith(".dlq")]
    assert dead_letter_channels, "the consumers' dead-letter topics are described"
