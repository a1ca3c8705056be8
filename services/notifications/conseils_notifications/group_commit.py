"""The delivery sender's group commit of `sent` outcomes.

Each send waits until its `sent` row and NotificationSent event are committed, as before; what
changes is that the sends which finish while a commit is running are recorded together by the
next one (one transaction for all of them), so the writer lock and the commit are paid once per
group instead of once per email. No timer: a send that finds no commit running starts one at
once, so a lone email waits no longer than it did.

The crash window does not grow: a send holds its SMTP slot until its outcome is committed, so at
most `smtp_concurrency` messages can be accepted by SMTP and not yet recorded when the process
dies; their rows are claimed again when the lease ends and re-sent with the same Message-ID (the
delivery id), i.e. the same message, which mail clients and archives treat as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from conseils_notifications.records import DeliveryRecord

Sent = tuple[DeliveryRecord, str]
Record = Callable[[Sequence[Sent]], Awaitable[None]]


class GroupCommit:
    """`await sent(row, subject)` returns once that row is committed (or raises what the commit raised)."""

    def __init__(self, record: Record) -> None:
        self._record = record
        self._waiting: list[tuple[Sent, asyncio.Future[None]]] = []
        self._running = False
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # how many transactions recorded how many rows (for the bench and tests)
        self.rows = 0

    async def sent(self, row: DeliveryRecord, subject: str) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(((row, subject), future))
        if not self._running:
            self._running = True
            self._task = asyncio.get_running_loop().create_task(self._drain())
        await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    await self._record([item for item, _ in group])
                except Exception as error:  # the database went away: each waiting send sees it
                    for _, future in group:
                        if not future.done():
                            future.set_exception(error)
                except BaseException:  # cancelled (the sender stops): so are the sends waiting
                    for _, future in [*group, *self._waiting]:
                        future.cancel()
                    raise
                else:
                    self.commits += 1
                    self.rows += len(group)
                    for _, future in group:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._running = False
