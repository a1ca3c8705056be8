"""On a real secured broker (as `make up` runs it), `conseils bilan --replay` without the
operator's credentials is told they are missing, with the command that gives them; with a wrong
password, that they are refused; with `conseils kafka credentials ops --env`, it finds the broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from conseils_meetings.cli import BrokerNotFound, resolve_bootstrap
from conseils_meetings.settings import MeetingsSettings
from tests.e2e.secured_kafka import SecuredKafka

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_missing_refused_then_given_credentials(
    secured_kafka: SecuredKafka, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("CONSEILS_STATE_DIR", raising=False)  # the broker's is not the default one
    ops = secured_kafka.ops
    for name in ops.env():
        monkeypatch.delenv(name, raising=False)
    command = "conseils kafka credentials ops --env --state-dir"
    with pytest.raises(BrokerNotFound, match=r"est sécurisé \(SASL/SCRAM\) et aucun identifiant") as missing:
        resolve_bootstrap(MeetingsSettings(), None, state_dir=secured_kafka.state_dir)
    assert f'eval "$({command} {secured_kafka.state_dir})"' in str(missing.value)

    for name, value in ops.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONSEILS_KAFKA_SASL_PASSWORD", "pas-le-bon")
    with pytest.raises(BrokerNotFound, match=r"refuse les identifiants Kafka de « ops »"):
        resolve_bootstrap(MeetingsSettings(), None, state_dir=secured_kafka.state_dir)

    monkeypatch.setenv("CONSEILS_KAFKA_SASL_PASSWORD", ops.sasl_password.get_secret_value())
    found = resolve_bootstrap(MeetingsSettings(), None, state_dir=secured_kafka.state_dir)
    assert found.value == secured_kafka.bootstrap
