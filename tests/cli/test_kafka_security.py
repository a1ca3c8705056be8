"""The secured broker's configuration, principals and ACLs, without a broker (see
tests/security/test_kafka_acls.py for the same on the real one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conseils_cli.kafka import security
from conseils_cli.kafka.broker_config import server_properties
from conseils_cli.main import app
from conseils_runtime.kafka_security import KafkaSecurity
from conseils_schemas import ALL_TOPICS, REGISTRY_MEMBER_CONTACTS, dlq_topic, topic_name

ROOT = Path(__file__).resolve().parents[2]
TERRITORY = "plaine-commune"


def _asyncapi(service: str) -> tuple[set[str], set[str]]:
    """(topics the service sends to, topics it receives from) in its committed AsyncAPI document."""
    document = json.loads((ROOT / "docs" / "asyncapi" / f"{service}.json").read_text())
    sends: set[str] = set()
    receives: set[str] = set()
    for operation in document["operations"].values():
        channel = operation["channel"]["$ref"].rsplit("/", 1)[-1]
        address = document["channels"][channel]["address"]
        (sends if operation["action"] == "send" else receives).add(address)
    return sends, receives


@pytest.mark.parametrize("service", sorted(security.SERVICE_GRANTS))
def test_each_services_acls_are_exactly_what_its_asyncapi_document_declares(service: str) -> None:
    """A service given a new topic to produce or consume (AsyncAPI regenerated) fails here until
    its principal is granted it: the ACLs and the contracts never drift apart."""
    sends, receives = _asyncapi(service)
    acls = security.service_acls(TERRITORY, service, security.SERVICE_GRANTS[service])
    writes = {
        a.resource_name for a in acls if a.operation == security.WRITE and a.resource_type == security.TOPIC
    }
    reads = {
        a.resource_name for a in acls if a.operation == security.READ and a.resource_type == security.TOPIC
    }
    assert writes == sends
    assert reads == receives
    assert all(a.permission == security.ALLOW for a in acls)
    groups = {a.resource_name for a in acls if a.resource_type == security.GROUP}
    assert groups == {f"{TERRITORY}.{service}."}


def test_the_integrator_reads_no_contacts_nor_dead_letters_and_writes_nothing() -> None:
    acls = security.integrator_acls(TERRITORY)
    allowed = {
        a.resource_name for a in acls if a.permission == security.ALLOW and a.resource_type == security.TOPIC
    }
    denied = {a.resource_name for a in acls if a.permission == security.DENY}
    assert allowed == {topic_name(TERRITORY, b) for b in ALL_TOPICS if b != REGISTRY_MEMBER_CONTACTS}
    assert topic_name(TERRITORY, REGISTRY_MEMBER_CONTACTS) in denied
    assert {dlq_topic(topic_name(TERRITORY, b)) for b in ALL_TOPICS} <= denied
    assert {a.operation for a in acls} == {security.READ}
    assert all(a.pattern_type == security.LITERAL for a in acls if a.resource_type == security.TOPIC)


def test_the_operator_reads_and_replays_every_topic_of_its_territory_only() -> None:
    acls = security.ops_acls(TERRITORY)
    topics = {
        (a.resource_name, a.pattern_type, a.operation) for a in acls if a.resource_type == security.TOPIC
    }
    assert (f"{TERRITORY}.", security.PREFIXED, security.READ) in topics
    assert (f"{TERRITORY}.", security.PREFIXED, security.WRITE) in topics
    group_reads = {
        a.resource_name for a in acls if a.resource_type == security.GROUP and a.operation == security.READ
    }
    assert group_reads == {f"{TERRITORY}.ops."}  # commits only in its own groups (dlq replay)


def test_secure_server_properties_have_no_unauthenticated_listener() -> None:
    text = server_properties(Path("/state"), 9092, 9093, admin_password="s3cret")  # noqa: S106
    props = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert set(props["listener.security.protocol.map"].split(",")) == {
        "BROKER:SASL_PLAINTEXT",
        "CONTROLLER:SASL_PLAINTEXT",
    }
    assert "PLAINTEXT://" not in props["listeners"]
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["super.users"] == "User:admin"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    plain = server_properties(Path("/state"), 9092, 9093)
    assert "authorizer.class.name" not in plain
    assert "PLAINTEXT://127.0.0.1:9092" in plain


def test_credentials_are_generated_once_kept_private_and_printed_for_a_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = security.ensure_credentials(tmp_path)
    assert set(first) == set(security.PRINCIPALS)
    assert security.ensure_credentials(tmp_path) == first
    assert (tmp_path / "credentials.json").stat().st_mode & 0o077 == 0
    assert security.add_scram_args({"meetings": "pw"}) == [
        "--add-scram",
        "SCRAM-SHA-512=[name=meetings,password=pw]",
    ]

    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["kafka", "credentials", "meetings", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == first["meetings"]
    result = runner.invoke(app, ["kafka", "credentials", "meetings", "--env", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "export CONSEILS_KAFKA_SASL_USERNAME=meetings" in result.stdout
    assert "export CONSEILS_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT" in result.stdout
    result = runner.invoke(app, ["kafka", "credentials", "mallory", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1


def test_runtime_client_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROTOCOL", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(
            f"CONSEILS_KAFKA_{'SECURITY_' if name == 'PROTOCOL' else 'SASL_'}{name}", raising=False
        )
    assert KafkaSecurity().aiokafka_kwargs() == {}
    assert KafkaSecurity().faststream_kwargs() == {}
    monkeypatch.setenv("CONSEILS_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    with pytest.raises(ValueError, match="CONSEILS_KAFKA_SASL_USERNAME"):
        KafkaSecurity()
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_USERNAME", "meetings")
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_PASSWORD", "pw")
    settings = KafkaSecurity()
    assert settings.aiokafka_kwargs() == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "meetings",
        "sasl_plain_password": "pw",
    }
    assert "pw" not in repr(settings)
    from faststream.security import SASLScram512

    scram = settings.faststream_kwargs()["security"]
    assert isinstance(scram, SASLScram512)
    assert (scram.username, scram.password, scram.use_ssl) == ("meetings", "pw", False)
