"""docker-compose cannot run here (no Docker engine): check it statically.

Every setting the compose file passes to a service must be one its settings
class reads; a typo would otherwise be silently ignored in production.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "registry": "conseils_registry.settings:RegistrySettings",
    "meetings": "conseils_meetings.settings:MeetingsSettings",
    "notifications": "conseils_notifications.settings:NotificationsSettings",
}
NOT_SETTINGS = {"SERVICE"}  # read by the image's entry point


def accepted_environment(settings_class: type[BaseSettings]) -> set[str]:
    prefix = str(settings_class.model_config.get("env_prefix", "")).upper()
    names: set[str] = set()
    for field_name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice.upper() for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def load_settings_class(path: str) -> type[BaseSettings]:
    module_name, class_name = path.split(":")
    settings_class: type[BaseSettings] = getattr(importlib.import_module(module_name), class_name)
    return settings_class


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def test_compose_runs_kafka_in_kraft_mode_from_an_official_image(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert compose["services"]["postgres"]["image"].startswith("postgres:")


def test_the_site_is_configured_by_settings_it_knows_and_sits_behind_the_proxy(
    compose: dict[str, Any],
) -> None:
    site = compose["services"]["site"]
    accepted = accepted_environment(load_settings_class("conseils_web.settings:SiteSettings"))
    unknown = sorted(set(site["environment"]) - accepted - NOT_SETTINGS)
    assert not unknown, f"site: settings unknown to the site: {unknown}"
    for service in SERVICES:
        assert site["environment"][f"CONSEILS_WEB_{service.upper()}_URL"].startswith(f"http://{service}:")
    proxy = compose["services"]["proxy"]
    assert proxy["ports"] == ["80:80"]
    nginx = (ROOT / "ops" / "proxy" / "nginx.conf").read_text()
    assert "proxy_pass http://site:8000;" in nginx
    # Only the proxy is published: the services are reached through the site.
    assert all("ports" not in compose["services"][name] for name in [*SERVICES, "site"])


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_setting_passed_by_compose_exists_in_the_service_settings(
    compose: dict[str, Any], service: str
) -> None:
    environment = compose["services"][service]["environment"]
    accepted = accepted_environment(load_settings_class(SERVICES[service]))
    unknown = sorted(set(environment) - accepted - NOT_SETTINGS)
    assert not unknown, f"{service}: settings unknown to the service: {unknown}"
    assert "KAFKA_BOOTSTRAP_SERVERS" in environment
    assert any(name.endswith("_DATABASE_URL") for name in environment)


def test_each_service_has_its_own_database(compose: dict[str, Any]) -> None:
    urls = [
        value
        for service in SERVICES
        for name, value in compose["services"][service]["environment"].items()
        if name.endswith("_DATABASE_URL")
    ]
    databases = [url.rsplit("/", 1)[1] for url in urls]
    assert sorted(databases) == sorted(SERVICES)
    init = (ROOT / "ops" / "postgres-init.sql").read_text()
    assert all(f"CREATE DATABASE {name};" in init for name in SERVICES)


def test_the_territory_is_chosen_by_one_variable(compose: dict[str, Any]) -> None:
    for service in SERVICES:
        environment = compose["services"][service]["environment"]
        assert environment["CONSEILS_TERRITORY"] == "${TERRITORY:-plaine-commune}"
        assert environment["CONSEILS_TERRITORY_FILE"].endswith("${TERRITORY:-plaine-commune}.yaml")
