"""The scheduling rules at their exact limits, with the territory's own instance types
(territories/plaine-commune.yaml): a political instance may start at 18:00 on a weekday, not at
17:59; a notice of exactly `min_notice_days` is enough, one day (or one minute) less is short.
Each case fails when its comparison is loosened or tightened by one step (`>=` / `<`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conseils_meetings import domain
from conseils_runtime.territory import InstanceType, default_territory_path, load_territory

TERRITORY = load_territory(default_territory_path())
ZONE = ZoneInfo(TERRITORY.territory.timezone)
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("UTC"))  # a Monday
POLITICAL = [kind for kind in TERRITORY.instance_types if kind.political and kind.evening_rule]


def codes(kind_slug: str, starts_at: datetime) -> list[str]:
    kind = TERRITORY.instance_type(kind_slug)
    return [b.code for b in domain.policy_breaches(kind, starts_at, NOW, TERRITORY.territory.timezone)]


@pytest.mark.parametrize("kind", POLITICAL, ids=lambda kind: kind.slug)
def test_a_political_instance_at_the_rules_exact_hour_is_evening_and_a_minute_before_is_not(
    kind: InstanceType,
) -> None:
    assert kind.evening_rule is not None
    earliest = kind.evening_rule.weekday_earliest_start
    tuesday = datetime(2027, 4, 13, earliest.hour, earliest.minute, tzinfo=ZONE)  # well ahead of any notice
    assert tuesday.weekday() == 1
    assert codes(kind.slug, tuesday) == []
    assert codes(kind.slug, tuesday - timedelta(minutes=1)) == ["daytime_political_instance"]
    assert domain.time_slot(tuesday, TERRITORY.territory.timezone) == "weekday_evening"
    assert domain.time_slot(tuesday - timedelta(minutes=1), TERRITORY.territory.timezone) == "working_hours"


@pytest.mark.parametrize("kind", TERRITORY.instance_types, ids=lambda kind: kind.slug)
def test_a_notice_of_exactly_min_notice_days_is_enough_and_one_day_short_is_not(kind: InstanceType) -> None:
    exact = datetime(2027, 4, 13, 19, 0, tzinfo=ZONE)  # a Tuesday evening: no other rule in the way
    now = exact - timedelta(days=kind.min_notice_days)  # the notice is exactly the rule
    breaches = domain.policy_breaches
    zone = TERRITORY.territory.timezone
    assert [b.code for b in breaches(kind, exact, now, zone)] == []
    assert [b.code for b in breaches(kind, exact, now + timedelta(days=1), zone)] == ["short_notice"]
    assert [b.code for b in breaches(kind, exact, now + timedelta(minutes=1), zone)] == ["short_notice"]
