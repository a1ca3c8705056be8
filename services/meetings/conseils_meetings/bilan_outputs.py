"""The bilan's outputs: CSV (French spreadsheets, formulas neutralised), JSON (byte-comparable),
HTML with SVG charts (accessible), one period or two side by side."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from conseils_meetings.bilan import (
    Bilan,
    Row,
    Vacancy,
)
from conseils_runtime.spreadsheets import safe_text

TEMPLATES = Path(__file__).parent / "templates"


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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def _csv_value(value: object) -> str:
    """A CSV cell; text (labels are typed by people) never starts like a formula."""
    if isinstance(value, str):
        return safe_text(value)
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
