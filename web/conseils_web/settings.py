"""Settings of the site when it runs on its own (docker-compose, production):
where the services are, the shared token secret, the SMTP server for sign-in
links. `conseils up` builds the site in process and does not use these."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from conseils_runtime.kafka_security import KafkaClientSettings


class SiteSettings(KafkaClientSettings):
    model_config = SettingsConfigDict(env_prefix="CONSEILS_WEB_", env_file=".env", extra="ignore")

    host: str = "0.0.0.0"  # noqa: S104 - a container listens on all its interfaces
    port: int = 8000
    territory_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("CONSEILS_TERRITORY_FILE", "territory_file")
    )
    auth_secret: str = Field(
        default="dev-secret-change-me", validation_alias=AliasChoices("CONSEILS_AUTH_SECRET", "auth_secret")
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    registry_url: str = "http://127.0.0.1:8101"
    meetings_url: str = "http://127.0.0.1:8102"
    notifications_url: str = "http://127.0.0.1:8103"
    public_base_url: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    data_dir: Path = Path(".var/site")
    # Who may say, with X-Forwarded-For, which client a request comes from: only the reverse proxy.
    # Comma-separated addresses or networks (docker-compose sets the compose network).
    forwarded_allow_ips: str = "127.0.0.1"
    # The territory's DKIM key (the notifications service's, `conseils territory dkim-key`): the
    # sign-in mails are signed like every other mail. None: sent unsigned.
    dkim_key_file: Path | None = None
    dkim_selector: str = ""  # default: conseils-<territory>
    dkim_domain: str = ""  # default: the sender's domain
