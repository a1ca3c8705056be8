"""The read model's rules, applied to the rows a batch read (`bulk.Working`), fact after fact.

- current state (`councils`, `members`): the newest `as_of` wins; an older fact arriving
  late only fills what is still unknown (a council) or changes nothing (a member);
- intervals (`member_periods`, `referent_terms`): each fact carries its own date, so the
  intervals converge whatever the order, and a duplicate changes nothing;
- erasure is final: whatever arrives later, she stays erased.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from conseils_runtime.registry_view.bulk import Row, Working, newer
from conseils_runtime.registry_view.history import covers
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    Event,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
)

UNKNOWN_START = date(1900, 1, 1)
"""`since` of an interval whose end arrived before its start (out-of-order facts)."""


class Rules:
    """Applies facts to a `Working` copy; `local_date` turns an instant into the territory's date."""

    def __init__(self, working: Working, local_date: Callable[[datetime], date]) -> None:
        self.w = working
        self.local_date = local_date

    def apply(self, event: Event, occurred_at: datetime) -> None:
        if isinstance(event, CouncilRegistered):
            self._council(
                event.council_id,
                occurred_at,
                {
                    "name": event.name,
                    "city": event.city,
                    "city_code": event.city_code,
                    "status": event.status,
                    "active": event.status != "suspended",
                },
            )
        elif isinstance(event, CouncilUpdated):
            values: dict[str, Any] = {
                name: getattr(event, name)
                for name in ("name", "city", "city_code", "status")
                if getattr(event, name) is not None
            }
            if event.status is not None:
                values["active"] = event.status != "suspended"
            self._council(event.council_id, occurred_at, values)
        elif isinstance(event, CouncilDissolved):
            self._council(event.council_id, occurred_at, {"status": "dissolved", "active": False})
            # The dissolution date is a fact of its own: kept whatever arrives later.
            self.w.councils[event.council_id]["dissolved_on"] = event.dissolved_on
        elif isinstance(event, MemberJoined):
            values = {
                "council_id": event.council_id,
                "role": event.role,
                "themes_followed": list(event.themes_followed),
                "active": True,
            }
            self._member(event.member_id, occurred_at, values)
            self._open_period(event.member_id, event.council_id, event.joined_on)
        elif isinstance(event, MemberUpdated):
            values = {"council_id": event.council_id}
            if event.role is not None:
                values["role"] = event.role
            if event.themes_followed is not None:
                values["themes_followed"] = list(event.themes_followed)
            self._member(event.member_id, occurred_at, values)
            self._move(event.member_id, event.council_id, self.local_date(occurred_at))
        elif isinstance(event, MemberLeft):
            self._member(event.member_id, occurred_at, {"active": False})
            self._close_period(event.member_id, event.council_id, event.left_on)
            self._close_terms_of(event.member_id, event.left_on)
        elif isinstance(event, MemberErased):
            erased_on = self.local_date(event.erased_at)
            self._member(event.member_id, occurred_at, {"active": False, "erased": True})
            self.w.members[event.member_id].update(active=False, erased=True)  # final
            self._close_open_periods(event.member_id, erased_on)
            self._close_terms_of(event.member_id, erased_on)
        elif isinstance(event, ReferentDesignated):
            self._open_term(event.council_id, event.theme, event.member_id, event.since)
        elif isinstance(event, ReferentWithdrawn):
            self._close_term(event.council_id, event.theme, event.member_id, event.until)

    # -- current state

    def _council(self, council_id: uuid.UUID, occurred_at: datetime, values: dict[str, Any]) -> None:
        row = self.w.councils.get(council_id)
        if row is None:
            # A later fact seen first: keep what it says; the registration fills the rest.
            self.w.councils[council_id] = {
                "council_id": council_id,
                **{"name": "", "city": "", "city_code": "", "status": "active", "active": True},
                "dissolved_on": None,
                **values,
                "as_of": occurred_at,
            }
        elif newer(occurred_at, row):
            row.update(values, as_of=occurred_at)
        else:  # older: only fill what is still unknown (a registration arriving after an update)
            row.update({name: value for name, value in values.items() if row.get(name) in ("", None)})

    def _member(self, member_id: uuid.UUID, occurred_at: datetime, values: dict[str, Any]) -> None:
        row = self.w.members.get(member_id)
        if row is None:
            self.w.members[member_id] = {
                "member_id": member_id,
                "council_id": None,
                **{"role": "member", "themes_followed": [], "active": True, "erased": False},
                **values,
                "as_of": occurred_at,
            }
        elif newer(occurred_at, row) and not row["erased"]:
            row.update(values, as_of=occurred_at)

    # -- member periods (since -> {"council_id", "until"}), in the order of their starts

    def _periods(self, member_id: uuid.UUID) -> list[tuple[date, Row]]:
        return sorted(self.w.periods.setdefault(member_id, {}).items(), key=lambda item: item[0])

    def _open_period(self, member_id: uuid.UUID, council_id: uuid.UUID, since: date) -> None:
        rows = self.w.periods.setdefault(member_id, {})
        if since in rows:
            return  # duplicate
        orphan = rows.get(UNKNOWN_START)
        if (
            orphan is not None
            and orphan["council_id"] == council_id
            and (orphan["until"] is None or orphan["until"] >= since)
        ):  # its end arrived first: now we know its start
            rows[since] = rows.pop(UNKNOWN_START)
            return
        # A period that starts later (a later move seen first) ends this one.
        later = [start for start in rows if start > since]
        # A period still open before this start ends where this one begins.
        for start, row in rows.items():
            if start < since and (row["until"] is None or row["until"] > since):
                row["until"] = since
        rows[since] = {"council_id": council_id, "until": min(later, default=None)}

    def _close_period(self, member_id: uuid.UUID, council_id: uuid.UUID, until: date) -> None:
        candidates = [
            (start, row) for start, row in self._periods(member_id) if start < until or start == UNKNOWN_START
        ]
        if not candidates:
            self.w.periods[member_id][UNKNOWN_START] = {"council_id": council_id, "until": until}
            return
        _start, last = candidates[-1]
        if last["until"] is None or last["until"] > until:
            last["until"] = until

    def _close_open_periods(self, member_id: uuid.UUID, until: date) -> None:
        for start, row in self.w.periods.setdefault(member_id, {}).items():
            if row["until"] is None and start < until:
                row["until"] = until

    def _move(self, member_id: uuid.UUID, council_id: uuid.UUID, on: date) -> None:
        """A MemberUpdated naming another council than the open period's: she moved on that day."""
        current = next(
            (row for start, row in reversed(self._periods(member_id)) if covers(start, row["until"], on)),
            None,
        )
        if current is None or current["council_id"] == council_id:
            return
        self._open_period(member_id, council_id, on)

    # -- referent terms ((council, theme, member, since) -> until)

    def _terms(
        self, council_id: uuid.UUID, theme: str, member_id: uuid.UUID
    ) -> list[tuple[date, date | None]]:
        rows = self.w.terms.setdefault(member_id, {})
        return sorted(
            (key[3], until) for key, until in rows.items() if key[0] == council_id and key[1] == theme
        )

    def _open_term(self, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, since: date) -> None:
        rows = self.w.terms.setdefault(member_id, {})
        terms = self._terms(council_id, theme, member_id)
        if any(start == since for start, _until in terms):
            return
        if any(start == UNKNOWN_START and (until is None or until >= since) for start, until in terms):
            rows[(council_id, theme, member_id, since)] = rows.pop(
                (council_id, theme, member_id, UNKNOWN_START)
            )
            return
        rows[(council_id, theme, member_id, since)] = None

    def _close_term(self, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, until: date) -> None:
        rows = self.w.terms.setdefault(member_id, {})
        candidates = [
            (start, end)
            for start, end in self._terms(council_id, theme, member_id)
            if start <= until or start == UNKNOWN_START
        ]
        if not candidates:
            rows[(council_id, theme, member_id, UNKNOWN_START)] = until
            return
        start, end = candidates[-1]
        if end is None or end > until:
            rows[(council_id, theme, member_id, start)] = until

    def _close_terms_of(self, member_id: uuid.UUID, until: date) -> None:
        rows = self.w.terms.setdefault(member_id, {})
        for key, end in rows.items():
            if key[3] < until and (end is None or end > until):
                rows[key] = until
