"""The example with `--schema-org`: it also writes `agenda.jsonld` and `agenda.csv`, by the
contract's `conseils_schemas.open_data`, the very function the platform's site publishes with."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from conseils_schemas import open_data
from tests.examples.test_open_data_agenda import EXAMPLE_DIR, STARTS, T0, rescheduled, scheduled

if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from open_data_agenda import Agenda, publisher_from_args  # type: ignore[import-not-found]


def test_the_flag_writes_the_schema_org_and_csv_files(tmp_path: Path) -> None:
    assert publisher_from_args([], "plaine-commune") is None  # by default, JSON and ICS only
    publisher = publisher_from_args(
        ["--schema-org", "--site-url", "https://conseils.example/", "--territory-name", "Plaine Commune"],
        "plaine-commune",
    )
    assert publisher == open_data.Publisher("plaine-commune", "Plaine Commune", "https://conseils.example")
    agenda = Agenda(tmp_path, "plaine-commune", publisher)
    agenda.apply(scheduled(), T0)
    agenda.apply(rescheduled(1), T0 + timedelta(minutes=1))
    agenda.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agenda.csv",
        "agenda.ics",
        "agenda.json",
        "agenda.jsonld",
    ]
    [event] = json.loads((tmp_path / "agenda.jsonld").read_text(encoding="utf-8"))["@graph"]
    assert event["eventStatus"] == "https://schema.org/EventRescheduled"
    assert event["previousStartDate"] == [STARTS.astimezone(ZoneInfo("Europe/Paris")).isoformat()]
    [row] = csv.DictReader(io.StringIO((tmp_path / "agenda.csv").read_text(encoding="utf-8")))
    assert row["statut"] == "déplacée"
    reloaded = Agenda(tmp_path, "plaine-commune", publisher)  # the state keeps the earlier dates
    assert reloaded.entries == agenda.entries
    assert reloaded.entries[event["identifier"].split("@")[0]]["previous_starts_at"] == [
        "2026-03-10T18:30:00Z"
    ]
