"""TLS on the secured broker (issue 15): `conseils kafka start --secure --tls` makes a local
certificate authority and the broker's certificate, serves SASL_SSL, and its clients verify the
broker against that CA (`CONSEILS_KAFKA_SSL_CAFILE`). A client without the CA, or without TLS, gets
nothing; the Java tools (a new integrator) go over TLS too.

The broker is this module's own (a private state dir, stopped at the end)."""

from __future__ import annotations

import shutil
import ssl
import stat
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from conseils_cli.kafka import launcher
from conseils_cli.kafka.tls import ca_file, keystore_file, tls_dir
from conseils_runtime.kafka_security import ENV_CAFILE, KafkaSecurity
from conseils_schemas import REGISTRY_MEMBERS, topic_name

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TERRITORY = f"tls{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def broker() -> Iterator[launcher.BrokerInfo]:
    state_dir = Path(tempfile.mkdtemp(prefix="conseils-tls-kafka-"))
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
        patch.setenv("CONSEILS_KAFKA_HEAP", "768m")
        try:
            yield launcher.start(state_dir, timeout=120, secure=True, tls=True, territories=[TERRITORY])
        finally:
            launcher.stop(state_dir)
            shutil.rmtree(state_dir, ignore_errors=True)


def state(broker: launcher.BrokerInfo) -> Path:
    assert broker.state_dir is not None
    return broker.state_dir


def test_the_broker_serves_sasl_ssl_with_a_local_ca(broker: launcher.BrokerInfo) -> None:
    assert broker.secure
    assert broker.tls
    security = launcher.credentials(state(broker), "meetings")
    assert security.security_protocol == "SASL_SSL"
    assert security.ssl_cafile == str(ca_file(state(broker)))
    assert security.env()[ENV_CAFILE] == str(ca_file(state(broker)))
    assert launcher.probe(broker.bootstrap, timeout=10, security=security)
    # the private keys are the owner's alone
    for private in (keystore_file(state(broker)), tls_dir(state(broker)) / "ca.key"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    # the certificate names the broker's address, checked by the client's context
    context = security.ssl_context()
    assert context is not None
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED


async def test_a_client_writes_over_tls_under_its_acls(broker: launcher.BrokerInfo) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap,
        enable_idempotence=True,
        acks="all",
        **launcher.credentials(state(broker), "registry").aiokafka_kwargs(),
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic_name(TERRITORY, REGISTRY_MEMBERS), b"{}", key=b"k")
    finally:
        await producer.stop()


def test_a_client_without_the_ca_is_refused(broker: launcher.BrokerInfo) -> None:
    password = launcher.credentials(state(broker), "meetings").sasl_password.get_secret_value()
    no_ca = KafkaSecurity.scram("meetings", password, protocol="SASL_SSL")  # the system's authorities
    assert not launcher.probe(broker.bootstrap, timeout=5, security=no_ca)
    another_ca = Path(tempfile.mkdtemp(prefix="conseils-other-ca-"))
    try:
        from conseils_cli.kafka.tls import ensure_certificates

        other = KafkaSecurity.scram(
            "meetings", password, protocol="SASL_SSL", cafile=str(ensure_certificates(another_ca))
        )
        assert not launcher.probe(broker.bootstrap, timeout=5, security=other)
    finally:
        shutil.rmtree(another_ca, ignore_errors=True)


def test_a_client_without_tls_is_refused(broker: launcher.BrokerInfo) -> None:
    password = launcher.credentials(state(broker), "meetings").sasl_password.get_secret_value()
    assert not launcher.probe(broker.bootstrap, timeout=5, security=KafkaSecurity.scram("meetings", password))
    assert not launcher.probe(broker.bootstrap, timeout=5, security=KafkaSecurity())


def test_a_new_integrator_over_tls(broker: launcher.BrokerInfo) -> None:
    security = launcher.add_integrator(state(broker), "opendata", [TERRITORY])
    assert security.security_protocol == "SASL_SSL"
    assert launcher.probe(broker.bootstrap, timeout=10, security=security)


def test_no_tls_start_on_the_tls_broker_is_refused_and_the_ca_kept(broker: launcher.BrokerInfo) -> None:
    before = ca_file(state(broker)).read_bytes()
    with pytest.raises(launcher.KafkaLauncherError, match="SASL_SSL broker already runs"):
        launcher.start(state(broker), secure=True)  # the same state dir without TLS
    assert ca_file(state(broker)).read_bytes() == before
