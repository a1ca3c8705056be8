"""The bench tools and the open-data example build their Kafka clients from the platform's
`CONSEILS_KAFKA_*` settings (issue 15): on a secured broker they authenticate as the principal
those settings name, and the broker's ACLs apply to them like to any service."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka.errors import TopicAuthorizationFailedError

import conseils_schemas as cs
from conseils_cli.bench.kafka_tools import list_topics, produce_events
from tests.e2e.secured_kafka import SecuredKafka

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "open_data_agenda"
if str(EXAMPLE_DIR) not in sys.path:  # works whether or not the example is pip-installed
    sys.path.insert(0, str(EXAMPLE_DIR))

from open_data_agenda import create_app, default_group, security_from_env  # type: ignore[import-not-found]  # noqa: E402

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]


def council(territory: str) -> cs.CouncilRegistered:
    return cs.CouncilRegistered(
        council_id=uuid.uuid4(),
        territory=territory,
        city="Saint-Denis",
        city_code="93066",
        neighbourhood="Franc-Moisin",
        name="Conseil citoyen Franc-Moisin",
    )


def as_principal(monkeypatch: pytest.MonkeyPatch, kafka: SecuredKafka, principal: str) -> None:
    for name, value in kafka.security(principal).env().items():
        monkeypatch.setenv(name, value)


async def test_the_bench_clients_authenticate_as_the_configured_principal(
    secured_kafka: SecuredKafka, territory: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_principal(monkeypatch, secured_kafka, "registry")
    await produce_events(secured_kafka.bootstrap, territory, "registry", [council(territory)])
    as_principal(monkeypatch, secured_kafka, "ops")
    assert cs.topic_name(territory, cs.REGISTRY_COUNCILS) in await list_topics(secured_kafka.bootstrap)
    # the same producer as the meetings principal: the broker refuses the registry's topic
    as_principal(monkeypatch, secured_kafka, "meetings")
    with pytest.raises(TopicAuthorizationFailedError):
        await produce_events(secured_kafka.bootstrap, territory, "registry", [council(territory)])


async def test_the_open_data_agenda_reads_as_an_integrator(
    secured_kafka: SecuredKafka, territory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    instance = cs.InstanceScheduled(
        instance_id=uuid.uuid4(),
        instance_type="comite-technique",
        title="Comité technique Emploi",
        theme="emploi",
        scope="theme",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Mairie de Saint-Denis",
        is_political=False,
        is_evening=True,
    )
    as_principal(monkeypatch, secured_kafka, "meetings")
    await produce_events(secured_kafka.bootstrap, territory, "meetings", [instance])

    as_principal(monkeypatch, secured_kafka, "integrator")
    security = security_from_env()
    assert security is not None
    # an integrator commits only in its own groups: <territory>.<principal>.<application>
    assert default_group(territory, security) == f"{territory}.integrator.open-data-agenda"
    app = create_app(secured_kafka.bootstrap, territory, tmp_path / "public", security=security)
    agenda = tmp_path / "public" / "agenda.json"
    await app.start()
    try:
        for _ in range(150):
            if agenda.exists() and json.loads(agenda.read_text(encoding="utf-8"))["instances"]:
                break
            await asyncio.sleep(0.2)
    finally:
        await app.stop()
    [entry] = json.loads(agenda.read_text(encoding="utf-8"))["instances"]
    assert entry["instance_id"] == str(instance.instance_id)


def test_the_open_data_agenda_reads_the_platform_settings() -> None:
    assert security_from_env({}) is None
    assert security_from_env({"CONSEILS_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}) is None
    with pytest.raises(ValueError, match="CONSEILS_KAFKA_SASL_USERNAME"):
        security_from_env({"CONSEILS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"})
    scram = security_from_env(
        {
            "CONSEILS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "CONSEILS_KAFKA_SASL_USERNAME": "integrator",
            "CONSEILS_KAFKA_SASL_PASSWORD": "secret",
        }
    )
    assert scram is not None
    assert scram.use_ssl
    assert scram.username == "integrator"
