"""The bilan's figures of the councils' voice (pure): per council, the opinions it gave on the
projects of the period's instances, by stance, and how many were followed (the decision went the
opinion's way: favourable and retenu, défavorable and refusé)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conseils_meetings.voice_rules import followed


@dataclass(frozen=True)
class OpinionOutcome:
    """One council's opinion on one project, and the decision taken on it (None: not yet)."""

    council_id: uuid.UUID
    stance: str
    decision: str | None
    instance_id: uuid.UUID | None = None  # the instance the project was submitted to


@dataclass(frozen=True)
class OpinionFigure:
    council_id: uuid.UUID
    label: str
    given: int
    favourable: int
    reserve: int
    defavorable: int
    decided: int
    followed: int

    def as_dict(self) -> dict[str, object]:
        return {
            "council_id": str(self.council_id),
            "label": self.label,
            "given": self.given,
            "favourable": self.favourable,
            "reserve": self.reserve,
            "defavorable": self.defavorable,
            "decided": self.decided,
            "followed": self.followed,
        }


def opinion_figures(rows: Iterable[OpinionOutcome], councils: Mapping[uuid.UUID, str]) -> list[OpinionFigure]:
    """One figure per council that gave at least one opinion, sorted by its name."""
    by_council: dict[uuid.UUID, list[OpinionOutcome]] = defaultdict(list)
    for row in rows:
        by_council[row.council_id].append(row)
    figures = [
        OpinionFigure(
            council_id=council_id,
            label=councils.get(council_id, "(conseil inconnu)"),
            given=len(items),
            favourable=sum(1 for i in items if i.stance == "favourable"),
            reserve=sum(1 for i in items if i.stance == "reserve"),
            defavorable=sum(1 for i in items if i.stance == "defavorable"),
            decided=sum(1 for i in items if i.decision is not None),
            followed=sum(1 for i in items if followed(i.stance, i.decision)),
        )
        for council_id, items in by_council.items()
    ]
    return sorted(figures, key=lambda f: (f.label, str(f.council_id)))
