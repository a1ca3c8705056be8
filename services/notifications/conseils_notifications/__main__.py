"""`python -m conseils_notifications`: the notifications service on its port (8103)."""

from __future__ import annotations

import uvicorn

from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.tables import participation_timeline
from conseils_runtime.territory_timeline import refuse_or_continue


def main() -> None:
    settings = NotificationsSettings()
    app = create_app(settings)
    # A territory file that changes a scenario already in force: refused in French, exit 2.
    refuse_or_continue(app.state.runtime, participation_timeline, settings.territory_config)
    uvicorn.run(app, host=settings.host, port=settings.port, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
