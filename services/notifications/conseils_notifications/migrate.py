"""Schema migrations of the notifications service (Alembic), for production databases.

The embedded mode creates missing tables at start (`create_schema`); a
production deployment sets `CONSEILS_NOTIFICATIONS_CREATE_SCHEMA=false` and runs
`python -m conseils_notifications.migrate` (upgrade to the latest revision).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from conseils_notifications.settings import NotificationsSettings

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "", connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_with(connection: Connection, revision: str = "head") -> None:
    """Upgrade through a connection the caller holds (`await conn.run_sync(upgrade_with)`)."""
    command.upgrade(alembic_config(connection=connection), revision)


def main() -> None:
    settings = NotificationsSettings()
    command.upgrade(alembic_config(settings.resolved_database_url()), "head")
    print("Base des notifications à jour.")


if __name__ == "__main__":
    main()
