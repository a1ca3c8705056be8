"""`conseils territory check FILE --previous OLD`: a scenario change dated in the past is refused
(issue 20); periods begun before the day of the check stay as they were, new ones start today or later."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from typer.testing import CliRunner

from conseils_registry.cli import territory_app
from conseils_runtime.territory import default_territory_path, load_territory
from conseils_runtime.territory_periods import past_period_changes

conseils = typer.Typer()
conseils.add_typer(territory_app, name="territory")

DEMO = default_territory_path()
DEMO_PERIODS = """participation:
  comite-technique:
    - {scenario: referent_par_thematique}
    - {scenario: vivier_ouvert, since: 2026-05-01}
"""


def _variant(tmp_path: Path, periods: str) -> Path:
    text = DEMO.read_text(encoding="utf-8")
    assert DEMO_PERIODS in text
    path = tmp_path / "territoire.yaml"
    path.write_text(text.replace(DEMO_PERIODS, periods), encoding="utf-8")
    return path


def _check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(conseils, ["territory", "check", *args])
    return result.exit_code, result.output


def test_the_demo_file_is_valid_and_unchanged_against_itself() -> None:
    assert _check(str(DEMO)) == (0, f"Fichier valide : {DEMO}\n")
    code, output = _check(str(DEMO), "--previous", str(DEMO), "--date", "2026-08-15")
    assert code == 0, output


def test_moving_a_begun_period_is_refused_in_french(tmp_path: Path) -> None:
    moved = _variant(
        tmp_path,
        "participation:\n  comite-technique:\n    - {scenario: referent_par_thematique}\n"
        "    - {scenario: vivier_ouvert, since: 2026-04-01}\n",
    )
    code, output = _check(str(moved), "--previous", str(DEMO), "--date", "2026-06-02")
    assert code == 2
    assert "Fichier refusé" in output
    assert "un changement de scénario ne peut pas être daté dans le passé" in output
    assert "vivier ouvert à partir du 01/05/2026" in output
    assert "à partir du 01/04/2026" in output
    # before either date, the same change is a change of the future: accepted
    assert _check(str(moved), "--previous", str(DEMO), "--date", "2026-03-31")[0] == 0


def test_a_new_period_starts_today_or_later(tmp_path: Path) -> None:
    later = (
        "participation:\n  comite-technique:\n    - {scenario: referent_par_thematique}\n"
        "    - {scenario: vivier_ouvert, since: 2026-05-01}\n"
        "    - {scenario: referent_par_thematique, since: %s}\n"
    )
    today = "2026-06-02"
    assert _check(str(_variant(tmp_path, later % today)), "--previous", str(DEMO), "--date", today)[0] == 0
    code, output = _check(
        str(_variant(tmp_path, later % "2026-06-01")), "--previous", str(DEMO), "--date", today
    )
    assert code == 2
    assert "datez la nouvelle période d'aujourd'hui ou plus tard" in output


def test_a_new_instance_type_scenario_from_the_start_rewrites_the_past(tmp_path: Path) -> None:
    previous = load_territory(DEMO)
    current = load_territory(
        _variant(tmp_path, DEMO_PERIODS + "  comite-programmation:\n    - {scenario: vivier_ouvert}\n")
    )
    problems = past_period_changes(previous, current, date(2026, 6, 2))
    assert len(problems) == 1
    assert "comite-programmation" in problems[0]
    # writing today's default explicitly, or dropping a period not yet begun, changes no past day
    same = load_territory(
        _variant(tmp_path, "participation:\n  comite-technique:\n    - {scenario: referent_par_thematique}\n")
    )
    assert past_period_changes(previous, same, date(2026, 4, 30)) == []
    assert past_period_changes(previous, same, date(2026, 5, 2)) != []


def test_periods_out_of_order_are_refused_without_previous(tmp_path: Path) -> None:
    code, output = _check(
        str(
            _variant(
                tmp_path,
                "participation:\n  comite-technique:\n    - {scenario: vivier_ouvert, since: 2026-05-01}\n"
                "    - {scenario: referent_par_thematique, since: 2026-04-01}\n",
            )
        )
    )
    assert code == 2
    assert "doivent se suivre par dates croissantes" in output


def test_an_unreadable_date_is_refused() -> None:
    code, output = _check(str(DEMO), "--date", "demain")
    assert code == 2
    assert "Date illisible" in output
