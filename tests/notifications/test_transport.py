"""The SMTP adapter against a real SMTP server (aiosmtpd): connections reused,
4xx sorted as temporary, 5xx as permanent, a lost connection reopened; the
rate limiter spaces messages out."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.transport import PermanentFailure, RateLimiter, SmtpTransport, TemporaryFailure


class Server:
    """Refuses some recipients with a scripted reply, accepts the rest."""

    def __init__(self) -> None:
        self.replies = {
            "busy@demo.example": "451 4.3.0 Mailbox busy",
            "nobody@demo.example": "550 5.1.1 No such user",
        }
        self.received: list[str] = []
        self.sessions: set[int] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.sessions.add(id(session))
        self.received.extend(envelope.rcpt_tos)
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Server, Controller]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Server()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server, controller
    finally:
        if controller._thread is not None:  # a test may have stopped it already
            controller.stop()


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "conseils@plainecommune.example"
    mail["To"] = to
    mail["Subject"] = "Essai"
    mail.set_content("Bonjour")
    return mail


async def test_connection_is_reused_and_replies_are_sorted(smtp: tuple[Server, Controller]) -> None:
    server, controller = smtp
    transport = SmtpTransport(host="127.0.0.1", port=controller.port, concurrency=1, rate_per_second=1000)
    try:
        for n in range(3):
            await transport.send(message(f"member{n}@demo.example"))
        assert transport.connections_opened == 1
        assert len(server.sessions) == 1
        with pytest.raises(TemporaryFailure, match="451"):
            await transport.send(message("busy@demo.example"))
        with pytest.raises(PermanentFailure, match="550"):
            await transport.send(message("nobody@demo.example"))
        await transport.send(message("after@demo.example"))  # the pool recovers after a refusal
        assert server.received == [*(f"member{n}@demo.example" for n in range(3)), "after@demo.example"]
    finally:
        await transport.close()


async def test_server_gone_is_temporary_and_the_connection_is_reopened(
    smtp: tuple[Server, Controller],
) -> None:
    server, controller = smtp
    transport = SmtpTransport(host="127.0.0.1", port=controller.port, concurrency=1, rate_per_second=1000)
    await transport.send(message("one@demo.example"))
    controller.stop()
    with pytest.raises(TemporaryFailure):
        await transport.send(message("two@demo.example"))
    back = Controller(server, hostname="127.0.0.1", port=controller.port)  # a stopped one cannot restart
    back.start()
    try:
        await transport.send(message("three@demo.example"))
        assert server.received == ["one@demo.example", "three@demo.example"]
        assert transport.connections_opened == 2
    finally:
        await transport.close()
        back.stop()


async def test_rate_limiter_spaces_acquisitions() -> None:
    limiter = RateLimiter(rate_per_second=20)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(6)))
    assert time.monotonic() - started >= 5 / 20 * 0.9


def test_settings_read_their_prefix_and_default_to_the_territory_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONSEILS_NOTIFICATIONS_SMTP_PORT", "2525")
    monkeypatch.setenv("CONSEILS_NOTIFICATIONS_SMTP_RATE_PER_SECOND", "2.5")
    settings = NotificationsSettings()
    assert (settings.service_name, settings.port) == ("notifications", 8103)
    assert (settings.smtp_port, settings.smtp_rate_per_second) == (2525, 2.5)
    assert (
        settings.resolved_mail_sender()
        == "Conseils citoyens de Plaine Commune <conseils@plainecommune.example>"
    )
    assert settings.resolved_public_base_url() == "http://127.0.0.1:8000"
    assert NotificationsSettings(mail_sender="x@y.example").resolved_mail_sender() == "x@y.example"
