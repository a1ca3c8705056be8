"""The bilan as HTML: SVG bar and line charts (accessible), one period or several side by side."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from conseils_meetings.bilan import OTHER_CATEGORIES, Bilan, Row, Vacancy
from conseils_meetings.bilan_figures import (
    OUTCOME_LABELS,
    SLOT_CSS,
    cell,
    compare_figures,
    french_date,
    percent,
    period_label,
    present_slots,
    theme_labels,
)

TEMPLATES = Path(__file__).parent / "templates"


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
                f"{percent(share)} ({outside} sur {row.political_held})",
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
                (row.label, row.referent_presence_rate or 0.0, percent(row.referent_presence_rate))
                for row in bilan.by_theme
            ],
            maximum=1.0,
        ),
        outside_hours_chart(bilan, present_slots([bilan]) if slots is None else slots),
        bar_chart(
            "Autres participants (élu·es, agents, partenaires), à côté des conseils",
            [
                ("Conseillers citoyens", bilan.total.present, str(bilan.total.present)),
                *(
                    (label, bilan.others_by_category.get(key, 0), str(bilan.others_by_category.get(key, 0)))
                    for key, label in OTHER_CATEGORIES.items()
                ),
            ],
        ),
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
            f"{last.without_referent} {'conseil' if last.without_referent < 2 else 'conseils'} sur "
            f"{last.councils} sans référent le "
            f"{french_date(last.day)} ; au plus {max(p.vacancy.without_referent for p in self.points)} "
            "sur la période."
        )


def vacancy_charts(bilan: Bilan) -> list[VacancyChart]:
    labels = theme_labels(bilan)
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


@cache
def _environment() -> Environment:
    """One Jinja environment a process: its templates are compiled once, not at every bilan
    rendered (Jinja environments are meant to be shared, and renders are thread-safe)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True
    )
    environment.filters["percent"] = percent
    environment.filters["number"] = lambda value: "—" if value is None else cell(value)
    environment.filters["french_date"] = french_date
    return environment


def bilans_html(bilans: list[Bilan], territory_name: str, timezone: str = "Europe/Paris") -> str:
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
        generated_at=datetime.now(UTC).astimezone(ZoneInfo(timezone)),
        outcome_labels=OUTCOME_LABELS,
    )


def bilan_html(bilan: Bilan, territory_name: str, timezone: str = "Europe/Paris") -> str:
    return bilans_html([bilan], territory_name, timezone)
