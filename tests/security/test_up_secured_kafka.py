"""`conseils up` starts the secured broker by default when it starts its own Kafka, with the
territory's topics and ACLs, and gives each service its own principal (the site the operator's);
`--kafka-en-clair` opts out; an external broker keeps the environment's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conseils_cli.kafka import launcher
from conseils_cli.main import app
from conseils_runtime.kafka_security import KafkaSecurity


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setattr(launcher, "status", lambda *a, **k: None)
    monkeypatch.setattr(launcher, "stop", lambda *a, **k: None)

    def start(*_args: Any, **kwargs: Any) -> launcher.BrokerInfo:
        seen["start"] = kwargs
        return launcher.BrokerInfo(
            bootstrap="127.0.0.1:1", pid=1, state_dir=tmp_path, secure=bool(kwargs.get("secure"))
        )

    monkeypatch.setattr(launcher, "start", start)
    monkeypatch.setattr(
        launcher, "credentials", lambda _dir, name: KafkaSecurity.scram(name, f"mot-de-passe-{name}")
    )

    async def run_platform(options: Any) -> None:
        seen["options"] = options

    monkeypatch.setattr("conseils_web.platform.run_platform", run_platform)
    return seen


def test_up_starts_the_secured_broker_and_one_principal_per_service(
    captured: dict[str, Any], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["up", "--data-dir", str(tmp_path / "up")])
    assert result.exit_code == 0, result.output
    assert captured["start"]["secure"] is True
    assert captured["start"]["territories"] == ["plaine-commune"]
    security = captured["options"].kafka_security
    assert {name: s.sasl_username for name, s in security.items()} == {
        "registry": "registry",
        "meetings": "meetings",
        "notifications": "notifications",
        "site": "ops",
    }
    assert all(s.security_protocol == "SASL_PLAINTEXT" for s in security.values())


def test_up_in_plaintext_on_request(captured: dict[str, Any], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["up", "--kafka-en-clair", "--data-dir", str(tmp_path / "up")])
    assert result.exit_code == 0, result.output
    assert captured["start"]["secure"] is False
    assert captured["options"].kafka_security == {}


def test_up_on_an_external_broker_keeps_the_environment(
    captured: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    result = CliRunner().invoke(app, ["up", "--data-dir", str(tmp_path / "up")])
    assert result.exit_code == 0, result.output
    assert captured["start"]["secure"] is False
    assert captured["options"].kafka_security == {}
