"""The bilan's figures per participation scenario (pure): for each instance type whose territory
file dates its scenarios (`participation:`), the held instances of each scenario's period in one
row, so that « référent par thématique » and « vivier ouvert » are read side by side.

`scenario_periods` details each period for the comparison of the bilan page: presence per
council and theme, the referents' presence, the councils represented at each instance and
the opinions given and followed, the referents' substitutes' and the rota's members' presence;
the rotation scenario (tour de rôle) is a period like the others."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from conseils_meetings.bilan import HELD, BilanInstance, Row, compute_bilan
from conseils_meetings.voice_figures import OpinionOutcome
from conseils_meetings.voice_rules import followed
from conseils_runtime.territory import TerritoryConfig

SCENARIO_LABELS = {
    "referent_par_thematique": "référent·e par thématique",
    "vivier_ouvert": "vivier ouvert",
    "rotation": "tour de rôle",
}


def _groups(
    instances: Sequence[BilanInstance], territory: TerritoryConfig
) -> dict[tuple[str, str], list[BilanInstance]]:
    groups: dict[tuple[str, str], list[BilanInstance]] = defaultdict(list)
    for instance in instances:
        if instance.instance_type in territory.participation:
            day = instance.local_day
            groups[(instance.instance_type, territory.scenario_on(instance.instance_type, day))].append(
                instance
            )
    return groups


def _label(territory: TerritoryConfig, kind: str, chosen: str) -> str:
    names = {kind.slug: kind.name for kind in territory.instance_types}
    return f"{names.get(kind, kind)} — {SCENARIO_LABELS.get(chosen, chosen)}"


def scenario_rows(
    period_from: date, period_to: date, instances: Sequence[BilanInstance], territory: TerritoryConfig
) -> list[Row]:
    rows = []
    for (kind, chosen), group in sorted(_groups(instances, territory).items()):
        total = compute_bilan(period_from, period_to, group, councils={}, themes={}, outcomes=[]).total
        rows.append(
            replace(total, level="scenario", key=f"{kind}:{chosen}", label=_label(territory, kind, chosen))
        )
    return rows


@dataclass(frozen=True)
class ScenarioPeriod:
    """One instance type under one scenario over the bilan's period."""

    instance_type: str
    scenario: str
    label: str
    first_day: date | None
    last_day: date | None
    total: Row
    by_council: list[Row]
    by_theme: list[Row]
    councils_concerned: int  # summed over the held instances
    councils_represented: int  # of them, with at least one member present
    opinions_given: int
    opinions_decided: int
    opinions_followed: int
    substitutes_expected: int = 0  # referents' substitutes of the concerned councils, over held instances
    substitutes_present: int = 0
    turns_expected: int = 0  # members whose turn it was (rotation), over held instances
    turns_present: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "instance_type": self.instance_type,
            "scenario": self.scenario,
            "label": self.label,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "total": self.total.as_dict(),
            "by_council": [row.as_dict() for row in self.by_council],
            "by_theme": [row.as_dict() for row in self.by_theme],
            "councils_concerned": self.councils_concerned,
            "councils_represented": self.councils_represented,
            "opinions_given": self.opinions_given,
            "opinions_decided": self.opinions_decided,
            "opinions_followed": self.opinions_followed,
            "substitutes_expected": self.substitutes_expected,
            "substitutes_present": self.substitutes_present,
            "turns_expected": self.turns_expected,
            "turns_present": self.turns_present,
        }


def scenario_periods(
    period_from: date,
    period_to: date,
    instances: Sequence[BilanInstance],
    territory: TerritoryConfig,
    *,
    councils: dict[uuid.UUID, str],
    opinions: Sequence[OpinionOutcome] = (),
    substitutes: Mapping[uuid.UUID, set[uuid.UUID]] | None = None,
    turns: Mapping[uuid.UUID, set[uuid.UUID]] | None = None,
) -> list[ScenarioPeriod]:
    """Per instance type with dated scenarios, one period per scenario in force, in date order.

    `substitutes` and `turns` (per instance id, the members designated: the referents' substitutes,
    the members whose turn it was) give their presence at the held instances."""
    substitutes, turns = substitutes or {}, turns or {}
    themes = {theme.slug: theme.name for theme in territory.themes}
    periods = []
    for (kind, chosen), group in _groups(instances, territory).items():
        in_period = [i for i in group if period_from <= i.local_day <= period_to]
        held = [i for i in in_period if i.status in HELD]
        figures = compute_bilan(period_from, period_to, group, councils=councils, themes=themes, outcomes=[])
        ids = {i.id for i in in_period}
        voiced = [o for o in opinions if o.instance_id in ids]
        days = sorted(i.local_day for i in in_period)
        periods.append(
            ScenarioPeriod(
                instance_type=kind,
                scenario=chosen,
                label=_label(territory, kind, chosen),
                first_day=days[0] if days else None,
                last_day=days[-1] if days else None,
                total=figures.total,
                by_council=[row for row in figures.by_council if row.instances_concerned],
                by_theme=[row for row in figures.by_theme if row.instances_concerned],
                councils_concerned=sum(len(i.concerned) for i in held),
                councils_represented=sum(
                    len(set(i.concerned) & {c for c in i.present.values() if c is not None}) for i in held
                ),
                opinions_given=len(voiced),
                opinions_decided=sum(1 for o in voiced if o.decision is not None),
                opinions_followed=sum(1 for o in voiced if followed(o.stance, o.decision)),
                substitutes_expected=sum(len(substitutes.get(i.id, ())) for i in held),
                substitutes_present=sum(len(substitutes.get(i.id, set()) & set(i.present)) for i in held),
                turns_expected=sum(len(turns.get(i.id, ())) for i in held),
                turns_present=sum(len(turns.get(i.id, set()) & set(i.present)) for i in held),
            )
        )
    return sorted(periods, key=lambda p: (p.instance_type, p.first_day or date.min, p.scenario))
