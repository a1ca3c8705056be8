"""Background workers that live as long as a service: the outbox relay, the
notifications sender and scheduler, the meetings' late-dossier check.

A `WorkerLoop` runs `run_once()` again at once while it finds work, waits for
`wake()` or its poll interval when it finds none, and backs off (without
dying) while its database or broker is away.
"""

from __future__ import annotations

import asyncio
import contextlib

from conseils_runtime.logs import describe_error, get_logger

log = get_logger(__name__)


class WorkerLoop:
    name = "worker"

    def __init__(self, poll_seconds: float) -> None:
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    async def run_once(self) -> int:
        """Do one round of work; return how much was done (0: nothing waiting)."""
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def on_failure(self, error: Exception) -> None:
        """Hook for metrics; the loop itself logs and backs off."""

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                done = await self.run_once()
                failures, self.last_error = 0, None
            except asyncio.CancelledError:
                raise
            except Exception as error:  # database or broker away: keep going, with a growing pause
                failures += 1
                self.last_error = describe_error(error)
                self.on_failure(error)
                log.warning(
                    "worker failed, will retry",
                    worker=self.name,
                    error=describe_error(error),
                    failures=failures,
                )
                await asyncio.sleep(min(0.5 * 2 ** min(failures, 6), 30.0))
                continue
            if done:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
