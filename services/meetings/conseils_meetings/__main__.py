"""`python -m conseils_meetings`: the meetings service on its port (8102)."""

from __future__ import annotations

import uvicorn

from conseils_meetings.app import create_app
from conseils_meetings.settings import MeetingsSettings


def main() -> None:
    settings = MeetingsSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
