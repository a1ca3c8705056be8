"""Find the local broker started by ``conseils kafka start`` or ``conseils up`` (read only).

The launcher records the broker it starts in ``<state dir>/broker.json``; this
module reads that record and checks the address answers. It never starts,
stops or changes anything (tools such as ``conseils bilan --replay`` use it).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from conseils_cli.kafka import launcher
from conseils_cli.kafka.grants import OPS
from conseils_cli.kafka.probing import tcp_open


@dataclass(frozen=True)
class RecordedBroker:
    bootstrap: str
    state_dir: Path
    reachable: bool
    """It answers a metadata request with the environment's credentials (``CONSEILS_KAFKA_*``)."""
    secure: bool = False
    """SASL/SCRAM and ACLs (``--secure``, as ``conseils up`` runs it): a client needs a principal's
    credentials, and a client without them is refused although the broker runs."""
    listening: bool = False
    """Its port accepts connections (a secured broker that refuses the client is listening)."""

    def credentials_command(self, principal: str = OPS) -> str:
        """The command that puts a principal's credentials in the shell's environment."""
        command = f"conseils kafka credentials {principal} --env"
        if self.state_dir != launcher.resolve_state_dir(None):
            command += f" --state-dir {shlex.quote(str(self.state_dir))}"
        return f'eval "$({command})"'


def recorded_broker(state_dir: Path | None = None, *, timeout: float = 5.0) -> RecordedBroker | None:
    """The broker recorded in the state dir (default: as ``conseils kafka``), or None if none is recorded.

    ``reachable`` tells whether it answers a metadata request now; ``listening`` and ``secure``
    tell a stopped broker from a secured one that refuses the environment's credentials.
    """
    directory = launcher.resolve_state_dir(state_dir)
    record = launcher.read_record(directory)
    if record is None:
        return None
    listening = tcp_open(record.bootstrap, min(timeout, 2.0))
    try:
        reachable = listening and launcher.probe(record.bootstrap, timeout)
    except ValueError:  # CONSEILS_KAFKA_* half set (SASL without a user): no client can be built
        reachable = False
    return RecordedBroker(record.bootstrap, directory, reachable, secure=record.secure, listening=listening)
