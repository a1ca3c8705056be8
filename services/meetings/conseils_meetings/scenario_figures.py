"""The bilan's figures per participation scenario (pure): for each instance type whose territory
file dates its scenarios (`participation:`), the held instances of each scenario's period in one
row, so that « référent par thématique » and « vivier ouvert » are read side by side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from conseils_meetings.bilan import BilanInstance, Row, compute_bilan
from conseils_runtime.territory import TerritoryConfig

SCENARIO_LABELS = {"referent_par_thematique": "référent·e par thématique", "vivier_ouvert": "vivier ouvert"}


def scenario_rows(
    period_from: date, period_to: date, instances: Sequence[BilanInstance], territory: TerritoryConfig
) -> list[Row]:
    groups: dict[tuple[str, str], list[BilanInstance]] = defaultdict(list)
    for instance in instances:
        if instance.instance_type in territory.participation:
            day = instance.local_day
            groups[(instance.instance_type, territory.scenario_on(instance.instance_type, day))].append(
                instance
            )
    names = {kind.slug: kind.name for kind in territory.instance_types}
    rows = []
    for (kind, chosen), group in sorted(groups.items()):
        total = compute_bilan(period_from, period_to, group, councils={}, themes={}, outcomes=[]).total
        label = f"{names.get(kind, kind)} — {SCENARIO_LABELS.get(chosen, chosen)}"
        rows.append(replace(total, level="scenario", key=f"{kind}:{chosen}", label=label))
    return rows
