"""`python -m conseils_registry`: the registry's HTTP API on its port (8101)."""

from __future__ import annotations

import uvicorn

from conseils_registry.app import create_app
from conseils_registry.settings import RegistrySettings


def main() -> None:
    settings = RegistrySettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
