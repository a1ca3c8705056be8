"""The bilan's outputs: CSV (French spreadsheets, formulas neutralised), JSON (byte-comparable),
HTML with SVG charts (accessible), one period or two side by side.

One module per output, all importable from here: `bilan_csv` (CSV), `bilan_html` (HTML and
its charts), `bilan_figures` (what both share: French formatting, labels, the comparison of
periods); the JSON is this module's own.
"""

from __future__ import annotations

import json

from conseils_meetings.bilan import Bilan
from conseils_meetings.bilan_csv import CSV_COLUMNS, _csv_value, bilan_csv, bilans_csv
from conseils_meetings.bilan_figures import (
    OUTCOME_KINDS,
    OUTCOME_LABELS,
    SLOT_CSS,
    SLOTS,
    Figure,
    compare_figures,
    period_label,
    present_slots,
)
from conseils_meetings.bilan_html import (
    TEMPLATES,
    Bar,
    Chart,
    PeriodView,
    Point,
    Segment,
    VacancyChart,
    bar_chart,
    bilan_charts,
    bilan_html,
    bilans_html,
    outside_hours_chart,
    vacancy_charts,
)

__all__ = [
    "CSV_COLUMNS",
    "OUTCOME_KINDS",
    "OUTCOME_LABELS",
    "SLOTS",
    "SLOT_CSS",
    "TEMPLATES",
    "Bar",
    "Chart",
    "Figure",
    "PeriodView",
    "Point",
    "Segment",
    "VacancyChart",
    "_csv_value",
    "bar_chart",
    "bilan_charts",
    "bilan_csv",
    "bilan_html",
    "bilans_csv",
    "bilans_html",
    "bilans_json",
    "compare_figures",
    "outside_hours_chart",
    "period_label",
    "present_slots",
    "vacancy_charts",
]


def bilans_json(bilans: list[Bilan]) -> str:
    """`Bilan.as_dict()` (one period) or {"periods": [...]}: sorted keys, byte-comparable."""
    payload: object = bilans[0].as_dict() if len(bilans) == 1 else {"periods": [b.as_dict() for b in bilans]}
    return json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
