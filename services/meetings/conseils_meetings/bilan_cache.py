"""The last bilans computed, served again while the data they were computed from is unchanged.

A national year's bilan costs about 2 s of CPU, and between two facts nothing in it can change:
it reads only the meetings database (its instances, registrations, attendance, convened lists,
outcomes, opinions, representatives and the registry read model), the territory file (loaded
once per process) and never the clock (every figure is as of the date it concerns). So the
service keeps the figures of the last few periods (`BilanCache`, least recently used first out)
with the *fingerprint* of the data they were read from, and a request whose fingerprint is the
same (and the same territory configuration object) gets them again; any new fact changes the
fingerprint and the next request computes afresh.

The fingerprint (`data_fingerprint`) is read in a transaction of the meetings database, so it
sees what any process wrote (a second worker, the CLI), and it is read *before* the figures
(in the computation's own transaction): figures are never older than their fingerprint.

- **SQLite**: the highest rowid of `outbox_messages` (every fact of meetings is written there
  in the transaction that applies it, `UnitOfWork.emit`) and of `processed_events` (every
  registry fact the read model applies is recorded there in the consumer's transaction). SQLite
  has one writer at a time, so rowids are handed out in commit order: a larger committed
  rowid means a later commit, and an unchanged pair means no such commit. Neither table is
  ever deleted from in this service (no purge, no retention): a rowid would otherwise be reused
  when the highest row goes, which a pair of maxima could not see.
- **PostgreSQL**: the ids of a sequence are handed out in insert order, not commit order (a
  transaction holding seq 100 may commit after the one holding 101), and `processed_events` has
  no id at all, so maxima could miss a fact. The fingerprint is the fact clock
  (`conseils_meetings.fact_clock`): the count of the transactions that recorded a fact, added
  to one after the other under its row's lock as each commits. Equal counts see the same facts,
  and a write to another database of the server (the registry's, notifications') leaves it
  unchanged, which the transaction snapshot used before did not.

Only the figures (`Bilan`) are kept, never the year's rows; with them, the rendered outputs of
the route for that fingerprint (JSON, CSV, and the HTML of the current minute)."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import fact_clock
from conseils_meetings.bilan import Bilan

Fingerprint = tuple[Hashable, ...]

_SQLITE = text("SELECT (SELECT max(rowid) FROM outbox_messages), (SELECT max(rowid) FROM processed_events)")


async def data_fingerprint(session: AsyncSession) -> Fingerprint | None:
    """What changes whenever a fact the bilan could read is committed (see the module); `None`
    on a database we cannot fingerprint (nothing is then kept)."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "sqlite":
        row = (await session.execute(_SQLITE)).one()
        return ("sqlite", row[0], row[1])
    if dialect == "postgresql":
        return ("postgresql", await session.scalar(fact_clock.READ))
    return None


class SharedReads:
    """Concurrent requests share one read of the fingerprint, one started after they arrived.

    A read already started is never joined (it may predate a commit the request must see): the
    requests that arrive meanwhile wait for it to end and share the next one. Fifty requests at
    once make two reads, not fifty transactions queueing for SQLite's write lock."""

    def __init__(self) -> None:
        self._next: asyncio.Task[Fingerprint | None] | None = None
        self._one_at_a_time = asyncio.Lock()
        self.reads = 0
        """How many reads were made (for tests)."""

    async def read(self, fetch: Callable[[], Awaitable[Fingerprint | None]]) -> Fingerprint | None:
        loop = asyncio.get_running_loop()
        task = self._next
        if task is None or task.get_loop() is not loop:
            task = self._next = loop.create_task(self._read(fetch))
        return await asyncio.shield(task)

    async def _read(self, fetch: Callable[[], Awaitable[Fingerprint | None]]) -> Fingerprint | None:
        async with self._one_at_a_time:
            if self._next is asyncio.current_task():
                self._next = None  # started: a request arriving from now on waits for the next one
            self.reads += 1
            return await fetch()


@dataclass
class CachedBilan:
    """The figures of one period as of one fingerprint, and the outputs rendered from them."""

    fingerprint: Fingerprint
    bilan: Bilan
    territory: object
    """The territory configuration it was computed with (a test may swap it; a process never does)."""
    outputs: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def tagged_output(
        self, name: str, render: Callable[[Bilan], bytes], variant: str = ""
    ) -> tuple[bytes, str]:
        """`render(bilan)`, rendered once for this fingerprint and `variant` (the HTML's minute:
        it says when it was produced; a new variant replaces the previous one; no await in
        between, so two requests never render the same output side by side), and its entity tag
        (RFC 9110 §8.8.3: a strong tag, the digest of the bytes, computed once with them): a
        client that still holds these bytes is answered 304."""
        kept = self.outputs.get(name)
        if kept is not None and kept[0] == variant:
            return kept[1], kept[2]
        rendered = render(self.bilan)
        tag = f'"{hashlib.sha256(rendered).hexdigest()[:32]}"'
        self.outputs[name] = (variant, rendered, tag)
        return rendered, tag


class BilanCache:
    """The bilans of the last `size` periods asked for, each with its fingerprint."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, CachedBilan] = OrderedDict()
        self.hits = 0
        """How many requests were served from the cache (for tests and metrics)."""

    def get(self, period: Hashable, fingerprint: Fingerprint | None, territory: object) -> CachedBilan | None:
        entry = self._entries.get(period)
        if entry is None or fingerprint is None or entry.fingerprint != fingerprint:
            return None
        if entry.territory is not territory:
            return None
        self._entries.move_to_end(period)
        self.hits += 1
        return entry

    def put(
        self, period: Hashable, fingerprint: Fingerprint | None, territory: object, bilan: Bilan
    ) -> CachedBilan:
        entry = CachedBilan(fingerprint or (), bilan, territory)
        if fingerprint is None:
            return entry  # not kept: we could not tell when it changes
        self._entries[period] = entry
        self._entries.move_to_end(period)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry


__all__ = ["BilanCache", "CachedBilan", "Fingerprint", "SharedReads", "data_fingerprint"]
