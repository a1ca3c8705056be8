"""The scenarios side by side on the bilan page (issue 20): from the meetings service's
`scenario_periods`, per instance type, one column per period a scenario was in force and
the difference between the last and the first; each cell a value and its bar (HTML, the
number written next to it, so the chart reads without the bar). Plain Python, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from conseils_web import frenchdates


@dataclass(frozen=True)
class Cell:
    text: str
    width: float  # percent of the bar's full length
    value: float | None


@dataclass(frozen=True)
class Line:
    label: str
    cells: list[Cell]
    difference: str


@dataclass(frozen=True)
class Table:
    caption: str
    lines: list[Line]


@dataclass(frozen=True)
class Comparison:
    title: str
    columns: list[str]
    tables: list[Table]


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if not whole or part is None else part / whole


def _rate_cell(value: float | None, detail: str = "") -> Cell:
    text = "—" if value is None else f"{round(value * 100)} %" + (f" ({detail})" if detail else "")
    return Cell(text, 0.0 if value is None else round(min(value, 1.0) * 100, 1), value)


def _count_cells(values: list[int]) -> list[Cell]:
    top = max(values, default=0) or 1
    return [Cell(str(value), round(100 * value / top, 1), float(value)) for value in values]


def _difference(cells: list[Cell], rate: bool) -> str:
    if len(cells) < 2 or cells[0].value is None or cells[-1].value is None:
        return "—"
    delta = cells[-1].value - cells[0].value
    if rate:
        points = round(delta * 100)
        return f"{points:+d} pt" + ("s" if abs(points) > 1 else "")
    return f"{round(delta):+d}"


def _rate_line(label: str, cells: list[Cell]) -> Line:
    return Line(label, cells, _difference(cells, rate=True))


def _presence(row: dict[str, Any] | None) -> Cell:
    if row is None:
        return _rate_cell(None)
    rate = _ratio(row["present"], row["invited"])
    return _rate_cell(rate, f"{row['present']} sur {row['invited']}")


def _per_row(periods: list[dict[str, Any]], key: str) -> list[Line]:
    labels: dict[str, str] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for index, period in enumerate(periods):
        for row in period[key]:
            labels[row["key"]] = row["label"]
            rows[row["key"]][index] = row
    ordered = sorted(labels, key=lambda k: labels[k])
    return [_rate_line(labels[k], [_presence(rows[k].get(i)) for i in range(len(periods))]) for k in ordered]


def _summary(periods: list[dict[str, Any]]) -> list[Line]:
    def rates(part: Callable[[dict[str, Any]], Any], whole: Callable[[dict[str, Any]], Any]) -> list[Cell]:
        return [_rate_cell(_ratio(part(p), whole(p)), f"{part(p)} sur {whole(p)}") for p in periods]

    given = _count_cells([int(p["opinions_given"]) for p in periods])
    return [
        _rate_line("Présence des invités", [_presence(p["total"]) for p in periods]),
        _rate_line(
            "Présence des référents",
            rates(lambda p: p["total"]["referents_present"], lambda p: p["total"]["referents_expected"]),
        ),
        _rate_line(
            "Présence des suppléant·es des référents",
            rates(lambda p: p.get("substitutes_present", 0), lambda p: p.get("substitutes_expected", 0)),
        ),
        _rate_line(
            "Présence des membres dont c'était le tour (tour de rôle)",
            rates(lambda p: p.get("turns_present", 0), lambda p: p.get("turns_expected", 0)),
        ),
        _rate_line(
            "Conseils représentés aux instances",
            rates(lambda p: p["councils_represented"], lambda p: p["councils_concerned"]),
        ),
        Line("Avis donnés", given, _difference(given, rate=False)),
        _rate_line(
            "Avis suivis (parmi les projets décidés)",
            rates(lambda p: p["opinions_followed"], lambda p: p["opinions_decided"]),
        ),
    ]


def _column(period: dict[str, Any]) -> str:
    scenario = str(period["label"]).rpartition(" — ")[2]
    first, last = period.get("first_day"), period.get("last_day")
    if not first or not last:
        return scenario.capitalize()
    start, end = (frenchdates.day_fr(date.fromisoformat(day)) for day in (first, last))
    when = f"le {start}" if first == last else f"du {start} au {end}"
    return f"{scenario.capitalize()} ({when})"


def comparisons(bilan: dict[str, Any]) -> list[Comparison]:
    """One comparison per instance type whose scenarios are dated, its periods in date order."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for period in bilan.get("scenario_periods") or []:
        by_type[period["instance_type"]].append(period)
    result = []
    for periods in by_type.values():
        name = str(periods[0]["label"]).rpartition(" — ")[0]
        result.append(
            Comparison(
                title=name,
                columns=[_column(p) for p in periods],
                tables=[
                    Table(f"{name} : les scénarios comparés", _summary(periods)),
                    Table(f"{name} : présence par conseil", _per_row(periods, "by_council")),
                    Table(f"{name} : présence par thématique", _per_row(periods, "by_theme")),
                ],
            )
        )
    return result
