"""The broker's process seen from outside: is a pid alive and ours, signals, free ports, log tails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from conseils_cli.kafka.common import HOST, tail_text

# Broker processes started by this interpreter, kept so they can be reaped
# (a killed child stays a zombie, i.e. "alive" for os.kill(pid, 0), until waited).
CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def pid_alive(pid: int) -> bool:
    child = CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields and fields[0] in ("Z", "X"):
                return False
        except (OSError, IndexError):
            pass
    return True


def is_our_broker(pid: int) -> bool:
    """Guard against pid reuse: on Linux check the command line."""
    if not pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return True
    try:
        return b"kafka.Kafka" in cmdline.read_bytes()
    except OSError:
        return False


def signal_and_wait(pid: int, sig: signal.Signals, timeout: float) -> bool:
    """Send ``sig`` to ``pid``; True when the process is gone within ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _tail_file(path: Path | None, lines: int = 40) -> str:
    if path is None:
        return ""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return tail_text(data, lines)


def broker_tail(state_dir: Path) -> str:
    parts = [
        _tail_file(state_dir / "logs" / "server.log"),
        _tail_file(state_dir / "logs" / "stdout.log", 15),
    ]
    return "\n".join(part for part in parts if part)
