"""The bilan (participation review) over a period, as a pure function of plain data.

`compute_bilan` takes what happened (instances with their concerned councils,
who was invited and who was referent *on the instance's date*, registrations,
attendance, dossier dates, the themes left without a referent over time, and
the forum outcomes with their status at the end of the period) and returns
figures per council, per city, per theme and per instance type. No I/O: the
query layer (`reports.py`) builds the input from the database, point in time.

Periods are the territory's calendar dates, both ends included.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from conseils_meetings.bilan_shares import (
    COMMON_FIELDS,
    NOTHING,
    SHARE_FIELDS,
    Accumulator,
    common_of,
    council_shares,
)
from conseils_meetings.voice_figures import OpinionFigure

if TYPE_CHECKING:
    from conseils_meetings.scenario_figures import ScenarioPeriod

HELD = frozenset({"held", "minutes_published"})

Id: TypeAlias = "uuid.UUID | int"
"""A council's or a member's id: its UUID, or its integer (`bilan_history.Keys`: what the loader
hashes, `compute_bilan(ids=...)` gives the UUIDs back). An instance's own id is always its UUID."""


@dataclass(frozen=True, slots=True)
class BilanRegistration:
    member_id: Id
    council_id: Id
    mode: str
    status: str


@dataclass(frozen=True, slots=True)
class BilanInstance:
    id: uuid.UUID
    instance_type: str
    type_name: str
    political: bool
    theme: str | None
    starts_at: datetime
    status: str
    is_evening: bool
    concerned: tuple[Id, ...]
    invited_by_council: dict[Id, int]
    registrations: tuple[BilanRegistration, ...]
    present: dict[Id, Id | None]  # member id -> council id (None: unknown to the read model)
    referents: tuple[tuple[Id, Id], ...]  # (council id, member id) for the instance's theme
    dossier_published_at: datetime | None
    dossier_notice_required_days: int
    day: date | None = None  # the territory's calendar date of the start (default: the UTC date)
    slot: str | None = None  # weekday_evening | saturday | sunday | working_hours
    others: tuple[tuple[str, int], ...] = ()  # other participants: (category, count), no names

    @property
    def local_day(self) -> date:
        return self.day if self.day is not None else self.starts_at.date()

    @property
    def time_slot(self) -> str:
        if self.slot is not None:
            return self.slot
        return "weekday_evening" if self.is_evening else "working_hours"


@dataclass(frozen=True, slots=True)
class BilanOutcome:
    kind: str
    status: str  # as of the end of the period
    theme: str | None


@dataclass(frozen=True, slots=True)
class Vacancy:
    """On `day`, how many existing councils had no referent for `theme`."""

    theme: str
    day: date
    councils: int
    without_referent: int


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
    registered_participants: int = 0
    registered_observers: int = 0
    registered_absent: int = 0
    present_unregistered: int = 0
    political_held: int = 0
    political_evening: int = 0  # weekday evenings (>= 18:00 local) only
    political_saturday: int = 0
    political_sunday: int = 0
    councils_without_referent: int | None = None  # themes: at the end of the period
    dossier_notice_required_days: int | None = None
    dossier_notice_days: list[float] = field(default_factory=list)
    dossiers_missing: int = 0
    others_present: int = 0  # elected officials, city, territory and State staff, partners
    _councils: set[Id] = field(default_factory=set, repr=False)

    @property
    def referent_presence_rate(self) -> float | None:
        return None if not self.referents_expected else self.referents_present / self.referents_expected

    @property
    def evening_share(self) -> float | None:
        return None if not self.political_held else self.political_evening / self.political_held

    @property
    def saturday_share(self) -> float | None:
        return None if not self.political_held else self.political_saturday / self.political_held

    @property
    def outside_working_hours_share(self) -> float | None:
        if not self.political_held:
            return None
        outside = self.political_evening + self.political_saturday + self.political_sunday
        return outside / self.political_held

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
            "registered_participants": self.registered_participants,
            "registered_observers": self.registered_observers,
            "present": self.present,
            "registered_absent": self.registered_absent,
            "present_unregistered": self.present_unregistered,
            "referents_expected": self.referents_expected,
            "referents_present": self.referents_present,
            "referent_presence_rate": _round(self.referent_presence_rate),
            "political_held": self.political_held,
            "political_weekday_evening": self.political_evening,
            "political_saturday": self.political_saturday,
            "political_sunday": self.political_sunday,
            "evening_share": _round(self.evening_share),
            "saturday_share": _round(self.saturday_share),
            "outside_working_hours_share": _round(self.outside_working_hours_share),
            "dossier_notice_required_days": self.dossier_notice_required_days,
            "average_dossier_notice_days": self.average_dossier_notice_days,
            "dossiers_late": self.dossiers_late,
            "dossiers_missing": self.dossiers_missing,
            "councils_without_referent": self.councils_without_referent,
            "others_present": self.others_present,
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
    by_city: list[Row] = field(default_factory=list)
    vacancies: list[Vacancy] = field(default_factory=list)
    others_by_category: dict[str, int] = field(default_factory=dict)
    """Participants other than councillors at the held instances, per category (OTHER_CATEGORIES)."""
    opinions_by_council: list[OpinionFigure] = field(default_factory=list)
    """The councils' opinions on the projects of the period's instances (voice_figures)."""
    by_scenario: list[Row] = field(default_factory=list)
    """Per instance type with dated scenarios, one row per scenario (scenario_figures)."""
    scenario_periods: list[ScenarioPeriod] = field(default_factory=list)
    """The same, detailed for the side-by-side comparison (scenario_figures.ScenarioPeriod)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "period": {"from": self.period_from.isoformat(), "to": self.period_to.isoformat()},
            "total": self.total.as_dict(),
            "by_type": [row.as_dict() for row in self.by_type],
            "by_theme": [row.as_dict() for row in self.by_theme],
            "by_council": [row.as_dict() for row in self.by_council],
            "by_city": [row.as_dict() for row in self.by_city],
            "vacancies": [
                {
                    "theme": v.theme,
                    "date": v.day.isoformat(),
                    "councils": v.councils,
                    "without_referent": v.without_referent,
                }
                for v in self.vacancies
            ],
            "instances_cancelled": self.instances_cancelled,
            "instances_not_held": self.instances_not_held,
            "outcomes": self.outcomes,
            "others_by_category": self.others_by_category,
            "opinions_by_council": [figure.as_dict() for figure in self.opinions_by_council],
            "by_scenario": [row.as_dict() for row in self.by_scenario],
            "scenario_periods": [period.as_dict() for period in self.scenario_periods],
        }

    def rows(self) -> list[Row]:
        return [self.total, *self.by_type, *self.by_theme, *self.by_city, *self.by_council]


def _whole_rows(
    instance: BilanInstance, total: Row, by_type: dict[str, Row], by_theme: dict[str, Row]
) -> list[Row]:
    """The rows an instance counts in with all its councils: the total, its type's, its theme's."""
    type_row = by_type.setdefault(
        instance.instance_type, Row("type", instance.instance_type, instance.type_name)
    )
    type_row.dossier_notice_required_days = instance.dossier_notice_required_days
    if instance.theme is None:
        return [total, type_row]
    return [
        total,
        type_row,
        by_theme.setdefault(instance.theme, Row("thematique", instance.theme, instance.theme)),
    ]


def _add_instance(row: Row, instance: BilanInstance, common: list[int], notice: float | None) -> None:
    """Add one held instance to a row covering all its councils (`common`, `notice`: `common_of`)."""
    for name, value in zip(COMMON_FIELDS, common, strict=True):
        setattr(row, name, getattr(row, name) + value)
    if notice is not None:
        row.dossier_notice_days.append(notice)
    row._councils.update(instance.concerned)
    row.councils_concerned = len(row._councils)
    row.others_present += sum(count for _category, count in instance.others)


def _add_share(row: Row, share: list[int]) -> None:
    for name, value in zip(SHARE_FIELDS, share, strict=True):
        setattr(row, name, getattr(row, name) + value)


OTHER_CATEGORIES: dict[str, str] = {
    "elected": "Élu·es",
    "city": "Agents de la ville",
    "territory": "Agents du territoire",
    "state": "Services de l'État",
    "partner": "Partenaires",
    "other": "Autres",
}
"""The other participants' categories (AttendanceRecorded.other_attendees), with their French labels."""


def compute_bilan(
    period_from: date,
    period_to: date,
    instances: Sequence[BilanInstance],
    *,
    councils: Mapping[Any, str],
    themes: dict[str, str],
    outcomes: Sequence[BilanOutcome],
    cities: Mapping[Any, tuple[str, str]] | None = None,
    vacancies: Sequence[Vacancy] = (),
    ids: Mapping[Any, uuid.UUID] | None = None,
) -> Bilan:
    """Figures for the instances that started in [period_from, period_to] (local dates, inclusive).

    `cities` maps a council to (city code, city name); `vacancies` are the themes left
    without a referent, sampled over the period (the last sample is the period's end).
    `ids`: when the councils' and members' ids are given as other keys (the loader's raw values,
    cheaper to hash than `UUID`s), the UUID of each; the `Bilan` has UUIDs either way.
    """
    in_period = [i for i in instances if period_from <= i.local_day <= period_to]
    held = [i for i in in_period if i.status in HELD]
    cities = cities or {}
    total = Row("total", "total", "Ensemble du territoire")
    by_type: dict[str, Row] = {}
    by_theme: dict[str, Row] = {slug: Row("thematique", slug, name) for slug, name in themes.items()}
    by_council: dict[Any, Row] = {
        cid: Row("conseil", str(ids[cid]) if ids is not None else str(cid), name)
        for cid, name in sorted(councils.items(), key=lambda c: c[1])
    }
    by_city: dict[str, Row] = {
        code: Row("ville", code, name) for code, name in sorted(set(cities.values()), key=lambda c: c[1])
    }
    others: Counter[str] = Counter()
    council_sums: dict[Any, Accumulator] = {}
    city_sums: dict[str, Accumulator] = {}
    for instance in held:
        for category, count in instance.others:
            others[category] += count
        shares, whole = council_shares(instance)
        common, notice = common_of(instance)
        for row in _whole_rows(instance, total, by_type, by_theme):
            _add_instance(row, instance, common, notice)
            _add_share(row, whole)
        per_city: dict[str, Accumulator] = {}
        for council_id in instance.concerned:
            share = shares.get(council_id, NOTHING)
            sums = council_sums.get(council_id)
            if sums is None:
                sums = council_sums[council_id] = Accumulator()
                sums.councils.add(council_id)
                if council_id not in by_council:  # not built on every call: a national year asks 80,000 times
                    label = str(ids[council_id]) if ids is not None else str(council_id)
                    by_council[council_id] = Row("conseil", label, councils.get(council_id, label))
            sums.add(common, notice, share)
            city = cities.get(council_id)
            if city is not None:
                city_row = per_city.get(city[0])
                if city_row is None:
                    city_row = per_city[city[0]] = city_sums.setdefault(city[0], Accumulator())
                    city_row.add(common, notice, NOTHING)
                city_row.add_share(share)
                city_row.councils.add(council_id)
    for council_id, sums in council_sums.items():
        sums.fold(by_council[council_id])
    for code, sums in city_sums.items():
        sums.fold(by_city[code])
    for instance in in_period:
        for council_id in instance.concerned:
            if council_id in by_council:
                by_council[council_id].instances_concerned += 1
        for code in {cities[c][0] for c in instance.concerned if c in cities}:
            by_city[code].instances_concerned += 1
    total.instances_concerned = len(in_period)
    for row in by_type.values():
        row.instances_concerned = sum(1 for i in in_period if i.instance_type == row.key)
    for row in by_theme.values():
        row.instances_concerned = sum(1 for i in in_period if i.theme == row.key)
    last_vacancy: dict[str, Vacancy] = {}
    for vacancy in sorted(vacancies, key=lambda v: v.day):
        last_vacancy[vacancy.theme] = vacancy
    for slug, vacancy in last_vacancy.items():
        if slug in by_theme:
            by_theme[slug].councils_without_referent = vacancy.without_referent
    if ids is not None:
        for row in (total, *by_type.values(), *by_theme.values(), *by_council.values(), *by_city.values()):
            row._councils = {ids[c] for c in row._councils}
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
        by_city=list(by_city.values()),
        instances_cancelled=sum(1 for i in in_period if i.status == "cancelled"),
        instances_not_held=sum(1 for i in in_period if i.status not in HELD | {"cancelled", "draft"}),
        outcomes=outcome_counts,
        vacancies=sorted(vacancies, key=lambda v: (v.theme, v.day)),
        others_by_category={category: others.get(category, 0) for category in OTHER_CATEGORIES},
    )
