"""The local Kannel (conseils_cli.sms): `conseils sms start` prints the sendsms address, the
gateway takes an SMS in GSM-7 and the fake SMSC shows its very text; answers reach the get-url;
`stop` ends the three processes it started."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conseils_cli.sms import kannel
from conseils_cli.sms.commands import app
from conseils_notifications.sms_gateway import KannelGateway
from conseils_notifications.sms_text import to_gsm7
from conseils_notifications.transport import TemporaryFailure

from .conftest import StartKannel

pytestmark = pytest.mark.slow


async def test_an_sms_through_kannel_reaches_the_fake_smsc_as_sent(start_kannel: StartKannel) -> None:
    gateway = start_kannel("")
    client = KannelGateway(
        gateway.sendsms_url, username=gateway.username, password=gateway.password, sender="Conseils"
    )
    text = to_gsm7("Étiez-vous présent·e ? Réunion à la Maison de quartier, ça commence !")
    try:
        await client.send("+33612345678", text)
        for _ in range(50):
            if gateway.received():
                break
            await asyncio.sleep(0.1)
    finally:
        await client.close()
    (received,) = gateway.received()
    assert (received.sender, received.to, received.text) == ("Conseils", "+33612345678", text)


async def test_wrong_credentials_are_not_accepted(start_kannel: StartKannel) -> None:
    gateway = start_kannel("")
    client = KannelGateway(
        gateway.sendsms_url, username=gateway.username, password=gateway.password + "x", sender="Conseils"
    )
    try:
        with pytest.raises(TemporaryFailure, match="403"):
            await client.send("+33612345678", "Bonjour")
    finally:
        await client.close()
    assert gateway.received() == []


def test_the_cli_starts_reuses_and_stops_the_gateway(start_kannel: StartKannel, tmp_path: Path) -> None:
    del start_kannel  # only for its check that Kannel is installed (fails in CI when it is not)
    runner = CliRunner()
    state = tmp_path / "cli"
    first = runner.invoke(app, ["start", "--state-dir", str(state)])
    try:
        assert first.exit_code == 0, first.output
        url = first.stdout.strip().splitlines()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert "/cgi-bin/sendsms?username=conseils&password=" in url
        assert "kannel.conf" in os.listdir(state)
        again = runner.invoke(app, ["start", "--state-dir", str(state)])
        assert again.stdout.strip().splitlines()[-1] == url  # reused, not started twice
        env = runner.invoke(app, ["env", "--state-dir", str(state)])
        assert "CONSEILS_NOTIFICATIONS_SMS_SENDSMS_URL=http://127.0.0.1:" in env.stdout
        pids = kannel.running(state.resolve())
        assert pids is not None
    finally:
        stopped = runner.invoke(app, ["stop", "--state-dir", str(state)])
    assert stopped.exit_code == 0
    assert kannel.running(state.resolve()) is None
    for pid in pids.pids.values():
        assert not kannel._alive(pid)
