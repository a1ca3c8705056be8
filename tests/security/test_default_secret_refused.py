"""Outside a demo territory, no service starts with the default or a short token secret
(whoever knows it can sign an operator's token); a demo territory (`demo: true`, the
Plaine Commune file `conseils up` runs by default) keeps working with no configuration."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from conseils_runtime import ServiceRuntime, ServiceSettings
from conseils_runtime.auth import DEFAULT_SECRET, MIN_SECRET_LENGTH, UnsafeSecret, check_secret
from conseils_runtime.territory import default_territory_path

STRONG = "x" * MIN_SECRET_LENGTH


@pytest.fixture
def production_territory(tmp_path: Path) -> Path:
    text = default_territory_path().read_text(encoding="utf-8")
    assert "\ndemo: true\n" in text
    path = tmp_path / "production.yaml"
    path.write_text(text.replace("\ndemo: true\n", "\ndemo: false\n"), encoding="utf-8")
    return path


def settings(tmp_path: Path, territory_file: Path | None, **values: object) -> ServiceSettings:
    return ServiceSettings(
        service_name="probe",
        territory="secret-check",
        kafka_bootstrap_servers="127.0.0.1:1",  # never reached: the check comes first
        database_url=f"sqlite+aiosqlite:///{tmp_path}/probe.db",
        territory_file=territory_file,
        log_json=False,
        **values,
    )


def test_the_default_secret_is_the_settings_default() -> None:
    assert ServiceSettings.model_fields["auth_secret"].default == DEFAULT_SECRET


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "", "court", "y" * (MIN_SECRET_LENGTH - 1)])
async def test_a_service_refuses_to_start_with_a_default_or_short_secret_outside_a_demo(
    secret: str, production_territory: Path, tmp_path: Path
) -> None:
    runtime = ServiceRuntime(settings(tmp_path, production_territory, auth_secret=secret), MetaData())
    with pytest.raises(UnsafeSecret) as refused:
        await runtime.start()
    message = str(refused.value)
    assert message.startswith("Démarrage refusé : le secret des jetons CONSEILS_AUTH_SECRET")
    assert str(production_territory) in message
    assert "n'est pas une démonstration (demo: true)" in message
    assert f"au moins {MIN_SECRET_LENGTH} caractères" in message
    assert not (tmp_path / "probe.db").exists()  # refused before touching the database or Kafka


def test_a_long_secret_is_accepted_outside_a_demo(production_territory: Path, tmp_path: Path) -> None:
    settings(tmp_path, production_territory, auth_secret=STRONG).require_safe_secret()


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "court"])
def test_a_demo_territory_starts_with_any_secret(secret: str, tmp_path: Path) -> None:
    demo = settings(tmp_path, None, auth_secret=secret)  # no file: the Plaine Commune demo
    assert demo.is_demo()
    demo.require_safe_secret()
    settings(tmp_path, default_territory_path(), auth_secret=secret).require_safe_secret()


def test_an_unreadable_territory_file_is_not_a_demo(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSecret):
        settings(tmp_path, tmp_path / "absent.yaml").require_safe_secret()


def test_the_environment_reaches_the_check(
    production_territory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSEILS_TERRITORY_FILE", str(production_territory))
    monkeypatch.delenv("CONSEILS_AUTH_SECRET", raising=False)
    with pytest.raises(UnsafeSecret):
        ServiceSettings().require_safe_secret()
    monkeypatch.setenv("CONSEILS_AUTH_SECRET", STRONG)
    ServiceSettings().require_safe_secret()


def test_check_secret_alone() -> None:
    check_secret(DEFAULT_SECRET, demo=True)
    check_secret(STRONG, demo=False)
    with pytest.raises(UnsafeSecret, match="valeur par défaut"):
        check_secret(DEFAULT_SECRET, demo=False)
    with pytest.raises(UnsafeSecret, match="fait 5 caractères"):
        check_secret("court", demo=False)


@pytest.mark.parametrize("service", ["registry", "meetings", "notifications"])
async def test_every_service_refuses_to_start_with_the_default_secret_outside_a_demo(
    service: str, production_territory: Path, tmp_path: Path
) -> None:
    app_module = importlib.import_module(f"conseils_{service}.app")
    settings_class = getattr(
        importlib.import_module(f"conseils_{service}.settings"), f"{service.capitalize()}Settings"
    )
    app = app_module.create_app(
        settings_class(
            territory="secret-check",
            kafka_bootstrap_servers="127.0.0.1:1",
            database_url=f"sqlite+aiosqlite:///{tmp_path}/{service}.db",
            data_dir=tmp_path,
            territory_file=production_territory,
            log_json=False,
        )
    )
    with pytest.raises(UnsafeSecret, match="Démarrage refusé"):
        async with app.router.lifespan_context(app):
            pass
