"""What the bilan's outputs share: the French formatting of figures and dates, the labels of
outcomes and time slots, and the comparison of key totals between periods (CSV and HTML)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from conseils_meetings.bilan import Bilan
from conseils_schemas.labels import OUTCOME_STATUS_LABELS

OUTCOME_KINDS = {"proposal": "Propositions des conseils", "commitment": "Engagements des élus"}
OUTCOME_LABELS = OUTCOME_STATUS_LABELS


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def period_label(bilan: Bilan) -> str:
    return f"du {french_date(bilan.period_from)} au {french_date(bilan.period_to)}"


def theme_labels(bilan: Bilan) -> dict[str, str]:
    return {row.key: row.label for row in bilan.by_theme}


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
            return percent(value if value is None else float(value))
        return "—" if value is None else cell(value)

    @property
    def difference(self) -> str:
        value = self.difference_value
        if value is None:
            return "—"
        if self.rate:
            points = round(value * 100)
            return f"{points:+d} points" if points else "0 point"
        if isinstance(value, float):
            return ("+" if value > 0 else "") + cell(value)
        return f"{value:+d}" if value else "0"


def compare_figures(bilans: list[Bilan]) -> list[Figure]:
    """The key totals of each period, in the order of the comparison table."""

    def total(key: str) -> list[float | int | None]:
        return [number(b.total.as_dict()[key]) for b in bilans]

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


def number(value: object) -> float | int | None:
    return value if isinstance(value, int | float) else None
