"""The bilan as CSV: French spreadsheets (semicolons, decimal comma), formulas neutralised."""

from __future__ import annotations

import csv
import io
from typing import Any

from conseils_meetings.bilan import Bilan
from conseils_meetings.bilan_figures import (
    OUTCOME_KINDS,
    OUTCOME_LABELS,
    cell,
    compare_figures,
    french_date,
    period_label,
    theme_labels,
)
from conseils_runtime.spreadsheets import safe_text

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


def _csv_value(value: object) -> str:
    """A CSV cell; text (labels are typed by people) never starts like a formula."""
    if isinstance(value, str):
        return safe_text(value)
    return cell(value)


def _write_detail(writer: Any, bilan: Bilan, prefix: list[str]) -> None:
    """One line per total, type, theme, city, council, then per participation scenario."""
    for row in [*bilan.rows(), *bilan.by_scenario]:
        values = row.as_dict()
        writer.writerow([*prefix, *(_csv_value(values[key]) for key, _title in CSV_COLUMNS)])


def _write_vacancies(writer: Any, bilan: Bilan, prefix: list[str]) -> None:
    labels = theme_labels(bilan)
    for vacancy in bilan.vacancies:
        writer.writerow(
            [
                *prefix,
                _csv_value(labels.get(vacancy.theme, vacancy.theme)),
                french_date(vacancy.day),
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


def _write_opinions(writer: Any, bilan: Bilan, prefix: list[str]) -> None:
    for figure in bilan.opinions_by_council:
        writer.writerow(
            [
                *prefix,
                _csv_value(figure.label),
                figure.given,
                figure.favourable,
                figure.reserve,
                figure.defavorable,
                figure.decided,
                figure.followed,
            ]
        )


_OPINION_HEADER = [
    "avis des conseils",
    "avis donnés",
    "favorables",
    "réservés",
    "défavorables",
    "projets décidés",
    "avis suivis",
]
_VACANCY_HEADER = ["thématique", "date du relevé", "conseils existants", "conseils sans référent"]
_OUTCOME_HEADER = ["propositions et engagements (statut en fin de période)", "statut", "nombre"]


def _writer(buffer: io.StringIO) -> Any:
    return csv.writer(buffer, delimiter=";", lineterminator="\r\n")


def bilan_csv(bilan: Bilan) -> str:
    """Semicolon-separated, decimal comma: opens as is in French spreadsheets.

    Four blocks separated by an empty line: the figures (one line per total,
    type, theme, city, council and participation scenario), the themes without a
    referent over time, the outcomes with their status at the end of the period,
    the opinions of each council on the projects of the period.
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
    writer.writerow([])
    writer.writerow(_OPINION_HEADER)
    _write_opinions(writer, bilan, [])
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
        writer.writerow([figure.label, *(cell(v) for v in figure.values), cell(difference)])
    writer.writerow([])
    writer.writerow(["période", *_VACANCY_HEADER])
    for bilan in bilans:
        _write_vacancies(writer, bilan, [period_label(bilan)])
    writer.writerow([])
    writer.writerow(["période", *_OUTCOME_HEADER])
    for bilan in bilans:
        _write_outcomes(writer, bilan, [period_label(bilan)])
    writer.writerow([])
    writer.writerow(["période", *_OPINION_HEADER])
    for bilan in bilans:
        _write_opinions(writer, bilan, [period_label(bilan)])
    return buffer.getvalue()
