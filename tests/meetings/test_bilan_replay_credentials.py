"""`conseils bilan --replay` on the secured broker of `make up` without its credentials says so,
with the command that gives them, instead of « the broker does not answer, start it » while it
runs: a broker that listens and is recorded secured refuses a client without (or with wrong)
SASL credentials; only a broker whose port is closed is said stopped."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError
from typer.testing import CliRunner

from conseils_meetings.cli import BrokerNotFound, bilan_app, kafka_failure, resolve_bootstrap
from conseils_meetings.settings import MeetingsSettings

CREDENTIALS = 'eval "$(conseils kafka credentials ops --env)"'
KAFKA_ENV = (
    "CONSEILS_KAFKA_SECURITY_PROTOCOL",
    "CONSEILS_KAFKA_SASL_MECHANISM",
    "CONSEILS_KAFKA_SASL_USERNAME",
    "CONSEILS_KAFKA_SASL_PASSWORD",
    "CONSEILS_KAFKA_SSL_CAFILE",
)


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No broker nor credentials in the environment; `conseils kafka`'s state dir in tmp_path."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    for name in ("KAFKA_BOOTSTRAP_SERVERS", *KAFKA_ENV):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "kafka-state"
    directory.mkdir()
    monkeypatch.setenv("CONSEILS_STATE_DIR", str(directory))
    return directory


@pytest.fixture
def listening() -> Iterator[str]:
    """A port that accepts connections and closes them, as a SASL listener does a plaintext client."""
    server = socket.create_server(("127.0.0.1", 0))

    def close_each() -> None:
        with contextlib.suppress(OSError):
            while True:
                server.accept()[0].close()

    thread = threading.Thread(target=close_each, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


def record(state_dir: Path, bootstrap: str, *, secure: bool) -> None:
    (state_dir / "broker.json").write_text(
        json.dumps({"bootstrap": bootstrap, "pid": 1, "state_dir": str(state_dir), "secure": secure})
    )


def test_a_running_secured_broker_without_credentials_asks_for_them(state_dir: Path, listening: str) -> None:
    record(state_dir, listening, secure=True)
    with pytest.raises(BrokerNotFound) as raised:
        resolve_bootstrap(MeetingsSettings(), None)
    message = str(raised.value)
    assert "est sécurisé (SASL/SCRAM) et aucun identifiant Kafka n'est donné" in message
    assert message.endswith(CREDENTIALS)
    assert "ne répond pas" not in message
    assert "make up" not in message

    result = CliRunner().invoke(bilan_app, ["--from", "2026-09-01", "--to", "2027-08-31", "--replay"])
    assert result.exit_code == 1
    assert "Erreur : Le broker Kafka local enregistré dans" in result.stderr
    assert CREDENTIALS in result.stderr


def test_refused_credentials_are_named_and_the_right_ones_given(
    state_dir: Path, listening: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(state_dir, listening, secure=True)
    monkeypatch.setenv("CONSEILS_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_USERNAME", "ops")
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_PASSWORD", "un-ancien-mot-de-passe")
    with pytest.raises(BrokerNotFound, match=r"refuse les identifiants Kafka de « ops »") as raised:
        resolve_bootstrap(MeetingsSettings(), None)
    assert str(raised.value).endswith(CREDENTIALS)
    assert "un-ancien-mot-de-passe" not in str(raised.value)


def test_a_broker_of_another_state_dir_gets_its_state_dir_in_the_command(
    state_dir: Path, listening: str, tmp_path: Path
) -> None:
    other = tmp_path / "autre"
    other.mkdir()
    record(other, listening, secure=True)
    with pytest.raises(BrokerNotFound) as raised:
        resolve_bootstrap(MeetingsSettings(), None, state_dir=other)
    assert str(raised.value).endswith(f'eval "$(conseils kafka credentials ops --env --state-dir {other})"')


def test_a_closed_port_or_a_plaintext_broker_is_still_said_not_to_answer(
    state_dir: Path, listening: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    record(state_dir, closed, secure=True)  # stopped: the port is closed
    with pytest.raises(BrokerNotFound, match=r"ne répond pas\. Démarrez la plateforme \(`make up`\)"):
        resolve_bootstrap(MeetingsSettings(), None)
    record(state_dir, listening, secure=False)  # no SASL: credentials are not the problem
    with pytest.raises(BrokerNotFound, match=r"ne répond pas\. Démarrez la plateforme"):
        resolve_bootstrap(MeetingsSettings(), None)


def test_a_named_broker_that_fails_mentions_the_credentials(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = KafkaConnectionError("Unable to bootstrap")
    without = kafka_failure("kafka.example:9092", error)
    assert "aucun identifiant Kafka n'est donné" in without
    assert CREDENTIALS in without
    monkeypatch.setenv("CONSEILS_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_USERNAME", "ops")
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_PASSWORD", "secret")
    assert "refuse les identifiants de « ops »" in kafka_failure("kafka.example:9092", error)
