"""Adapters to the outside world: SMTP (aiosmtplib, pooled connections, rate
limit) and an SMS gateway interface with a logging implementation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender

from conseils_runtime.logs import get_logger
from conseils_runtime.mail import wire_bytes

log = get_logger(__name__)


class TemporaryFailure(Exception):
    """Worth retrying later: 4xx reply, connection lost, timeout."""


class PermanentFailure(Exception):
    """Retrying cannot help: 5xx reply (unknown mailbox, refused content)."""


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class WireMessage:
    """An email already serialised (`conseils_runtime.mail.wire_bytes`) with its SMTP envelope."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes


@runtime_checkable
class WireTransport(MailTransport, Protocol):
    """A transport that also sends prebuilt bytes (the sender then builds emails in processes)."""

    async def send_wire(self, message: WireMessage) -> None: ...


class SmsGateway(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


class LoggingSmsGateway:
    """Stands in for a real SMS provider: logs that a message would be sent (never the number)."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, phone: str, text: str) -> None:
        self.sent += 1
        log.info("sms handed to logging gateway", length=len(text))


class RateLimiter:
    """At most `rate` acquisitions a second, spread evenly, shared by every connection."""

    def __init__(self, rate_per_second: float) -> None:
        self._interval = 1.0 / rate_per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)


def classify(error: BaseException) -> TemporaryFailure | PermanentFailure:
    """Sort an SMTP error by its reply code (RFC 5321 §4.2.1)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        if codes and all(500 <= code < 600 for code in codes):
            return PermanentFailure(str(error))
        return TemporaryFailure(str(error))
    if isinstance(error, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        return TemporaryFailure(f"connexion SMTP perdue : {error}")
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return TemporaryFailure(f"délai SMTP dépassé : {error}")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        if 500 <= error.code < 600:
            return PermanentFailure(f"{error.code} {error.message}")
        return TemporaryFailure(f"{error.code} {error.message}")
    if isinstance(error, OSError | aiosmtplib.SMTPException):
        return TemporaryFailure(repr(error))
    return PermanentFailure(repr(error))


class SmtpTransport:
    """A small pool of reused SMTP connections; a broken one is closed and reopened on next use."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 20.0,
        concurrency: int = 2,
        rate_per_second: float = 5.0,
    ) -> None:
        self._options = {
            "hostname": host,
            "port": port,
            "username": username,
            "password": password,
            "start_tls": starttls,
            "timeout": timeout,
        }
        self._limiter = RateLimiter(rate_per_second)
        self._idle: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(concurrency):
            self._idle.put_nowait(None)
        self._all: set[aiosmtplib.SMTP] = set()
        self.connections_opened = 0

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
        client = await self._idle.get()
        healthy = False
        try:
            if client is None or not client.is_connected:
                if client is not None:
                    self._all.discard(client)
                client = aiosmtplib.SMTP(
                    hostname=str(self._options["hostname"]),
                    port=int(str(self._options["port"])),
                    username=self._options["username"],  # type: ignore[arg-type]
                    password=self._options["password"],  # type: ignore[arg-type]
                    start_tls=bool(self._options["start_tls"]),
                    timeout=float(str(self._options["timeout"])),
                )
                await client.connect()
                self._all.add(client)
                self.connections_opened += 1
            yield client
            healthy = True
        finally:
            if not healthy and client is not None and client.is_connected:
                try:
                    await client.quit()
                except Exception:
                    client.close()
            self._idle.put_nowait(client if healthy else None)

    async def send(self, message: EmailMessage) -> None:
        """Sends `conseils_runtime.mail.wire_bytes(message)`: the very bytes its DKIM signature covers."""
        sender = extract_sender(message)
        recipients = extract_recipients(message)
        if sender is None or not recipients:
            raise PermanentFailure("message sans expéditeur ou sans destinataire")
        data = wire_bytes(message)  # one that cannot be written fails here, before any connection
        await self.send_wire(WireMessage(sender=sender, recipients=tuple(recipients), data=data))

    async def send_wire(self, message: WireMessage) -> None:
        """Sends bytes built elsewhere (`mail_builder`): the same SMTP conversation as `send`."""
        await self._limiter.acquire()
        try:
            async with self._connection() as client:
                await client.sendmail(message.sender, list(message.recipients), message.data)
        except (TemporaryFailure, PermanentFailure):
            raise
        except Exception as error:
            raise classify(error) from error

    async def close(self) -> None:
        for client in list(self._all):
            if client.is_connected:
                try:
                    await client.quit()
                except Exception:
                    client.close()
        self._all.clear()
