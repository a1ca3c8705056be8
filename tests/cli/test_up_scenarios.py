"""`conseils up` on a territory file that changes a participation scenario already in force on a
past day (issue 20): meetings and notifications would refuse to start; `conseils up` runs their
check first and says it in French (exit 2), before Kafka or any service starts, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conseils_cli import up
from conseils_cli.main import app
from conseils_cli.up_scenarios import scenario_refusal
from conseils_runtime.territory import default_territory_path, load_territory

IN_FORCE = "    - {scenario: vivier_ouvert, since: 2026-05-01}\n"


def territory_with(tmp_path: Path, name: str, line: str) -> Path:
    text = default_territory_path().read_text(encoding="utf-8")
    assert IN_FORCE in text
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(IN_FORCE, line, 1), encoding="utf-8")
    return path


def command(territory: Path, data_dir: Path) -> list[str]:
    return [
        "up",
        "--territoire",
        str(territory),
        "--data-dir",
        str(data_dir),
        "--port",
        "0",
        "--smtp-port",
        "0",
        "--ports-services",
        "0,0,0",
        "--sans-annee-demo",
    ]


@pytest.fixture
def no_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    def start(**_: Any) -> None:
        raise AssertionError("Kafka started before the scenarios were checked")

    monkeypatch.setattr(up.launcher, "start", start)


def test_a_past_scenario_change_is_refused_in_french_before_anything_starts(
    tmp_path: Path, no_kafka: None
) -> None:
    data_dir = tmp_path / "up"
    recorded = territory_with(tmp_path, "avant", "    - {scenario: vivier_ouvert, since: 2020-04-01}\n")
    # a previous start recorded the periods in both services' databases
    assert scenario_refusal(load_territory(recorded), recorded, data_dir) is None
    assert (data_dir / "meetings.db").exists()
    assert (data_dir / "notifications.db").exists()

    moved = territory_with(tmp_path, "apres", "    - {scenario: rotation, since: 2020-03-01}\n")
    result = CliRunner().invoke(app, command(moved, data_dir))
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "Démarrage refusé (meetings) : le fichier du territoire change un scénario" in output
    assert "conseils territory check" in output
    assert "Traceback" not in result.output
    assert "Kafka prêt" not in result.output
    # the services' start-up lines (a warning of notifications) stay off the console (in the log:
    # tests/e2e/test_up_quiet.py runs `conseils up` as a person runs it)
    assert "DKIM" not in result.output


def test_the_same_file_or_a_future_change_passes_and_each_service_checks_its_own(tmp_path: Path) -> None:
    data_dir = tmp_path / "up"
    recorded = territory_with(tmp_path, "avant", "    - {scenario: vivier_ouvert, since: 2020-04-01}\n")
    assert scenario_refusal(load_territory(recorded), recorded, data_dir) is None
    assert scenario_refusal(load_territory(recorded), recorded, data_dir) is None
    later = territory_with(
        tmp_path,
        "plus-tard",
        "    - {scenario: vivier_ouvert, since: 2020-04-01}\n    - {scenario: rotation, since: 2099-01-15}\n",
    )
    assert scenario_refusal(load_territory(later), later, data_dir) is None
    # each service checks against its own record: notifications refuses too
    (data_dir / "meetings.db").unlink()
    moved = territory_with(tmp_path, "apres", "    - {scenario: rotation, since: 2020-03-01}\n")
    refusal = scenario_refusal(load_territory(moved), moved, data_dir)
    assert refusal is not None
    assert refusal.startswith("Démarrage refusé (notifications)")
