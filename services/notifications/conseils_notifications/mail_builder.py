"""The delivery sender's emails built off the event loop, in a pool of processes.

Building an email (two Jinja templates, the iCalendar invitation, MIME and its serialisation,
the DKIM signature) is pure CPU and returns bytes: done on the event loop it holds the one GIL
of the sending process and the SMTP sockets, the claims and the group commits wait
(docs/performance.md). A thread does not help (it takes the same GIL); a process does. Each
worker process receives the `MailSettings` once (pool initializer) and keeps its compiled
templates; a job is a delivery's fields (plain data: ids, strings, the JSON context) and its
result the wire bytes with their SMTP envelope, exactly what `conseils_runtime.mail.wire_bytes`
gives for the same message, so what DKIM signs is still what is sent.

`processes=0` builds on the loop (and so does a transport that cannot send prebuilt bytes, such
as the test doubles that look at the `EmailMessage`). A broken pool (a worker killed) is replaced
and the email built on the loop: a delivery never fails because of the pool.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from aiosmtplib.email import extract_recipients, extract_sender

from conseils_notifications.mail import MailSettings, build_email
from conseils_notifications.transport import PermanentFailure, WireMessage
from conseils_runtime.logs import get_logger
from conseils_runtime.mail import wire_bytes

log = get_logger(__name__)


@dataclass(frozen=True)
class EmailJob:
    """What a worker needs to build one delivery's email (picklable)."""

    delivery_id: UUID
    kind: str
    category: str
    reason: str
    context: dict[str, Any]
    member_id: UUID
    display_name: str
    email: str
    now: datetime


def to_wire(settings: MailSettings, job: EmailJob) -> WireMessage:
    """The email of `job` as sent: SMTP envelope and the bytes its DKIM signature covers."""
    message = build_email(
        settings,
        delivery_id=job.delivery_id,
        kind=job.kind,
        category=job.category,
        reason=job.reason,
        context=job.context,
        member_id=job.member_id,
        display_name=job.display_name,
        email=job.email,
        now=job.now,
    )
    sender = extract_sender(message)
    recipients = extract_recipients(message)
    if sender is None or not recipients:
        raise PermanentFailure("message sans expéditeur ou sans destinataire")
    return WireMessage(
        sender=str(sender), recipients=tuple(str(r) for r in recipients), data=wire_bytes(message)
    )


_WORKER_SETTINGS: MailSettings | None = None


def _start_worker(settings: MailSettings) -> None:
    """Pool initializer, once per worker process: keeps the settings and builds a sample email so
    that the templates are compiled and the libraries warm before the first delivery."""
    global _WORKER_SETTINGS  # noqa: PLW0603 - one per worker process, set by the pool initializer
    _WORKER_SETTINGS = settings
    try:
        to_wire(settings, sample_job())
    except Exception:  # a warm-up only: the real emails report their own errors
        log.exception("mail build process could not build its sample email")


def sample_job() -> EmailJob:
    """An invitation to an instance (what a fan-out sends), for warming up and for tests."""
    starts = datetime(2027, 1, 5, 18, 30, tzinfo=UTC)
    instance = {
        "instance_id": "00000000-0000-4000-8000-000000000001",
        "title": "Comité de pilotage",
        "instance_type": "copil",
        "type_name": "Comité de pilotage",
        "theme": None,
        "theme_name": None,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Hôtel de ville",
        "sequence": 0,
        "status": "scheduled",
    }
    return EmailJob(
        delivery_id=UUID(int=1),
        kind="scheduled",
        category="scheduling",
        reason="council_member",
        context={"instance": instance},
        member_id=UUID(int=2),
        display_name="Membre",
        email="membre@example.org",
        now=starts - timedelta(days=30),
    )


def _build_in_worker(job: EmailJob) -> WireMessage:
    assert _WORKER_SETTINGS is not None, "set by the pool initializer"
    return to_wire(_WORKER_SETTINGS, job)


def _ready() -> bool:
    return _WORKER_SETTINGS is not None


class MailBuilder:
    """`await build(job)`: the wire message, built in a worker process when there are some."""

    def __init__(self, settings: MailSettings, processes: int) -> None:
        self._settings = settings
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None

    @property
    def processes(self) -> int:
        return self._processes

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fresh interpreter (forking a process that runs threads and sockets is unsafe)
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._settings,),
            )
        return self._pool

    async def warm_up(self) -> None:
        """Starts the worker processes (imports, templates) before the first batch needs them."""
        if self._processes:
            loop = asyncio.get_running_loop()
            pool = self._executor()
            await asyncio.gather(*(loop.run_in_executor(pool, _ready) for _ in range(self._processes)))

    async def build(self, job: EmailJob) -> WireMessage:
        if not self._processes:
            return to_wire(self._settings, job)
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            pool = self._executor()
            pending = loop.run_in_executor(pool, _build_in_worker, job)
        except BrokenProcessPool:
            self._discard(pool)
            return to_wire(self._settings, job)
        except Exception:  # the processes cannot be started here: build on the loop from now on
            log.exception("mail build processes unavailable, emails built on the loop")
            self._processes = 0
            await self.close()
            return to_wire(self._settings, job)
        try:
            return await pending
        except BrokenProcessPool:
            self._discard(pool)
            return to_wire(self._settings, job)

    def _discard(self, pool: ProcessPoolExecutor | None) -> None:
        """A worker died (killed): this email is built on the loop, the next ones by a new pool."""
        log.warning("mail build pool broken, replaced; this email built on the loop")
        if pool is not None and self._pool is pool:
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
