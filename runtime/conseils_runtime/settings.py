"""Settings shared by every service, read from the environment (and `.env`).

Each service subclasses `ServiceSettings` with its own `env_prefix`; the
Kafka bootstrap address and the territory are common to all and keep their
conventional names (`KAFKA_BOOTSTRAP_SERVERS`, `CONSEILS_TERRITORY`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conseils_runtime.kafka_security import KafkaClientSettings

if TYPE_CHECKING:
    from conseils_runtime.territory import TerritoryConfig

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Territory files read by `ServiceSettings` (secret check, schema URL), by path and modification time:
# a start reads its file once.
_TERRITORY_FILES: dict[tuple[str, int], TerritoryConfig | None] = {}

MIN_FACT_RETENTION_DAYS = 400
"""A year of facts plus a margin: the June replay of the whole previous year must still find them."""


class RetentionSettings(BaseSettings):
    """How long the territory's fact topics keep their events (read by `ensure_topics`).

    One deployment is one territory, so this is the per-territory setting:
    `CONSEILS_FACT_RETENTION_DAYS` (absent: forever, the default).
    """

    model_config = SettingsConfigDict(env_prefix="CONSEILS_", env_file=".env", extra="ignore")

    fact_retention_days: int | None = Field(
        default=None,
        validation_alias=AliasChoices("CONSEILS_FACT_RETENTION_DAYS", "fact_retention_days"),
        description=(
            f"Days the fact topics keep their events; absent: forever. At least {MIN_FACT_RETENTION_DAYS}."
        ),
    )

    @field_validator("fact_retention_days", mode="before")
    @classmethod
    def _empty_is_forever(cls, value: object) -> object:
        # docker-compose passes `${FACT_RETENTION_DAYS:-}`: an empty variable means "unset".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("fact_retention_days")
    @classmethod
    def _keeps_a_year(cls, value: int | None) -> int | None:
        if value is not None and value < MIN_FACT_RETENTION_DAYS:
            raise ValueError(
                f"CONSEILS_FACT_RETENTION_DAYS={value} refusé : les topics de faits doivent garder au moins "
                f"{MIN_FACT_RETENTION_DAYS} jours (rejouer l'année en juin), ou tout garder "
                "(variable absente) / "
                f"refused: fact topics must keep at least {MIN_FACT_RETENTION_DAYS} days "
                "(a June replay of the year), or everything (leave the variable unset)"
            )
        return value


class ServiceSettings(RetentionSettings, KafkaClientSettings):
    """What every service needs to run; services add their own fields."""

    model_config = SettingsConfigDict(env_prefix="CONSEILS_", env_file=".env", extra="ignore")

    service_name: str = "service"
    territory: str = Field(
        default="plaine-commune",
        validation_alias=AliasChoices("CONSEILS_TERRITORY", "territory"),
        description="Territory slug; prefixes every topic and consumer group.",
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; empty means a SQLite file under data_dir.",
    )
    data_dir: Path = Path(".var/data")
    create_schema: bool = Field(
        default=True,
        description="Create missing tables at start (embedded mode); production runs Alembic.",
    )
    topic_partitions: int = Field(
        default=3,
        ge=1,
        le=200,
        validation_alias=AliasChoices("CONSEILS_TOPIC_PARTITIONS", "topic_partitions"),
        description="Partitions of the topics the service creates: how many replicas can share a group.",
    )
    max_attempts: int = Field(default=3, ge=1, le=20)
    commit_every_events: int = Field(
        default=50,
        ge=1,
        le=10_000,
        description="Commit consumer offsets after this many processed events (1: after each one).",
    )
    commit_interval_seconds: float = Field(
        default=0.5, gt=0, le=30, description="...or when the oldest uncommitted processed event is this old."
    )
    retry_backoff_seconds: float = Field(default=0.2, gt=0, le=30)
    outbox_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    auth_secret: str = Field(
        default="dev-secret-change-me",
        validation_alias=AliasChoices("CONSEILS_AUTH_SECRET", "auth_secret"),
        description=(
            "Shared HMAC secret that signs access tokens: at least 32 random characters; the default "
            "(or a short one) is refused at start unless the territory file says `demo: true`."
        ),
    )
    territory_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("CONSEILS_TERRITORY_FILE", "territory_file"),
        description="The territory YAML file; default: the Plaine Commune demo.",
    )
    stop_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description=(
            "Longest wait of a stop: a step still waiting then (Kafka away) is cancelled, and the "
            "database is disposed in any case."
        ),
    )
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("territory")
    @classmethod
    def _territory_is_a_slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("territory must be a lowercase slug such as 'plaine-commune'")
        return value

    @property
    def topic_prefix(self) -> str:
        return self.territory

    def _territory_file(self) -> TerritoryConfig | None:
        """The territory file (default: the Plaine Commune demo), read once; None when unreadable."""
        from conseils_runtime.territory import TerritoryFileError, default_territory_path, load_territory

        path = self.territory_file or default_territory_path()
        try:
            key = (str(path), path.stat().st_mtime_ns)
        except OSError:
            return None
        if key not in _TERRITORY_FILES:
            try:
                _TERRITORY_FILES[key] = load_territory(path)
            except TerritoryFileError:
                _TERRITORY_FILES[key] = None
        return _TERRITORY_FILES[key]

    def is_demo(self) -> bool:
        """True when the territory file (default: the Plaine Commune demo) says `demo: true`.
        A file that cannot be read is not a demo (the services refuse to start on it anyway)."""
        territory = self._territory_file()
        return territory is not None and territory.demo

    def schema_base_url(self) -> str | None:
        """Where the site serves the event contract's JSON Schemas (`<public URL>/schemas`), named by
        every record's `ce_dataschema`; None when the territory file cannot be read."""
        territory = self._territory_file()
        return None if territory is None else territory.mail.public_base_url.rstrip("/") + "/schemas"

    def require_safe_secret(self) -> None:
        """Raise `UnsafeSecret` (French message) for a default or short `auth_secret` outside a demo;
        `ServiceRuntime.start` calls it first."""
        from conseils_runtime.auth import check_secret

        check_secret(self.auth_secret, demo=self.is_demo(), where=str(self.territory_file or ""))

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service_name}.db').resolve()}"

    def consumer_group(self, name: str) -> str:
        """Consumer groups carry the territory so territories can share a cluster."""
        return f"{self.territory}.{self.service_name}.{name}"
