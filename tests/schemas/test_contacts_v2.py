"""Issue 19 item 4: the contact card v2 (email optional) next to the released v1 card."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from conseils_schemas import (
    REGISTRY_MEMBER_CONTACTS,
    MemberContactCard,
    MemberContactCardV2,
    event_schema,
    incompatible_changes,
    parse_event,
)

MEMBER = uuid.uuid4()
V1 = "fr.conseils.registry.member.contact_card.v1"
V2 = "fr.conseils.registry.member.contact_card.v2"


def test_v2_is_a_new_type_on_the_same_topic_with_the_same_key() -> None:
    assert MemberContactCardV2.event_type == V2
    assert MemberContactCard.event_type == V1
    assert MemberContactCardV2.topic == MemberContactCard.topic == REGISTRY_MEMBER_CONTACTS
    card = MemberContactCardV2(member_id=MEMBER, display_name="Mariama Traoré", phone="+33612345678")
    assert card.partition_key() == str(MEMBER)


def test_a_phone_only_card_round_trips() -> None:
    card = MemberContactCardV2(
        member_id=MEMBER,
        display_name="Mariama Traoré",
        phone="+33612345678",
        consent_given_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    )
    body = json.loads(card.to_json_bytes())
    assert body["email"] is None
    assert parse_event(V2, card.to_json_bytes()) == card


def test_v2_needs_an_email_or_a_phone_and_checks_the_email() -> None:
    with pytest.raises(ValidationError, match="needs an email or a phone"):
        MemberContactCardV2(member_id=MEMBER, display_name="Mariama Traoré")
    with pytest.raises(ValidationError, match="email address is not valid"):
        MemberContactCardV2(member_id=MEMBER, display_name="Mariama Traoré", email="pas-une-adresse")
    with_email = MemberContactCardV2(member_id=MEMBER, display_name="Léa Petit", email="lea@demo.example")
    assert with_email.phone is None


def test_v1_still_requires_an_email() -> None:
    with pytest.raises(ValidationError):
        MemberContactCard(member_id=MEMBER, display_name="Mariama Traoré", phone="+33612345678")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        parse_event(V1, json.dumps({"member_id": str(MEMBER), "display_name": "M", "email": None}).encode())


def test_v1_is_unchanged_and_an_optional_email_in_v1_would_have_been_breaking(
    exported_dir: Path, baseline_dir: Path
) -> None:
    baseline = json.loads((baseline_dir / f"{V1}.json").read_text(encoding="utf-8"))
    current = json.loads((exported_dir / f"{V1}.json").read_text(encoding="utf-8"))
    assert incompatible_changes(baseline, current) == []
    assert current["required"] == baseline["required"]
    assert "email" in current["required"]
    # Why a v2: the v2 body, read as a v1 one, breaks the catalogue's rule (email nullable, optional).
    problems = incompatible_changes(baseline, event_schema(MemberContactCardV2))
    assert any(problem.startswith("$.email") for problem in problems), problems
    exported_v2 = json.loads((exported_dir / f"{V2}.json").read_text(encoding="utf-8"))
    assert incompatible_changes(exported_v2, event_schema(MemberContactCardV2)) == []
