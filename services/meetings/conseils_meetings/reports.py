"""The bilan's query layer and its outputs (JSON, CSV, HTML with SVG charts).

Reads only the meetings database (its own tables and the registry read
model), so it works the same on a database rebuilt by replaying the events.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.bilan import (
    Bilan,
    BilanInstance,
    BilanOutcome,
    BilanRegistration,
    Row,
    Vacancy,
    compute_bilan,
)
from conseils_meetings.consumers import registry_view
from conseils_meetings.domain import time_slot
from conseils_runtime.http import DomainError
from conseils_runtime.territory import TerritoryConfig
from conseils_runtime.times import as_utc

TEMPLATES = Path(__file__).parent / "templates"


_aware = as_utc


EARLIEST, LATEST = date(1990, 1, 1), date(2200, 12, 31)
"""Bounds of a bilan period: before the contrats de ville, or too far ahead, is a typing error."""


def check_period(period_from: date, period_to: date) -> None:
    if period_from < EARLIEST or period_to > LATEST:
        raise DomainError(
            "Période hors limites : choisissez des dates entre le "
            f"{EARLIEST:%d/%m/%Y} et le {LATEST:%d/%m/%Y}."
        )
    if period_to < period_from:
        raise DomainError("La fin de la période doit être après son début.")
    if (period_to - period_from).days > 366 * 5:
        raise DomainError("Période trop longue (5 ans au plus).")


def local_bounds(period_from: date, period_to: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants [start, end) of a period of local calendar dates, both ends included."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(period_from, time.min, zone).astimezone(UTC)
    end = datetime.combine(period_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def vacancy_days(period_from: date, period_to: date) -> list[date]:
    """When vacancies are sampled: the first day of each month of the period, and its last day."""
    days = [period_from]
    cursor = date(period_from.year, period_from.month, 1)
    while True:
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        if cursor > period_to:
            break
        days.append(cursor)
    if days[-1] != period_to:
        days.append(period_to)
    return days


async def load_bilan(
    session: AsyncSession, territory: TerritoryConfig, period_from: date, period_to: date
) -> Bilan:
    """The bilan of a period, every figure of an instance as of the instance's date.

    Who was invited and who was referent come from the temporal read model on
    the day of the instance (or, once attendance is recorded, from the convened
    list frozen with it); an outcome's status is its status at the end of the
    period. A member who leaves or a referent replaced later changes nothing.
    """
    check_period(period_from, period_to)
    timezone = territory.territory.timezone
    zone = ZoneInfo(timezone)
    start, end = local_bounds(period_from, period_to, timezone)
    kinds = {kind.slug: kind for kind in territory.instance_types}
    instance_rows = list(
        (
            await session.execute(
                select(tables.instances)
                .where(tables.instances.c.starts_at >= start, tables.instances.c.starts_at < end)
                .order_by(tables.instances.c.starts_at, tables.instances.c.id)
            )
        ).mappings()
    )
    ids = [row["id"] for row in instance_rows]
    concerned: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    registrations: dict[uuid.UUID, list[BilanRegistration]] = defaultdict(list)
    present: dict[uuid.UUID, dict[uuid.UUID, uuid.UUID | None]] = defaultdict(dict)
    convened: dict[uuid.UUID, dict[uuid.UUID, set[uuid.UUID]]] = defaultdict(lambda: defaultdict(set))
    if ids:
        for row in await session.execute(
            select(tables.instance_councils).where(tables.instance_councils.c.instance_id.in_(ids))
        ):
            concerned[row.instance_id].append(row.council_id)
        for row in await session.execute(
            select(tables.registrations).where(tables.registrations.c.instance_id.in_(ids))
        ):
            registrations[row.instance_id].append(
                BilanRegistration(row.member_id, row.council_id, row.mode, row.status)
            )
        for row in await session.execute(
            select(tables.attendance).where(tables.attendance.c.instance_id.in_(ids))
        ):
            present[row.instance_id][row.member_id] = row.council_id
        for row in await session.execute(
            select(tables.convened).where(tables.convened.c.instance_id.in_(ids))
        ):
            convened[row.instance_id][row.council_id].add(row.member_id)
    history = await registry_view(territory).history(session)
    councils = {council_id: info[0] for council_id, info in history.councils.items()}
    cities = {council_id: (info[2], info[1]) for council_id, info in history.councils.items()}

    instances = []
    for instance_row in instance_rows:
        kind = kinds.get(instance_row["instance_type"])
        starts_at = _aware(instance_row["starts_at"])
        day = starts_at.astimezone(zone).date()
        instance_concerned = sorted(set(concerned[instance_row["id"]]))
        theme = instance_row["theme"]
        theme_referents = tuple(
            (council_id, member_id)
            for council_id in instance_concerned
            if theme is not None
            for member_id in sorted(history.referents_on(council_id, theme, day))
        )
        frozen = convened.get(instance_row["id"])
        if frozen is not None:
            invited = {c: len(frozen.get(c, ())) for c in instance_concerned}
        elif instance_row["scope"] == "theme":  # the referents of the theme are the ones invited
            invited = {c: len(history.referents_on(c, theme or "", day)) for c in instance_concerned}
        else:
            invited = {c: len(history.members_on(c, day)) for c in instance_concerned}
        published = instance_row["first_dossier_published_at"]
        instances.append(
            BilanInstance(
                id=instance_row["id"],
                instance_type=instance_row["instance_type"],
                type_name=kind.name if kind else instance_row["instance_type"],
                political=instance_row["is_political"],
                theme=theme,
                starts_at=starts_at,
                status=instance_row["status"],
                is_evening=instance_row["is_evening"],
                concerned=tuple(instance_concerned),
                invited_by_council=invited,
                registrations=tuple(registrations[instance_row["id"]]),
                present=present[instance_row["id"]],
                referents=theme_referents,
                dossier_published_at=_aware(published) if published is not None else None,
                dossier_notice_required_days=kind.dossier_notice_days if kind else 0,
                day=day,
                slot=time_slot(starts_at, timezone),
            )
        )
    vacancies = [
        Vacancy(
            theme=theme.slug,
            day=day,
            councils=len(existing),
            without_referent=sum(1 for c in existing if not history.referents_on(c, theme.slug, day)),
        )
        for theme in territory.themes
        for day in vacancy_days(period_from, period_to)
        for existing in [[c for c in history.councils if history.council_exists_on(c, day)]]
    ]
    themes = {theme.slug: theme.name for theme in territory.themes}
    return compute_bilan(
        period_from,
        period_to,
        instances,
        councils=councils,
        themes=themes,
        outcomes=await _outcomes_at(session, period_from, period_to, end),
        cities=cities,
        vacancies=vacancies,
    )


async def _outcomes_at(
    session: AsyncSession, period_from: date, period_to: date, end: datetime
) -> list[BilanOutcome]:
    """Outcomes made in the period, each with its status at the period's end (from its history)."""
    rows = list(
        await session.execute(
            select(tables.outcomes.c.id, tables.outcomes.c.kind, tables.outcomes.c.theme).where(
                tables.outcomes.c.made_on >= period_from, tables.outcomes.c.made_on <= period_to
            )
        )
    )
    status: dict[uuid.UUID, str] = {}
    if rows:
        updates = await session.execute(
            select(
                tables.outcome_updates.c.outcome_id,
                tables.outcome_updates.c.status,
                tables.outcome_updates.c.at,
            )
            .where(tables.outcome_updates.c.outcome_id.in_([row.id for row in rows]))
            .order_by(tables.outcome_updates.c.position)
        )
        for update in updates:
            if _aware(update.at) < end:
                status[update.outcome_id] = update.status
    return [BilanOutcome(row.kind, status.get(row.id, "proposed"), row.theme) for row in rows]


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS: list[tuple[str, str]] = [
    ("level", "niveau"),
    ("key", "identifiant"),
    ("label", "libellé"),
    ("instances_concerned", "instances concernées"),
    ("instances_held", "instances tenues"),
    ("councils_concerned", "conseils concernés"),
    ("invited", "invités"),
    ("registered", "inscrits"),
    ("registered_participants", "inscrits participants"),
    ("registered_observers", "inscrits observateurs"),
    ("present", "présents"),
    ("registered_absent", "inscrits absents"),
    ("present_unregistered", "présents non inscrits"),
    ("referents_expected", "référents attendus"),
    ("referents_present", "référents présents"),
    ("referent_presence_rate", "taux de présence des référents"),
    ("political_held", "instances politiques tenues"),
    ("political_weekday_evening", "instances politiques en soirée (semaine, ≥ 18 h)"),
    ("political_saturday", "instances politiques le samedi"),
    ("political_sunday", "instances politiques le dimanche"),
    ("outside_working_hours_share", "part des instances politiques hors temps de travail"),
    ("evening_share", "part des instances politiques en soirée (semaine, ≥ 18 h)"),
    ("saturday_share", "part des instances politiques le samedi"),
    ("councils_without_referent", "conseils sans référent (fin de période)"),
    ("dossier_notice_required_days", "préavis du dossier demandé (jours)"),
    ("average_dossier_notice_days", "préavis du dossier moyen (jours)"),
    ("dossiers_late", "dossiers en retard"),
    ("dossiers_missing", "dossiers manquants"),
]

OUTCOME_KINDS = {"proposal": "Propositions des conseils", "commitment": "Engagements des élus"}
OUTCOME_LABELS = {
    "proposed": "proposé",
    "in_progress": "en cours",
    "done": "réalisé",
    "abandoned": "abandonné",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def _csv_value(value: object) -> str:
    """A CSV cell; text (labels are typed by people) never starts like a formula."""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return _cell(value)


def _french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def period_label(bilan: Bilan) -> str:
    return f"du {_french_date(bilan.period_from)} au {_french_date(bilan.period_to)}"


def _theme_labels(bilan: Bilan) -> dict[str, str]:
    return {row.key: row.label for row in bilan.by_theme}


def _write_detail(writer: Any, bilan: Bilan, prefix: list[str]) -> None:
    for row in bilan.rows():
        values = row.as_dict()
        writer.writerow([*prefix, *(_csv_value(values[key]) for key, _title in CSV_COLUMNS)])


def _write_vacancies(writer: Any, bilan: Bilan, prefix: list[str]) -> None:
    labels = _theme_labels(bilan)
    for vacancy in bilan.vacancies:
        writer.writerow(
            [
                *prefix,
                _csv_value(labels.get(vacancy.theme, vacancy.theme)),
                _french_date(vacancy.day),
                vacancy.councils,
                vacancy.without_referent,
            ]
        )


def _write_outcomes(writer: Any, bilan: Bilan, prefix: list[str]) -> None:
    for kind, counts in bilan.outcomes.items():
        for status, count in counts.items():
            writer.writerow(
                [*prefix, OUTCOME_KINDS.get(kind, kind), OUTCOME_LABELS.get(status, status), count]
            )


_VACANCY_HEADER = ["thématique", "date du relevé", "conseils existants", "conseils sans référent"]
_OUTCOME_HEADER = ["propositions et engagements (statut en fin de période)", "statut", "nombre"]


def _writer(buffer: io.StringIO) -> Any:
    return csv.writer(buffer, delimiter=";", lineterminator="\r\n")


def bilan_csv(bilan: Bilan) -> str:
    """Semicolon-separated, decimal comma: opens as is in French spreadsheets.

    Three blocks separated by an empty line: the figures (one line per total,
    type, theme, city, council), the themes without a referent over time, the
    outcomes with their status at the end of the period.
    """
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow([title for _key, title in CSV_COLUMNS])
    _write_detail(writer, bilan, [])
    writer.writerow([])
    writer.writerow(_VACANCY_HEADER)
    _write_vacancies(writer, bilan, [])
    writer.writerow([])
    writer.writerow(_OUTCOME_HEADER)
    _write_outcomes(writer, bilan, [])
    return buffer.getvalue()


def bilans_csv(bilans: list[Bilan]) -> str:
    """Several periods in one file: each block gets a first column « période ».

    The figures of every period come first (one table, filterable by period),
    then the comparison of the key totals (one column per period and the
    difference last minus first), the vacancies and the outcomes.
    """
    if len(bilans) == 1:
        return bilan_csv(bilans[0])
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow(["période", *(title for _key, title in CSV_COLUMNS)])
    for bilan in bilans:
        _write_detail(writer, bilan, [period_label(bilan)])
    writer.writerow([])
    writer.writerow(["indicateur", *(period_label(b) for b in bilans), "écart"])
    for figure in compare_figures(bilans):
        difference = figure.difference_value
        writer.writerow([figure.label, *(_cell(v) for v in figure.values), _cell(difference)])
    writer.writerow([])
    writer.writerow(["période", *_VACANCY_HEADER])
    for bilan in bilans:
        _write_vacancies(writer, bilan, [period_label(bilan)])
    writer.writerow([])
    writer.writerow(["période", *_OUTCOME_HEADER])
    for bilan in bilans:
        _write_outcomes(writer, bilan, [period_label(bilan)])
    return buffer.getvalue()


# --------------------------------------------------------------------------- JSON


def bilans_json(bilans: list[Bilan]) -> str:
    """`Bilan.as_dict()` (one period) or {"periods": [...]}: sorted keys, byte-comparable."""
    payload: object = bilans[0].as_dict() if len(bilans) == 1 else {"periods": [b.as_dict() for b in bilans]}
    return json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- comparison

# The time slots outside working hours: (Row attribute, as_dict key, label). Never "soirée" for a weekend.
SLOTS: list[tuple[str, str, str]] = [
    ("political_evening", "political_weekday_evening", "en soirée (semaine, ≥ 18 h)"),
    ("political_saturday", "political_saturday", "le samedi"),
    ("political_sunday", "political_sunday", "le dimanche"),
]


SLOT_CSS = {"political_evening": "evening", "political_saturday": "saturday", "political_sunday": "sunday"}


def present_slots(bilans: list[Bilan]) -> list[tuple[str, str, str]]:
    """The slots that hold at least one political instance in one of the periods."""
    return [slot for slot in SLOTS if any(getattr(b.total, slot[0]) for b in bilans)]


@dataclass(frozen=True)
class Figure:
    label: str
    values: list[float | int | None]
    rate: bool = False

    @property
    def difference_value(self) -> float | int | None:
        first, last = self.values[0], self.values[-1]
        if first is None or last is None:
            return None
        difference = last - first
        return round(difference, 3) if isinstance(difference, float) else difference

    def text(self, value: float | int | None) -> str:
        if self.rate:
            return _percent(value if value is None else float(value))
        return "—" if value is None else _cell(value)

    @property
    def difference(self) -> str:
        value = self.difference_value
        if value is None:
            return "—"
        if self.rate:
            points = round(value * 100)
            return f"{points:+d} points" if points else "0 point"
        if isinstance(value, float):
            return ("+" if value > 0 else "") + _cell(value)
        return f"{value:+d}" if value else "0"


def compare_figures(bilans: list[Bilan]) -> list[Figure]:
    """The key totals of each period, in the order of the comparison table."""

    def total(key: str) -> list[float | int | None]:
        return [_number(b.total.as_dict()[key]) for b in bilans]

    def outcomes(kind: str, statuses: tuple[str, ...]) -> list[float | int | None]:
        return [sum(b.outcomes.get(kind, {}).get(s, 0) for s in statuses) for b in bilans]

    every = tuple(OUTCOME_LABELS)
    figures = [
        Figure("Instances tenues", total("instances_held")),
        Figure("Instances annulées", [b.instances_cancelled for b in bilans]),
        Figure("Invités", total("invited")),
        Figure("Inscrits", total("registered")),
        Figure("Inscrits participants", total("registered_participants")),
        Figure("Inscrits observateurs", total("registered_observers")),
        Figure("Présents", total("present")),
        Figure("Inscrits absents", total("registered_absent")),
        Figure("Présents non inscrits", total("present_unregistered")),
        Figure("Présence des référents", total("referent_presence_rate"), rate=True),
        Figure("Instances politiques tenues", total("political_held")),
        Figure("Instances politiques hors temps de travail", total("outside_working_hours_share"), rate=True),
    ]
    figures += [
        Figure(f"Instances politiques {label}", total(key)) for _attr, key, label in present_slots(bilans)
    ]
    figures += [
        Figure("Préavis moyen du dossier (jours)", total("average_dossier_notice_days")),
        Figure("Dossiers en retard", total("dossiers_late")),
        Figure("Dossiers jamais publiés", total("dossiers_missing")),
        Figure("Propositions des conseils", outcomes("proposal", every)),
        Figure("Propositions réalisées (fin de période)", outcomes("proposal", ("done",))),
        Figure("Engagements des élus", outcomes("commitment", every)),
        Figure("Engagements réalisés (fin de période)", outcomes("commitment", ("done",))),
    ]
    return figures


def _number(value: object) -> float | int | None:
    return value if isinstance(value, int | float) else None


# --------------------------------------------------------------------------- HTML


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    css: str
    text: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    y: int
    width: float
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int
    label_width: int = 260
    bar_area: int = 380
    legend: tuple[tuple[str, str], ...] = ()  # (css class, label)


def bar_chart(title: str, items: list[tuple[str, float, str]], maximum: float | None = None) -> Chart:
    top = maximum if maximum is not None else max((value for _l, value, _t in items), default=0)
    top = top or 1
    bars = [
        Bar(label, value, text, y=24 + index * 26, width=round(380 * value / top, 1))
        for index, (label, value, text) in enumerate(items)
    ]
    return Chart(title=title, bars=bars, height=32 + 26 * len(items))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def outside_hours_chart(bilan: Bilan, slots: list[tuple[str, str, str]]) -> Chart:
    """Per political type, the share held outside working hours, split by slot (stacked)."""
    bars = []
    rows = [row for row in bilan.by_type if row.political_held]
    for index, row in enumerate(rows):
        x, segments = 0.0, []
        for attr, _key, label in slots:
            count = getattr(row, attr)
            width = round(380 * count / row.political_held, 1)
            if count:
                segments.append(Segment(x, width, SLOT_CSS[attr], f"{label} : {count}"))
            x += width
        share = row.outside_working_hours_share or 0.0
        outside = round(share * row.political_held)
        bars.append(
            Bar(
                row.label,
                share,
                f"{_percent(share)} ({outside} sur {row.political_held})",
                y=24 + index * 26,
                width=x,
                segments=tuple(segments),
            )
        )
    return Chart(
        title="Instances politiques tenues hors temps de travail",
        bars=bars,
        height=32 + 26 * len(rows),
        legend=tuple((SLOT_CSS[attr], label) for attr, _key, label in slots),
    )


def bilan_charts(bilan: Bilan, slots: list[tuple[str, str, str]] | None = None) -> list[Chart]:
    def presence(rows: list[Row]) -> list[tuple[str, float, str]]:
        return [(row.label, row.present, str(row.present)) for row in rows]

    return [
        bar_chart("Présents par conseil", presence(bilan.by_council)),
        bar_chart("Présents par ville", presence(bilan.by_city)),
        bar_chart("Présents par type d'instance", presence(bilan.by_type)),
        bar_chart(
            "Présence des référents par thématique",
            [
                (row.label, row.referent_presence_rate or 0.0, _percent(row.referent_presence_rate))
                for row in bilan.by_theme
            ],
            maximum=1.0,
        ),
        outside_hours_chart(bilan, present_slots([bilan]) if slots is None else slots),
    ]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    vacancy: Vacancy


@dataclass(frozen=True)
class VacancyChart:
    """One theme's councils without a referent over the period (a line, one point per sample)."""

    slug: str
    label: str
    points: list[Point]
    top: int
    width: int = 640
    height: int = 180
    left: int = 48
    bottom: int = 36
    right: int = 24
    upper: int = 16

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def baseline(self) -> int:
        return self.height - self.bottom

    @property
    def summary(self) -> str:
        last = self.points[-1].vacancy
        return (
            f"{last.without_referent} conseil(s) sur {last.councils} sans référent le "
            f"{_french_date(last.day)} ; au plus {max(p.vacancy.without_referent for p in self.points)} "
            "sur la période."
        )


def vacancy_charts(bilan: Bilan) -> list[VacancyChart]:
    labels = _theme_labels(bilan)
    by_theme: dict[str, list[Vacancy]] = defaultdict(list)
    for vacancy in bilan.vacancies:
        by_theme[vacancy.theme].append(vacancy)
    charts = []
    for slug, samples in by_theme.items():
        samples.sort(key=lambda v: v.day)
        top = max(1, *(v.councils for v in samples))
        chart = VacancyChart(slug, labels.get(slug, slug), [], top)
        span = chart.width - chart.left - chart.right
        inner = chart.baseline - chart.upper
        step = span / (len(samples) - 1) if len(samples) > 1 else 0
        points = [
            Point(
                x=round(chart.left + index * step, 1),
                y=round(chart.baseline - inner * v.without_referent / top, 1),
                vacancy=v,
            )
            for index, v in enumerate(samples)
        ]
        charts.append(VacancyChart(slug, chart.label, points, top))
    return charts


@dataclass(frozen=True)
class PeriodView:
    """What the template shows of one period."""

    bilan: Bilan
    prefix: str
    charts: list[Chart]
    vacancy_charts: list[VacancyChart]
    slots: list[tuple[str, str, str]]

    @property
    def title(self) -> str:
        return "Période " + period_label(self.bilan)


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True
    )
    environment.filters["percent"] = _percent
    environment.filters["number"] = lambda value: "—" if value is None else _cell(value)
    environment.filters["french_date"] = _french_date
    return environment


def bilans_html(bilans: list[Bilan], territory_name: str) -> str:
    """One period, or several side by side: the comparison of key totals, then each period's detail."""
    slots = present_slots(bilans)
    periods = [
        PeriodView(
            bilan=bilan,
            prefix=f"p{index + 1}" if len(bilans) > 1 else "p",
            charts=bilan_charts(bilan, slots),
            vacancy_charts=vacancy_charts(bilan),
            slots=slots,
        )
        for index, bilan in enumerate(bilans)
    ]
    template = _environment().get_template("bilan.html.j2")
    return template.render(
        periods=periods,
        comparison=compare_figures(bilans) if len(bilans) > 1 else None,
        territory=territory_name,
        generated_at=datetime.now(UTC),
        outcome_labels=OUTCOME_LABELS,
    )


def bilan_html(bilan: Bilan, territory_name: str) -> str:
    return bilans_html([bilan], territory_name)
