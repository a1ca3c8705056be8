"""Settings of the registry service (env prefix `CONSEILS_REGISTRY_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from conseils_runtime import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSEILS_REGISTRY_", env_file=".env", extra="ignore")

    service_name: str = "registry"
    host: str = "127.0.0.1"
    port: int = 8101
    import_max_bytes: int = 2_000_000
