"""Find the local broker started by ``conseils kafka start`` or ``conseils up`` (read only).

The launcher records the broker it starts in ``<state dir>/broker.json``; this
module reads that record and checks the address answers. It never starts,
stops or changes anything (tools such as ``conseils bilan --replay`` use it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conseils_cli.kafka import launcher


@dataclass(frozen=True)
class RecordedBroker:
    bootstrap: str
    state_dir: Path
    reachable: bool


def recorded_broker(state_dir: Path | None = None, *, timeout: float = 5.0) -> RecordedBroker | None:
    """The broker recorded in the state dir (default: as ``conseils kafka``), or None if none is recorded.

    ``reachable`` tells whether it answers a metadata request now.
    """
    directory = launcher.resolve_state_dir(state_dir)
    record = launcher.read_record(directory)
    if record is None:
        return None
    return RecordedBroker(record.bootstrap, directory, launcher.probe(record.bootstrap, timeout))
