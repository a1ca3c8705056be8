"""Write transactions of one process queued in the process on SQLite.

SQLite has one writer at a time. A transaction that finds the writer lock taken does not wait
in a queue: SQLite's busy handler puts its thread to sleep for 1, 2, 5, 10, 15, 20, 25 ms... and
tries again, so a write that would have waited 1 ms often waits 10-30 ms. Measured in the
fan-out (docs/performance.md): 60 % of the delivery sender's `BEGIN IMMEDIATE` met the outbox
relay's, and waited 31 ms on average against 3.6 ms for the others.

`write_queue(database)` is an `asyncio.Lock` per SQLite database and event loop: the writers that
take it (the sender's steps, the relay's mark) meet there, and the next one starts as soon as the
previous one committed. On PostgreSQL (row locks, concurrent writers) it is a no-op. A writer that
does not take it is still correct: it meets the others in SQLite's lock as before. Never take it
twice in one task (it is not reentrant).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from conseils_runtime.database import Database

_LOCKS: weakref.WeakKeyDictionary[Database, dict[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def write_queue(database: Database) -> AsyncIterator[None]:
    """Hold the process's turn to write `database` (SQLite) for the block; no-op elsewhere."""
    if not database.is_sqlite:
        yield
        return
    loop = asyncio.get_running_loop()
    per_loop = _LOCKS.setdefault(database, {})
    for stale in [other for other in per_loop if other.is_closed()]:
        del per_loop[stale]
    lock = per_loop.setdefault(loop, asyncio.Lock())
    async with lock:
        yield


__all__ = ["write_queue"]
