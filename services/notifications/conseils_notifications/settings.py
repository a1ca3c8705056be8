"""Settings of the notifications service (env prefix `CONSEILS_NOTIFICATIONS_`)."""

from __future__ import annotations

from email.utils import parseaddr
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from conseils_runtime import ServiceSettings
from conseils_runtime.mail import DkimKey
from conseils_runtime.territory import TerritoryConfig, default_territory_path, load_territory


class NotificationsSettings(ServiceSettings):
    """SMTP, sending pace, public URLs; mail sender and reminders default to the territory file."""

    model_config = SettingsConfigDict(env_prefix="CONSEILS_NOTIFICATIONS_", env_file=".env", extra="ignore")

    service_name: str = "notifications"
    host: str = "127.0.0.1"
    port: int = 8103

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    smtp_concurrency: int = Field(default=2, ge=1, le=64, description="SMTP connections used at once.")
    smtp_rate_per_second: float = Field(default=5.0, gt=0, description="At most this many messages a second.")

    public_base_url: str = Field(default="", description="Website address; default: the territory file's.")
    mail_sender: str = Field(default="", description="From address; default: the territory file's.")
    dkim_key_file: Path | None = Field(
        default=None,
        description="The territory's DKIM private key (PEM, `conseils territory dkim-key`); none: unsigned.",
    )
    dkim_selector: str = Field(
        default="", pattern=r"^([a-z0-9][a-z0-9-]*)?$", description="Default: conseils-<territory>."
    )
    dkim_domain: str = Field(default="", description="The signing domain (d=); default: the sender's.")

    mail_build_processes: int = Field(
        default=0,
        ge=0,
        le=32,
        description="Processes that build the emails (templates, invitation, MIME) off the sending "
        "loop; 0 (default): built on the loop. Each worker costs about 64 MiB; measured gain within "
        "the noise on 2 cores (docs/performance.md).",
    )
    sender_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    sender_batch_size: int = Field(default=50, ge=1, le=1000)
    sender_max_attempts: int = Field(default=8, ge=1, le=50)
    sender_backoff_seconds: float = Field(default=5.0, gt=0, le=3600)
    sender_lease_seconds: float = Field(default=120.0, gt=0)
    scheduler_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    missing_contact_attempts: int = Field(default=5, ge=1, le=50)

    webhooks_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhooks_batch_size: int = Field(default=50, ge=1, le=1000)
    webhooks_concurrency: int = Field(default=8, ge=1, le=64, description="Webhook requests at once.")
    webhooks_timeout_seconds: float = Field(
        default=15.0, gt=0, le=60, description="Per request (spec: 15-30 s)."
    )
    webhooks_lease_seconds: float = Field(default=120.0, gt=0)
    webhooks_schedule_scale: float = Field(
        default=1.0, gt=0, le=1, description="Compresses the retry schedule (tests); 1 in production."
    )
    webhooks_allow_private_addresses: bool = Field(
        default=False,
        description="Let webhooks call private or loopback addresses (always allowed in a demo).",
    )
    webhooks_rotation_overlap_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 30,
        description="How long the previous secret still signs after a rotation.",
    )

    @cached_property
    def territory_config(self) -> TerritoryConfig:
        return load_territory(self.territory_file or default_territory_path())

    def resolved_mail_sender(self) -> str:
        return self.mail_sender or self.territory_config.mail.sender

    def resolved_public_base_url(self) -> str:
        return (self.public_base_url or self.territory_config.mail.public_base_url).rstrip("/")

    def resolved_dkim_selector(self) -> str:
        return self.dkim_selector or f"conseils-{self.territory}"

    def dkim_key(self) -> DkimKey | None:
        """The signing key, read at start-up (a missing or unreadable file stops the service)."""
        if self.dkim_key_file is None:
            return None
        domain = self.dkim_domain or parseaddr(self.resolved_mail_sender())[1].rpartition("@")[2]
        return DkimKey.load(self.dkim_key_file, selector=self.resolved_dkim_selector(), domain=domain)
