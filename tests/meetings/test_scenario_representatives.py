"""The bilan's comparison of the scenarios counts the referents' substitutes' presence and the
presence of the members whose turn it was, and the rotation scenario (tour de rôle) is a period of
its own beside referent per theme."""

from __future__ import annotations

from datetime import UTC, date, datetime

from conseils_meetings.scenario_figures import scenario_periods
from conseils_runtime.territory import ParticipationPeriod, default_territory_path, load_territory

from .test_bilan import COUNCILS, A, B, M, instance

PERIOD = (date(2025, 9, 1), date(2026, 8, 31))
FEBRUARY = datetime(2026, 2, 10, 17, 30, tzinfo=UTC)
MAY = datetime(2026, 5, 12, 16, 30, tzinfo=UTC)


def test_substitutes_and_turns_are_counted_and_rotation_is_a_row() -> None:
    periods = [
        ParticipationPeriod(scenario="referent_par_thematique"),
        ParticipationPeriod(scenario="rotation", since=date(2026, 4, 1)),
    ]
    territory = load_territory(default_territory_path()).model_copy(
        update={"participation": {"comite-technique": periods}}
    )
    winter = instance(  # A's referent M0 cancelled: her substitute M2 came; B's substitute M3 did not
        kind="comite-technique", theme="emploi", starts=FEBRUARY, concerned=(A, B),
        present={M[2]: A}, referents=((A, M[0]), (B, M[1])),
    )  # fmt: skip
    spring = instance(  # A's turn: M4 came; B's turn: M5 did not
        kind="comite-technique", theme="emploi", starts=MAY, concerned=(A, B), present={M[4]: A},
    )  # fmt: skip
    by_scenario = {
        p.scenario: p
        for p in scenario_periods(
            *PERIOD,
            [winter, spring],
            territory,
            councils=COUNCILS,
            substitutes={winter.id: {M[2], M[3]}},
            turns={spring.id: {M[4], M[5]}},
        )
    }
    assert set(by_scenario) == {"referent_par_thematique", "rotation"}
    referent, rotation = by_scenario["referent_par_thematique"], by_scenario["rotation"]
    assert (referent.substitutes_expected, referent.substitutes_present) == (2, 1)
    assert (referent.turns_expected, rotation.turns_expected, rotation.turns_present) == (0, 2, 1)
    assert rotation.label == "Comité technique thématique — tour de rôle"
    assert rotation.as_dict()["turns_present"] == 1
    assert referent.as_dict()["substitutes_present"] == 1


def test_the_bilan_page_compares_the_substitutes_and_the_turns() -> None:
    from conseils_web.staff.bilan_compare import comparisons
    from tests.web.test_bilan_scenarios_page import bilan_with_scenarios

    bilan = bilan_with_scenarios()
    periods = bilan["scenario_periods"]
    assert isinstance(periods, list)
    periods[0].update(substitutes_expected=2, substitutes_present=1)
    periods[1].update(scenario="rotation", turns_expected=2, turns_present=2)
    [comparison] = comparisons(bilan)
    lines = {line.label: [cell.text for cell in line.cells] for line in comparison.tables[0].lines}
    assert lines["Présence des suppléant·es des référents"] == ["50 % (1 sur 2)", "—"]
    assert lines["Présence des membres dont c'était le tour (tour de rôle)"] == ["—", "100 % (2 sur 2)"]
