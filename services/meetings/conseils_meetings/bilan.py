"""The bilan (participation review) over a period, as a pure function of plain data.

`compute_bilan` takes what happened (instances with their concerned councils,
registrations, attendance, referents, dossier dates, and the forum outcomes)
and returns figures per council, per theme and per instance type. No I/O: the
query layer (`reports.py`) builds the input from the database.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

HELD = frozenset({"held", "minutes_published"})


@dataclass(frozen=True)
class BilanRegistration:
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: str
    status: str


@dataclass(frozen=True)
class BilanInstance:
    id: uuid.UUID
    instance_type: str
    type_name: str
    political: bool
    theme: str | None
    starts_at: datetime
    status: str
    is_evening: bool
    concerned: tuple[uuid.UUID, ...]
    invited_by_council: dict[uuid.UUID, int]
    registrations: tuple[BilanRegistration, ...]
    present: dict[uuid.UUID, uuid.UUID | None]  # member id -> council id (None: unknown to the read model)
    referents: tuple[tuple[uuid.UUID, uuid.UUID], ...]  # (council id, member id) for the instance's theme
    dossier_published_at: datetime | None
    dossier_notice_required_days: int


@dataclass(frozen=True)
class BilanOutcome:
    kind: str
    status: str
    theme: str | None


@dataclass
class Row:
    """One line of the bilan: a council, a theme or an instance type."""

    level: str
    key: str
    label: str
    instances_held: int = 0
    instances_concerned: int = 0
    councils_concerned: int = 0
    invited: int = 0
    registered: int = 0
    present: int = 0
    referents_expected: int = 0
    referents_present: int = 0
    political_held: int = 0
    political_evening: int = 0
    dossier_notice_required_days: int | None = None
    dossier_notice_days: list[float] = field(default_factory=list)
    dossiers_missing: int = 0
    _councils: set[uuid.UUID] = field(default_factory=set, repr=False)

    @property
    def referent_presence_rate(self) -> float | None:
        return None if not self.referents_expected else self.referents_present / self.referents_expected

    @property
    def evening_share(self) -> float | None:
        return None if not self.political_held else self.political_evening / self.political_held

    @property
    def average_dossier_notice_days(self) -> float | None:
        notices = self.dossier_notice_days
        return None if not notices else round(sum(notices) / len(notices), 1)

    @property
    def dossiers_late(self) -> int:
        required = self.dossier_notice_required_days
        if required is None:
            return 0
        return sum(1 for notice in self.dossier_notice_days if notice < required)

    def as_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "key": self.key,
            "label": self.label,
            "instances_held": self.instances_held,
            "instances_concerned": self.instances_concerned,
            "councils_concerned": self.councils_concerned,
            "invited": self.invited,
            "registered": self.registered,
            "present": self.present,
            "referents_expected": self.referents_expected,
            "referents_present": self.referents_present,
            "referent_presence_rate": _round(self.referent_presence_rate),
            "political_held": self.political_held,
            "evening_share": _round(self.evening_share),
            "dossier_notice_required_days": self.dossier_notice_required_days,
            "average_dossier_notice_days": self.average_dossier_notice_days,
            "dossiers_late": self.dossiers_late,
            "dossiers_missing": self.dossiers_missing,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class Bilan:
    period_from: date
    period_to: date
    total: Row
    by_type: list[Row]
    by_theme: list[Row]
    by_council: list[Row]
    instances_cancelled: int
    instances_not_held: int
    outcomes: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, object]:
        return {
            "period": {"from": self.period_from.isoformat(), "to": self.period_to.isoformat()},
            "total": self.total.as_dict(),
            "by_type": [row.as_dict() for row in self.by_type],
            "by_theme": [row.as_dict() for row in self.by_theme],
            "by_council": [row.as_dict() for row in self.by_council],
            "instances_cancelled": self.instances_cancelled,
            "instances_not_held": self.instances_not_held,
            "outcomes": self.outcomes,
        }

    def rows(self) -> list[Row]:
        return [self.total, *self.by_type, *self.by_theme, *self.by_council]


@dataclass(frozen=True)
class _CouncilShare:
    """One instance's figures for one council, computed once per instance (not once per council row)."""

    invited: int = 0
    registered: int = 0
    present: int = 0
    referents_expected: int = 0
    referents_present: int = 0


def _council_shares(instance: BilanInstance) -> dict[uuid.UUID | None, _CouncilShare]:
    registered = Counter(r.council_id for r in instance.registrations if r.status == "confirmed")
    present = Counter(instance.present.values())
    expected: Counter[uuid.UUID] = Counter()
    referents_present: Counter[uuid.UUID] = Counter()
    for council_id, member in instance.referents:
        expected[council_id] += 1
        if member in instance.present:
            referents_present[council_id] += 1
    keys = {*instance.invited_by_council, *registered, *present, *expected}
    return {
        key: _CouncilShare(
            invited=instance.invited_by_council.get(key, 0) if key is not None else 0,
            registered=registered.get(key, 0) if key is not None else 0,
            present=present.get(key, 0),
            referents_expected=expected.get(key, 0) if key is not None else 0,
            referents_present=referents_present.get(key, 0) if key is not None else 0,
        )
        for key in keys
    }


_NOTHING = _CouncilShare()


def _add_common(row: Row, instance: BilanInstance) -> None:
    row.instances_held += 1
    if instance.political:
        row.political_held += 1
        row.political_evening += int(instance.is_evening)
    if instance.dossier_published_at is None:
        row.dossiers_missing += 1
    else:
        notice = (instance.starts_at - instance.dossier_published_at).total_seconds() / 86400
        row.dossier_notice_days.append(round(notice, 1))


def _add_instance(row: Row, instance: BilanInstance) -> None:
    """Add one held instance to a row covering all its councils."""
    _add_common(row, instance)
    row._councils.update(instance.concerned)
    row.councils_concerned = len(row._councils)
    row.invited += sum(instance.invited_by_council.values())
    row.registered += sum(1 for r in instance.registrations if r.status == "confirmed")
    row.present += len(instance.present)
    row.referents_expected += len(instance.referents)
    row.referents_present += sum(1 for _c, member in instance.referents if member in instance.present)


def _add_council_share(row: Row, instance: BilanInstance, council: uuid.UUID, share: _CouncilShare) -> None:
    """Add one held instance to a council's row, narrowed to that council."""
    _add_common(row, instance)
    row._councils.add(council)
    row.councils_concerned = len(row._councils)
    row.invited += share.invited
    row.registered += share.registered
    row.present += share.present
    row.referents_expected += share.referents_expected
    row.referents_present += share.referents_present


def compute_bilan(
    period_from: date,
    period_to: date,
    instances: Sequence[BilanInstance],
    *,
    councils: dict[uuid.UUID, str],
    themes: dict[str, str],
    outcomes: Sequence[BilanOutcome],
) -> Bilan:
    """Figures for the instances that started in [period_from, period_to] (dates inclusive)."""
    in_period = [i for i in instances if period_from <= i.starts_at.date() <= period_to]
    held = [i for i in in_period if i.status in HELD]
    total = Row("total", "total", "Ensemble du territoire")
    by_type: dict[str, Row] = {}
    by_theme: dict[str, Row] = {slug: Row("thematique", slug, name) for slug, name in themes.items()}
    by_council: dict[uuid.UUID, Row] = {
        cid: Row("conseil", str(cid), name) for cid, name in sorted(councils.items(), key=lambda c: c[1])
    }
    for instance in held:
        _add_instance(total, instance)
        type_row = by_type.setdefault(
            instance.instance_type, Row("type", instance.instance_type, instance.type_name)
        )
        type_row.dossier_notice_required_days = instance.dossier_notice_required_days
        _add_instance(type_row, instance)
        if instance.theme is not None:
            theme_row = by_theme.setdefault(instance.theme, Row("thematique", instance.theme, instance.theme))
            _add_instance(theme_row, instance)
        shares = _council_shares(instance)
        for council_id in instance.concerned:
            council_row = by_council.setdefault(
                council_id, Row("conseil", str(council_id), councils.get(council_id, str(council_id)))
            )
            _add_council_share(council_row, instance, council_id, shares.get(council_id, _NOTHING))
    for instance in in_period:
        for council_id in instance.concerned:
            if council_id in by_council:
                by_council[council_id].instances_concerned += 1
    total.instances_concerned = len(in_period)
    for row in by_type.values():
        row.instances_concerned = sum(1 for i in in_period if i.instance_type == row.key)
    for row in by_theme.values():
        row.instances_concerned = sum(1 for i in in_period if i.theme == row.key)
    outcome_counts: dict[str, dict[str, int]] = {}
    for kind in ("proposal", "commitment"):
        counts = Counter(o.status for o in outcomes if o.kind == kind)
        outcome_counts[kind] = {
            status: counts.get(status, 0) for status in ("proposed", "in_progress", "done", "abandoned")
        }
    return Bilan(
        period_from=period_from,
        period_to=period_to,
        total=total,
        by_type=sorted(by_type.values(), key=lambda r: r.label),
        by_theme=list(by_theme.values()),
        by_council=list(by_council.values()),
        instances_cancelled=sum(1 for i in in_period if i.status == "cancelled"),
        instances_not_held=sum(1 for i in in_period if i.status not in HELD | {"cancelled", "draft"}),
        outcomes=outcome_counts,
    )
