"""`python -m conseils_meetings`: the meetings service on its port (8102)."""

from __future__ import annotations

import uvicorn

from conseils_meetings.app import create_app
from conseils_meetings.settings import MeetingsSettings
from conseils_meetings.tables import participation_timeline
from conseils_runtime.territory_timeline import refuse_or_continue


def main() -> None:
    settings = MeetingsSettings()
    app = create_app(settings)
    # A territory file that changes a scenario already in force: refused in French, exit 2.
    refuse_or_continue(app.state.runtime, participation_timeline, settings.territory_config)
    uvicorn.run(app, host=settings.host, port=settings.port, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
