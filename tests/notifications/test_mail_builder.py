"""Emails built in worker processes (mail_builder.py): the same message as one built on the
loop, sent through the transport's `send_wire` by the delivery sender, and a pool that cannot
start or breaks never fails a delivery (the email is then built on the loop)."""

from __future__ import annotations

import os
import signal
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from conseils_notifications.mail import MailSettings
from conseils_notifications.mail_builder import EmailJob, MailBuilder, sample_job, to_wire
from conseils_notifications.tasks import DeliverySender
from conseils_notifications.transport import WireMessage
from conseils_schemas import NotificationSent

from .test_sender import Harness

SETTINGS = MailSettings(
    sender="Conseils citoyens <conseils@demo.example>",
    public_base_url="https://conseils.demo.example",
    territory="demo",
    secret="s3cret",  # noqa: S106 - signs the sample's links
)


def _shape(data: bytes) -> list[tuple[Any, ...]]:
    """Headers and decoded parts of a message, without its random MIME boundaries."""
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    shape: list[tuple[Any, ...]] = []
    for part in message.walk():
        headers = [
            (name, value if name != "Content-Type" else part.get_content_type())
            for name, value in part.items()
        ]
        body = None if part.is_multipart() else part.get_content()
        shape.append((tuple(headers), body))
    return shape


def _job(**changes: Any) -> EmailJob:
    job = sample_job()
    return EmailJob(**{**job.__dict__, **changes})


async def test_an_email_built_in_a_process_is_the_one_built_on_the_loop() -> None:
    builder = MailBuilder(SETTINGS, processes=1)
    try:
        await builder.warm_up()
        job = _job(display_name="Zoé Müller", email="zoe@demo.example")
        built = await builder.build(job)
    finally:
        await builder.close()
    here = to_wire(SETTINGS, job)
    assert isinstance(built, WireMessage)
    assert (built.sender, built.recipients) == ("conseils@demo.example", ("zoe@demo.example",))
    assert (here.sender, here.recipients) == (built.sender, built.recipients)
    assert _shape(built.data) == _shape(here.data)
    assert message_from_bytes(built.data, policy=policy.default)["To"] == "Zoé Müller <zoe@demo.example>"


async def test_a_build_error_in_a_process_is_the_build_error() -> None:
    builder = MailBuilder(SETTINGS, processes=1)
    try:
        with pytest.raises(KeyError):
            await builder.build(_job(context={"instance": {"title": "sans date"}}))
    finally:
        await builder.close()


async def test_a_pool_that_cannot_start_builds_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    builder = MailBuilder(SETTINGS, processes=2)

    def no_processes() -> None:
        raise RuntimeError("no processes here")

    monkeypatch.setattr(builder, "_executor", no_processes)
    built = await builder.build(sample_job())
    assert built.recipients == ("membre@example.org",)
    assert builder.processes == 0  # and the next ones too


async def test_a_killed_worker_is_replaced_and_the_email_still_built() -> None:
    builder = MailBuilder(SETTINGS, processes=1)
    try:
        await builder.warm_up()
        pool = builder._executor()
        for process in list(pool._processes.values()):  # type: ignore[attr-defined]
            os.kill(process.pid, signal.SIGKILL)
            process.join()
        built = await builder.build(sample_job())  # the broken pool: built on the loop
        assert built.recipients == ("membre@example.org",)
        again = await builder.build(sample_job())  # a new pool
        assert again.recipients == ("membre@example.org",)
        assert builder._executor() is not pool
    finally:
        await builder.close()


class WireTransport:
    """Sends prebuilt bytes: the sender builds its emails in processes for it."""

    def __init__(self) -> None:
        self.wired: list[WireMessage] = []

    async def send(self, message: EmailMessage) -> None:
        raise AssertionError("built on the loop although the transport takes bytes")

    async def send_wire(self, message: WireMessage) -> None:
        self.wired.append(message)

    async def close(self) -> None:
        return None


@pytest.mark.postgres
async def test_the_sender_sends_the_bytes_built_in_a_process(database_url: str, territory: str) -> None:
    harness = Harness(database_url, territory, [])
    transport = WireTransport()
    harness.settings.mail_build_processes = 1
    harness.sender = DeliverySender(harness.runtime.database, harness.service, transport, harness.gateway)
    await harness.setup()
    try:
        assert await harness.sender.run_once() == 1
        (wired,) = transport.wired
        assert wired.recipients == ("karim@demo.example",)
        assert b"Karim Haddad" in wired.data
        assert (await harness.delivery())["status"] == "sent"
        ((event_type, _payload),) = await harness.outbox()
        assert event_type == NotificationSent.event_type
    finally:
        await harness.sender.stop()
        await harness.runtime.database.dispose()
