"""Settings of the meetings service (environment prefix CONSEILS_MEETINGS_)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from conseils_runtime.settings import ServiceSettings
from conseils_runtime.territory import TerritoryConfig, default_territory_path, load_territory


class MeetingsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSEILS_MEETINGS_", env_file=".env", extra="ignore")

    service_name: str = "meetings"
    host: str = "127.0.0.1"
    port: int = 8102
    documents_dir: Path = Field(default=Path(".var/documents"), description="Where uploaded documents live.")
    max_document_bytes: int = Field(default=20 * 1024 * 1024, ge=1, description="Upload size limit.")
    dossier_check_seconds: float = Field(
        default=300, gt=0, description="How often late dossiers are looked for (staff alerts)."
    )

    @cached_property
    def territory_config(self) -> TerritoryConfig:
        return load_territory(self.territory_file or default_territory_path())
