"""(c) No personal contact data outside the compacted contacts topic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conseils_schemas import COMPACTED_TOPICS, EVENT_TYPES, REGISTRY_MEMBER_CONTACTS, event_schema

# Field names that denote personal contact or identity data. Matched on the whole
# field name and on each of its snake_case words.
DENIED_NAMES = frozenset(
    {
        "name",
        "display_name",
        "full_name",
        "first_name",
        "last_name",
        "given_name",
        "family_name",
        "surname",
        "firstname",
        "lastname",
        "nickname",
        "username",
        "email",
        "email_address",
        "mail",
        "phone",
        "phone_number",
        "mobile",
        "telephone",
        "tel",
        "address",
        "postal_address",
        "street",
        "street_address",
        "postcode",
        "postal_code",
        "zip",
        "zipcode",
        "birth_date",
        "date_of_birth",
        "birthdate",
        "birthday",
        "contact",
        "contacts",
        "iban",
        "social_security_number",
    }
)
DENIED_WORDS = frozenset(
    {
        "email",
        "mail",
        "phone",
        "mobile",
        "telephone",
        "address",
        "street",
        "surname",
        "firstname",
        "lastname",
        "birthdate",
        "birthday",
        "iban",
    }
)
# Public data that happens to use a denied word: (model title, field).
ALLOWED = frozenset(
    {
        ("CouncilRegistered", "name"),  # a council's name is public
        ("CouncilUpdated", "name"),
        # A directory entry is an organisation, scheme or place: its public name, postal
        # address and functional mailbox (accueil@...) are institutional, not personal.
        ("DirectoryEntrySaved", "name"),
        ("DirectoryEntrySaved", "address"),
        ("DirectoryEntrySaved", "contact_email"),
    }
)


def field_names(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (owner title, field name) for every property, recursively, $defs included."""

    def walk(node: Any, owner: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            owner = node.get("title", owner) if "properties" in node else owner
            for name in node.get("properties", {}) if isinstance(node.get("properties"), dict) else {}:
                yield owner, name
            for value in node.values():
                yield from walk(value, owner)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, owner)

    yield from walk(schema, str(schema.get("title", "?")))


def personal_fields(schema: dict[str, Any]) -> list[str]:
    found = []
    for owner, name in field_names(schema):
        lowered = name.lower()
        words = set(lowered.split("_"))
        if (lowered in DENIED_NAMES or words & DENIED_WORDS) and (owner, name) not in ALLOWED:
            found.append(f"{owner}.{name}")
    return found


EXPORTED = sorted((Path(__file__).resolve().parents[2] / "schemas" / "jsonschema").glob("*.json"))
# The compacted contacts topic is the one place for personal data (erased by tombstone).
OUTSIDE_CONTACTS = [
    file
    for file in EXPORTED
    if json.loads(file.read_text(encoding="utf-8"))["x-topic"] not in COMPACTED_TOPICS
]


def test_the_contacts_topic_is_the_only_one_left_out() -> None:
    left_out = sorted(file.stem for file in EXPORTED if file not in OUTSIDE_CONTACTS)
    assert left_out == [  # the contact card, v1 and v2 (issue 19: a member without email)
        "fr.conseils.registry.member.contact_card.v1",
        "fr.conseils.registry.member.contact_card.v2",
    ]


@pytest.mark.parametrize("file", OUTSIDE_CONTACTS, ids=[f.stem for f in OUTSIDE_CONTACTS])
def test_no_personal_data_outside_contacts_topic(file: Path) -> None:
    schema = json.loads(file.read_text(encoding="utf-8"))
    assert personal_fields(schema) == [], f"{file.name} carries personal contact data"


def test_live_models_too() -> None:
    for model in EVENT_TYPES.values():
        if model.topic != REGISTRY_MEMBER_CONTACTS:
            assert personal_fields(event_schema(model)) == [], model.__name__


def test_checker_catches_contact_card_and_nested_fields() -> None:
    card = next(m for m in EVENT_TYPES.values() if m.topic == REGISTRY_MEMBER_CONTACTS)
    assert {"MemberContactCard.display_name", "MemberContactCard.email", "MemberContactCard.phone"} <= set(
        personal_fields(event_schema(card))
    )
    nested = {
        "title": "X",
        "properties": {"who": {"$ref": "#/$defs/Person"}},
        "$defs": {"Person": {"title": "Person", "properties": {"home_address": {}, "name": {}}}},
    }
    assert personal_fields(nested) == ["Person.home_address", "Person.name"]


def test_only_contacts_topic_is_compacted() -> None:
    assert {REGISTRY_MEMBER_CONTACTS} == COMPACTED_TOPICS
