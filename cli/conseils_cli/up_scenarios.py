"""`conseils up` checks the participation scenarios before anything starts (issue 20).

meetings and notifications refuse to start on a territory file that changes a scenario already in
force on a past day (`conseils_runtime.territory_timeline`). Run by `conseils up`, that refusal
would come out of a service's start-up as a traceback, after Kafka had started: instead `conseils
up` runs the services' own check (`preflight`: schema up to date, scenarios compared with those
recorded at the last start, then recorded) on the same databases, first, and says the refusal in
French (exit 2), as it does for a taken port.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

from conseils_runtime.territory import TerritoryConfig
from conseils_runtime.territory_timeline import PastScenarioChange, preflight

SCENARIO_SERVICES = ("meetings", "notifications")
"""The services that follow the participation scenarios, hence check them at start."""


def scenario_refusal(territory: TerritoryConfig, territory_file: Path, data_dir: Path) -> str | None:
    """The French refusal of the first service whose recorded scenarios the file changes on a past
    day, or None: the file's periods are then recorded, as the service's own start records them."""
    from conseils_web.platform import PlatformOptions, _service_settings

    options = PlatformOptions(
        territory=territory,
        territory_file=territory_file,
        kafka_bootstrap="127.0.0.1:1",  # never reached: the check reads the services' databases only
        data_dir=data_dir,
    )

    async def check(name: str) -> None:
        app = importlib.import_module(f"conseils_{name}.app").create_app(
            _service_settings(name, options, smtp_port=2525)  # no mail is sent: any port
        )
        table = importlib.import_module(f"conseils_{name}.tables").participation_timeline
        runtime = app.state.runtime
        try:
            await preflight(runtime, table, territory)
        finally:
            await runtime.database.dispose()

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name in SCENARIO_SERVICES:
            asyncio.run(check(name))
    except PastScenarioChange as error:
        return str(error)
    return None
