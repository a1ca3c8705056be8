"""`conseils up` chooses and checks its ports before anything starts (issue 18, item 7): a taken port
is said in French (exit 2), never a traceback once Kafka and the services have started; the services
take 8101-8103 when free, else free ports, or the ports asked for."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from conseils_cli.main import app
from conseils_cli.up import PREFERRED_PORTS, PortError, choose_ports, port_free


@pytest.fixture
def taken() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_site_port_is_said_in_french_before_anything_starts(taken: int) -> None:
    result = CliRunner().invoke(app, ["up", "--port", str(taken), "--smtp-port", "0"])
    assert result.exit_code == 2
    assert f"Le port du site {taken} est déjà pris" in result.output
    assert "--port" in result.output
    assert "Traceback" not in result.output
    assert "Kafka prêt" not in result.output  # refused before Kafka was started


def test_services_take_free_ports_when_their_own_are_taken(taken: int) -> None:
    ports = choose_ports(0, 0, "")
    assert set(ports) == {"registry", "meetings", "notifications"}
    assert len(set(ports.values())) == 3
    for name, preferred in zip(("registry", "meetings", "notifications"), PREFERRED_PORTS, strict=True):
        assert ports[name] == preferred or not port_free(preferred)
    # the site asked for a service's port: that service moves, nothing collides
    moved = choose_ports(PREFERRED_PORTS[1], 0, "")
    assert PREFERRED_PORTS[1] not in moved.values()


def test_service_ports_asked_for_are_checked(taken: int) -> None:
    with pytest.raises(PortError, match=f"Le port {taken} \\(service meetings\\) est déjà pris"):
        choose_ports(0, 0, f"0,{taken},0")
    with pytest.raises(PortError, match="trois ports"):
        choose_ports(0, 0, "8101,8102")
    assert len(set(choose_ports(0, 0, "0,0,0").values())) == 3
