"""Concurrent requests for the same bilan share one computation, and few run at once.

A national year's bilan costs about 2 s of CPU and a few hundred MiB while it is computed (the
rows of a year, the per-council shares). Fifty staff pages asking for it at once computed it
fifty times side by side: the meetings service reached 1,557 MiB of peak RSS on PostgreSQL under
the bench's 50 clients (issue 17, item 6). Now a request for a period already being computed
waits for that computation and gets its result (read from a snapshot taken when it started, at
most one computation old), and at most ``at_once`` different periods are computed together; the
others wait their turn. A requester that goes away (client disconnected) does not cancel the
computation the others wait for.

With a ``group`` (the bilan's period, its key the period and the requester's data fingerprint:
`bilan_cache`), a request also joins a computation of its group that has not started yet (still
waiting for its slot): that one will read a snapshot taken after the request arrived, so it
sees every fact the request could see. A computation already started is joined only under the
same key."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedComputations(Generic[T]):
    def __init__(self, at_once: int = 2) -> None:
        self._running: dict[Hashable, asyncio.Task[T]] = {}
        self._queued: dict[Hashable, asyncio.Task[T]] = {}  # per group: not started yet
        self._slots = asyncio.Semaphore(at_once)
        self.started = 0
        """How many computations were started (for tests and metrics)."""

    async def get(
        self, key: Hashable, compute: Callable[[], Awaitable[T]], *, group: Hashable | None = None
    ) -> T:
        loop = asyncio.get_running_loop()
        task = self._running.get(key)
        if (task is None or task.get_loop() is not loop) and group is not None:
            task = self._queued.get(group)
            if task is not None and task.get_loop() is loop and key not in self._running:
                self._running[key] = task  # later requests under this key join it too
                task.add_done_callback(functools.partial(self._finished, key, None))
        if task is None or task.get_loop() is not loop:
            task = loop.create_task(self._run(compute, group))
            self.started += 1
            self._running[key] = task
            if group is not None:
                self._queued[group] = task
            task.add_done_callback(functools.partial(self._finished, key, group))
        return await asyncio.shield(task)

    async def _run(self, compute: Callable[[], Awaitable[T]], group: Hashable | None) -> T:
        async with self._slots:
            if group is not None and self._queued.get(group) is asyncio.current_task():
                del self._queued[group]  # started: its snapshot is taken from now on
            return await compute()

    def _finished(self, key: Hashable, group: Hashable | None, task: asyncio.Task[T]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if group is not None and self._queued.get(group) is task:
            del self._queued[group]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter that stayed got it already


__all__ = ["SharedComputations"]
