"""The read model's validity intervals in memory: "as of D" answers without a query per date."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Any


def covers(since: date, until: date | None, day: date) -> bool:
    """Is `day` inside the interval [since, until)?"""
    return since <= day and (until is None or day < until)


class RegistryHistory:
    """The read model's intervals in memory: "as of D" answers without a query per date."""

    def __init__(
        self,
        periods: list[tuple[Any, ...]],
        terms: list[tuple[Any, ...]],
        councils: dict[uuid.UUID, tuple[str, str, str, date | None]],
    ) -> None:
        self._periods_by_council: dict[uuid.UUID, list[tuple[uuid.UUID, date, date | None]]] = defaultdict(
            list
        )
        for member_id, council_id, since, until in periods:
            self._periods_by_council[council_id].append((member_id, since, until))
        self._terms: dict[tuple[uuid.UUID, str], list[tuple[uuid.UUID, date, date | None]]] = defaultdict(
            list
        )
        for council_id, theme, member_id, since, until in terms:
            self._terms[(council_id, theme)].append((member_id, since, until))
        self.councils = councils

    def members_on(self, council_id: uuid.UUID, day: date) -> frozenset[uuid.UUID]:
        return frozenset(
            member
            for member, since, until in self._periods_by_council.get(council_id, ())
            if covers(since, until, day)
        )

    def referents_on(self, council_id: uuid.UUID, theme: str, day: date) -> frozenset[uuid.UUID]:
        return frozenset(
            member
            for member, since, until in self._terms.get((council_id, theme), ())
            if covers(since, until, day)
        )

    def council_exists_on(self, council_id: uuid.UUID, day: date) -> bool:
        council = self.councils.get(council_id)
        return council is not None and (council[3] is None or day < council[3])
