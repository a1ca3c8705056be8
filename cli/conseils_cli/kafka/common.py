"""What every part of the local broker launcher shares: the Kafka version, the host, the error,
the progress callback, a file lock and the tail of a text."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from pathlib import Path

KAFKA_VERSION = "4.1.1"
HOST = "127.0.0.1"


Progress = Callable[[str], None]
"""Callback receiving short progress messages (phase descriptions)."""


class KafkaLauncherError(RuntimeError):
    """The local broker could not be assembled, started or reached."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tail_text(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
