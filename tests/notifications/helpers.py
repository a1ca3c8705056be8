"""Event factories shared by the notifications tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from conseils_schemas import (
    CouncilRegistered,
    InstanceScheduled,
    MemberContactCard,
    MemberJoined,
    ReferentDesignated,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def council(name: str = "Conseil citoyen Franc-Moisin", city_code: str = "93066") -> CouncilRegistered:
    return CouncilRegistered(
        council_id=uuid.uuid4(),
        territory="plaine-commune",
        city="Saint-Denis",
        city_code=city_code,
        neighbourhood="Franc-Moisin",
        name=name,
    )


def member(council_id: uuid.UUID, themes: list[str] | None = None) -> MemberJoined:
    return MemberJoined(
        member_id=uuid.uuid4(),
        council_id=council_id,
        college="habitants",
        joined_on=date(2025, 1, 1),
        themes_followed=themes or [],
    )


def contact(member_id: uuid.UUID, name: str, email: str, *, consent: bool = True) -> MemberContactCard:
    """Her contact card; she agreed to be contacted unless `consent=False` (then nothing is sent)."""
    return MemberContactCard(
        member_id=member_id, display_name=name, email=email, consent_given_at=NOW if consent else None
    )


def referent(council_id: uuid.UUID, member_id: uuid.UUID, theme: str = "emploi") -> ReferentDesignated:
    return ReferentDesignated(council_id=council_id, theme=theme, member_id=member_id, since=date(2025, 1, 1))


def scheduled(
    *,
    starts_in_days: float = 30,
    theme: str | None = "emploi",
    scope: Literal["territory", "city", "theme", "council"] = "theme",
    sequence: int = 0,
) -> InstanceScheduled:
    starts = NOW + timedelta(days=starts_in_days)
    return InstanceScheduled(
        instance_id=uuid.uuid4(),
        instance_type="comite-technique" if scope == "theme" else "copil",
        title="Comité technique Emploi" if scope == "theme" else "Comité de pilotage",
        theme=theme,
        scope=scope,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Mairie de Saint-Denis",
        is_political=False,
        is_evening=True,
        sequence=sequence,
    )
