"""The Kafka client settings every client reads (`CONSEILS_KAFKA_*`, issue 15): SASL_SSL verifies
the broker against `CONSEILS_KAFKA_SSL_CAFILE`, a service's settings carry the same values, and the
values a launcher hands to a service round-trip."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from conseils_cli.kafka.tls import ensure_certificates
from conseils_runtime.kafka_security import ENV_CAFILE, KafkaClientSettings, KafkaSecurity


def test_sasl_ssl_verifies_the_broker_against_the_configured_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = ensure_certificates(tmp_path)
    monkeypatch.setenv("CONSEILS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_USERNAME", "meetings")
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_PASSWORD", "mot-de-passe")
    monkeypatch.setenv(ENV_CAFILE, str(ca))
    security = KafkaSecurity()
    assert security.ssl_cafile == str(ca)
    context = security.aiokafka_kwargs()["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "conseils local Kafka CA"),),)]
    assert faststream_uses_tls(security)
    # a service's settings read the same variables
    assert KafkaClientSettings().kafka_security() == security
    assert "mot-de-passe" not in repr(security)


def faststream_uses_tls(security: KafkaSecurity) -> bool:
    return bool(security.faststream_kwargs()["security"].use_ssl)


def test_the_settings_handed_to_a_service_round_trip() -> None:
    security = KafkaSecurity.scram("notifications", "secret", protocol="SASL_SSL", cafile="/etc/ca.pem")
    assert KafkaClientSettings(**security.settings_values()).kafka_security() == security
    assert security.env()[ENV_CAFILE] == "/etc/ca.pem"


def test_plaintext_has_no_tls_context() -> None:
    assert KafkaSecurity.model_validate({}).ssl_context() is None
    assert KafkaSecurity.scram("registry", "secret").ssl_context() is None
