"""Which school year the demo's past year was played into (`conseils up`, first run): the
platform writes it next to the databases, the bilan page offers it (« Année de démonstration
(2025-2026) »), so a person finds the demo's figures in one click and not an empty year."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

DEMO_YEAR_FILE = "annee-demo.json"


def record_demo_year(data_dir: Path, start: date, end: date) -> None:
    path = data_dir / DEMO_YEAR_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"from": start.isoformat(), "to": end.isoformat()}), encoding="utf-8")
    temporary.replace(path)


def read_demo_year(path: Path | None) -> tuple[date, date] | None:
    """The school year recorded, or None (no demo year played in this data directory)."""
    if path is None or not path.is_file():
        return None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        return date.fromisoformat(recorded["from"]), date.fromisoformat(recorded["to"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
