"""The site's background Kafka readers (session endings, the open-data feed) start and stop alike:
one task, started when a broker is configured, cancelled at the site's shutdown."""

from __future__ import annotations

import asyncio
import contextlib


class BackgroundReader:
    """Subclasses set `bootstrap` and `task_name` and define `run()` (which reads for ever)."""

    bootstrap: str | None
    task_name: str
    _task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self.bootstrap and self._task is None:
            self._task = asyncio.create_task(self.run(), name=self.task_name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
