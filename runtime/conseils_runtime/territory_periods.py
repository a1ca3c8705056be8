"""A change of participation scenario is dated in the future, never in the past.

The territory file is read when the services start, so the only place where a
change can be refused is before the file is deployed: `conseils territory check
FILE --previous OLD` compares the participation periods of the two files. The
scenario in force on every day before the day of the check must stay what it
was: a period that starts in the past may only be kept as it is; new periods and
changed ones start today or later. The problems are written in French.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from conseils_runtime.territory import DEFAULT_SCENARIO, ParticipationPeriod, Scenario, TerritoryConfig

_NAMES = {
    "referent_par_thematique": "référent par thématique",
    "vivier_ouvert": "vivier ouvert",
    "rotation": "tour de rôle",
}


def _timeline(periods: list[ParticipationPeriod]) -> list[tuple[date | None, Scenario]]:
    """The scenario from each change date (None: from the start), consecutive repeats merged."""
    steps: list[tuple[date | None, Scenario]] = [(None, DEFAULT_SCENARIO)]
    for period in periods:
        if period.since is None:
            steps = [(None, period.scenario)]
        elif period.scenario != steps[-1][1]:
            steps.append((period.since, period.scenario))
    return steps


def _past(steps: list[tuple[date | None, Scenario]], today: date) -> list[tuple[date | None, Scenario]]:
    return [(since, scenario) for since, scenario in steps if since is None or since < today]


def _describe(steps: list[tuple[date | None, Scenario]]) -> str:
    return ", ".join(
        f"{_NAMES[scenario]} {'depuis le début' if since is None else f'à partir du {since:%d/%m/%Y}'}"
        for since, scenario in steps
    )


def past_period_changes(previous: TerritoryConfig, current: TerritoryConfig, today: date) -> list[str]:
    """What the new file changes in the participation periods already begun before `today`."""
    return past_changes(previous.participation, current.participation, today)


def past_changes(
    previous: Mapping[str, list[ParticipationPeriod]],
    current: Mapping[str, list[ParticipationPeriod]],
    today: date,
) -> list[str]:
    """The same, on the participation sections themselves (the services compare the one they
    recorded at their last start: `territory_timeline`)."""
    problems: list[str] = []
    kinds = sorted(set(previous) | set(current))
    for kind in kinds:
        before = _past(_timeline(previous.get(kind, [])), today)
        after = _past(_timeline(current.get(kind, [])), today)
        if before != after:
            problems.append(
                f"participation de {kind} : un changement de scénario ne peut pas être daté dans le passé "
                f"(avant le {today:%d/%m/%Y}, le fichier précédent donnait « {_describe(before)} », "
                f"le nouveau donne « {_describe(after)} ») ; datez la nouvelle période d'aujourd'hui "
                "ou plus tard"
            )
    return problems
