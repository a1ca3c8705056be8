"""The demo's past year reads as French a person would write (new user's report): titles name
the theme as the territory file does (« Comité technique « Emploi, insertion et développement
économique » », not the slug « emploi »), and « de » is elided before a city's vowel
(« CLIP d'Aubervilliers », « Hôtel de ville d'Aubervilliers »)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from conseils_meetings.demo import members_by_council, play_demo_year
from tests.support.french_text import problems

from .conftest import Harness

EMPLOI = "Emploi, insertion et développement économique"


async def test_the_demo_year_names_themes_and_elides_before_a_vowel(harness: Harness) -> None:
    service = harness.service
    harness.clock.now = datetime(2027, 9, 15, 8, tzinfo=UTC)
    assert await play_demo_year(service, await members_by_council(service), date(2027, 9, 15)) > 0

    instances = await service.list_instances(starts_from=None, starts_before=None)
    titles = {row.title for row in instances}
    locations = {row.location for row in instances}
    assert f"Comité technique « {EMPLOI} »" in titles
    assert f"Comité technique « {EMPLOI} » (vivier ouvert)" in titles
    assert {"CLIP d'Aubervilliers", "CLIP de Saint-Denis"} <= titles
    assert {"Hôtel de ville d'Aubervilliers", "Hôtel de ville de Saint-Denis"} <= locations

    facts = json.dumps([payload for _kind, payload in await harness.outbox()], ensure_ascii=False)
    assert "« emploi »" not in facts
    assert "de Aubervilliers" not in facts
    assert problems(" ".join(sorted(titles | locations))) == []
