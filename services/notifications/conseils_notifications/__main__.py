"""`python -m conseils_notifications`: the notifications service on its port (8103)."""

from __future__ import annotations

import uvicorn

from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings


def main() -> None:
    settings = NotificationsSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
