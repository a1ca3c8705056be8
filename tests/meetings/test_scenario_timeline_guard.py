"""The services that follow the participation scenarios refuse to start on a territory file that
changes a scenario already in force on a past day, compared with the periods they recorded at
their last start (the rule of `conseils territory check --previous`); a change dated today or
later is accepted and becomes the recorded one. The entry point says it in French, exit 2."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conseils_meetings.app import create_app as meetings_app
from conseils_meetings.settings import MeetingsSettings
from conseils_meetings.tables import participation_timeline
from conseils_notifications.app import create_app as notifications_app
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.tables import participation_timeline as notifications_timeline
from conseils_runtime.territory import default_territory_path
from conseils_runtime.territory_timeline import PastScenarioChange, preflight, refuse_or_continue

TODAY = date(2026, 12, 1)


def territory_with(tmp_path: Path, line: str) -> Path:
    text = default_territory_path().read_text(encoding="utf-8")
    old = "    - {scenario: vivier_ouvert, since: 2026-05-01}\n"
    assert old in text
    path = tmp_path / f"territoire-{abs(hash(line))}.yaml"
    path.write_text(text.replace(old, line, 1), encoding="utf-8")
    return path


def meetings(tmp_path: Path, territory_file: Path) -> MeetingsSettings:
    return MeetingsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/meetings.db",
        territory="garde-scenarios",
        kafka_bootstrap_servers="127.0.0.1:1",  # never reached: refused before the broker
        territory_file=territory_file,
        documents_dir=tmp_path / "documents",
        log_json=False,
    )


async def test_a_past_change_refuses_the_start_and_a_future_one_is_recorded(tmp_path: Path) -> None:
    from conseils_runtime.territory_timeline import check_and_record

    first = territory_with(tmp_path, "    - {scenario: vivier_ouvert, since: 2026-04-01}\n")
    settings = meetings(tmp_path, first)
    app = meetings_app(settings)
    runtime = app.state.runtime
    await runtime.database.create_all(runtime.metadata)
    await check_and_record(
        runtime.database, participation_timeline, settings.territory_config, TODAY, service="m"
    )
    # the same file again, and a change from a future day: accepted
    later = territory_with(
        tmp_path,
        "    - {scenario: vivier_ouvert, since: 2026-04-01}\n    - {scenario: rotation, since: 2027-01-15}\n",
    )
    await check_and_record(
        runtime.database,
        participation_timeline,
        meetings(tmp_path, later).territory_config,
        TODAY,
        service="m",
    )
    # moving the April change (already in force) is refused, and nothing is recorded
    moved = territory_with(tmp_path, "    - {scenario: vivier_ouvert, since: 2026-05-01}\n")
    with pytest.raises(PastScenarioChange) as refused:
        await check_and_record(
            runtime.database,
            participation_timeline,
            meetings(tmp_path, moved).territory_config,
            TODAY,
            service="m",
        )
    message = str(refused.value)
    assert message.startswith(
        "Démarrage refusé (m) : le fichier du territoire change un scénario de participation"
    )
    assert "participation de comite-technique" in message
    assert "à partir du 01/04/2026" in message
    await runtime.database.dispose()


def test_the_entry_point_says_it_in_french_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = territory_with(tmp_path, "    - {scenario: vivier_ouvert, since: 2020-04-01}\n")
    first = meetings(tmp_path, recorded)
    app = meetings_app(first)
    refuse_or_continue(app.state.runtime, participation_timeline, first.territory_config)
    moved = territory_with(tmp_path, "    - {scenario: rotation, since: 2020-03-01}\n")
    settings = meetings(tmp_path, moved)
    app = meetings_app(settings)
    with pytest.raises(SystemExit) as exited:
        refuse_or_continue(app.state.runtime, participation_timeline, settings.territory_config)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Démarrage refusé (meetings)" in err
    assert "Traceback" not in err


async def test_the_notifications_lifespan_refuses_before_the_broker(tmp_path: Path) -> None:
    def settings(path: Path) -> NotificationsSettings:
        return NotificationsSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/notifications.db",
            territory="garde-scenarios",
            kafka_bootstrap_servers="127.0.0.1:1",
            territory_file=path,
            log_json=False,
        )

    recorded = territory_with(tmp_path, "    - {scenario: vivier_ouvert, since: 2020-04-01}\n")
    accepted = settings(recorded)
    first = notifications_app(accepted)
    await preflight(first.state.runtime, notifications_timeline, accepted.territory_config)
    await first.state.runtime.database.dispose()
    moved = notifications_app(
        settings(territory_with(tmp_path, "    - {scenario: rotation, since: 2020-06-01}\n"))
    )
    with pytest.raises(PastScenarioChange, match=r"Démarrage refusé \(notifications\)"):
        async with moved.router.lifespan_context(moved):
            pass  # never reached
