"""Settings of the registry service (env prefix `CONSEILS_REGISTRY_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from conseils_runtime import ServiceSettings
from conseils_runtime.territory import LegalInfo, TerritoryFileError, default_territory_path, load_territory


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSEILS_REGISTRY_", env_file=".env", extra="ignore")

    service_name: str = "registry"
    host: str = "127.0.0.1"
    port: int = 8101
    import_max_bytes: int = 2_000_000
    retention_check_seconds: float = 6 * 3600  # members past the retention period: erased

    def retention_months(self) -> int:
        """How long a member who left is kept (territory file `legal.retention_months_after_leaving`)."""
        try:
            territory = load_territory(self.territory_file or default_territory_path())
        except (TerritoryFileError, OSError):
            return LegalInfo().retention_months_after_leaving
        return territory.legal.retention_months_after_leaving
