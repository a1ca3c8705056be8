"""The state directory of a local broker and its records: ``broker.json`` (the running broker)
and ``ports.json`` (the ports of the last run, reused when free)."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conseils_cli.kafka.common import KAFKA_VERSION

BROKER_FILE = "broker.json"


@dataclass(frozen=True)
class BrokerInfo:
    """A running (or just killed) broker."""

    bootstrap: str
    pid: int | None = None
    state_dir: Path | None = None
    log_file: Path | None = None
    port: int | None = None
    controller_port: int | None = None
    external: bool = False
    secure: bool = False
    """SASL listeners and ACLs (``--secure``): clients need a principal's credentials."""
    tls: bool = False
    """The clients' listener is SASL_SSL (``--tls``): clients verify ``<state dir>/tls/ca.pem``."""

    def to_json(self) -> dict[str, Any]:
        return {
            "bootstrap": self.bootstrap,
            "pid": self.pid,
            "state_dir": str(self.state_dir) if self.state_dir else None,
            "log_file": str(self.log_file) if self.log_file else None,
            "port": self.port,
            "controller_port": self.controller_port,
            "external": self.external,
            "secure": self.secure,
            "tls": self.tls,
            "kafka_version": KAFKA_VERSION,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BrokerInfo:
        state_dir = data.get("state_dir")
        log_file = data.get("log_file")
        return cls(
            bootstrap=str(data["bootstrap"]),
            pid=int(data["pid"]) if data.get("pid") is not None else None,
            state_dir=Path(state_dir) if state_dir else None,
            log_file=Path(log_file) if log_file else None,
            port=int(data["port"]) if data.get("port") is not None else None,
            controller_port=(
                int(data["controller_port"]) if data.get("controller_port") is not None else None
            ),
            external=bool(data.get("external", False)),
            secure=bool(data.get("secure", False)),
            tls=bool(data.get("tls", False)),
        )


def _repo_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def default_state_dir() -> Path:
    """``$CONSEILS_STATE_DIR``, else ``<repo>/.var/kafka``, else ``~/.local/state``."""
    env = os.environ.get("CONSEILS_STATE_DIR")
    if env:
        return Path(env).expanduser()
    root = _repo_root(Path.cwd().resolve())
    if root is not None:
        return root / ".var" / "kafka"
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "conseils" / "kafka"


def resolve_state_dir(state_dir: Path | None) -> Path:
    return (state_dir if state_dir is not None else default_state_dir()).resolve()


def read_record(state_dir: Path) -> BrokerInfo | None:
    try:
        data = json.loads((state_dir / BROKER_FILE).read_text())
        return BrokerInfo.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_record(info: BrokerInfo) -> None:
    assert info.state_dir is not None
    path = info.state_dir / BROKER_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info.to_json(), indent=2) + "\n")
    tmp.replace(path)


def remove_record(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (state_dir / BROKER_FILE).unlink()


def read_ports(state_dir: Path) -> tuple[int, int] | None:
    try:
        data = json.loads((state_dir / "ports.json").read_text())
        return int(data["port"]), int(data["controller_port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
