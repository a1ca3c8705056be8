"""What the site's bilan page shows of the meetings service's bilan (its JSON, the contract):
the period checked, the totals in French, bar charts as HTML (the label above its bar, so a
long council name wraps instead of being cut or clipped), the tables and the referent gaps.
Plain Python, no I/O."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from conseils_schemas.labels import OUTCOME_STATUS_LABELS
from conseils_web import frenchdates

Errors = list[tuple[str, str]]
MAX_YEARS = 5


def school_year(today: date) -> tuple[date, date]:
    """The year the councils and the contrat de ville count in: 1 September to 31 August
    (the Plaine Commune bilan covered 2016-17)."""
    first = today.year if today.month >= 9 else today.year - 1
    return date(first, 9, 1), date(first + 1, 8, 31)


def read_period(start: str | None, end: str | None, today: date) -> tuple[dict[str, str], Errors]:
    """The period typed (kept as typed for the form) and its errors, each for its field."""
    default_start, default_end = school_year(today)
    typed = {"from": start if start is not None else default_start.isoformat()}
    typed["to"] = end if end is not None else default_end.isoformat()
    errors: Errors = []
    days: dict[str, date] = {}
    for name, label in (("from", "de début"), ("to", "de fin")):
        try:
            days[name] = date.fromisoformat(typed[name].strip())
        except ValueError:
            errors.append((name, f"Saisissez la date {label} de la période (jj/mm/aaaa)."))
    if not errors:
        if days["to"] < days["from"]:
            errors.append(("to", "La fin de la période doit être après son début."))
        elif (days["to"] - days["from"]).days > 366 * MAX_YEARS:
            errors.append(("to", f"Choisissez une période d'au plus {MAX_YEARS} ans."))
    return typed, errors


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",") if value != int(value) else str(int(value))


@dataclass(frozen=True)
class Bar:
    label: str
    width: float  # percent of the longest bar
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    note: str = ""


def _bars(items: list[tuple[str, float, str]], maximum: float | None = None) -> list[Bar]:
    top = maximum if maximum is not None else max((value for _label, value, _text in items), default=0.0)
    top = top or 1.0
    return [Bar(label, round(100 * value / top, 1), text) for label, value, text in items]


def _presence(title: str, rows: list[dict[str, Any]]) -> Chart:
    return Chart(title, _bars([(row["label"], float(row["present"]), str(row["present"])) for row in rows]))


def charts(bilan: dict[str, Any]) -> list[Chart]:
    """Presence by council, city and type; referents' presence; political instances off hours."""
    referents = [
        (row["label"], row["referent_presence_rate"] or 0.0, percent(row["referent_presence_rate"]))
        for row in bilan["by_theme"]
    ]
    political = [row for row in bilan["by_type"] if row["political_held"]]
    outside = [
        (
            row["label"],
            row["outside_working_hours_share"] or 0.0,
            f"{percent(row['outside_working_hours_share'])} ({_slots(row)})",
        )
        for row in political
    ]
    return [
        _presence("Présents par conseil", bilan["by_council"]),
        _presence("Présents par ville", bilan["by_city"]),
        _presence("Présents par type d'instance", bilan["by_type"]),
        Chart("Présence des référents par thématique", _bars(referents, 1.0)),
        Chart("Instances politiques tenues hors temps de travail", _bars(outside, 1.0)),
    ]


def _slots(row: dict[str, Any]) -> str:
    parts = [
        (row["political_weekday_evening"], "en soirée"),
        (row["political_saturday"], "le samedi"),
        (row["political_sunday"], "le dimanche"),
    ]
    outside = sum(count for count, _label in parts)
    detail = ", ".join(f"{count} {label}" for count, label in parts if count)
    return f"{outside} sur {row['political_held']}" + (f" : {detail}" if detail else "")


@dataclass(frozen=True)
class Gap:
    """A theme's councils without referent over the period, sampled monthly."""

    theme: str
    samples: list[tuple[str, int, int]]  # day (French), councils, without referent

    @property
    def summary(self) -> str:
        _day, councils, without = self.samples[-1]
        worst = max(sample[2] for sample in self.samples)
        noun = "conseil" if without < 2 else "conseils"
        return f"{without} {noun} sur {councils} sans référent à la fin ; au plus {worst} sur la période."


def gaps(bilan: dict[str, Any], theme_names: dict[str, str]) -> list[Gap]:
    by_theme: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for vacancy in bilan["vacancies"]:
        by_theme[vacancy["theme"]].append(vacancy)
    return [
        Gap(
            theme_names.get(slug, slug),
            [
                (frenchdates.day_fr(date.fromisoformat(v["date"])), v["councils"], v["without_referent"])
                for v in sorted(samples, key=lambda v: str(v["date"]))
            ],
        )
        for slug, samples in by_theme.items()
    ]


def outcome_rows(bilan: dict[str, Any]) -> list[tuple[str, int, int]]:
    outcomes = bilan.get("outcomes") or {}
    proposals, commitments = outcomes.get("proposal", {}), outcomes.get("commitment", {})
    return [
        (label.capitalize(), int(proposals.get(status, 0)), int(commitments.get(status, 0)))
        for status, label in OUTCOME_STATUS_LABELS.items()
    ]
