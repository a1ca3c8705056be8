"""A local SMTP server that keeps every message it receives (the demo's and
the tests' "mailbox"), and the reader that parses them back for display."""

from __future__ import annotations

import email
import email.parser
import email.policy
import socket
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _SaveToDirectory:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(content)
        temporary.rename(self.directory / name)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MailCatcher:
    """aiosmtpd on 127.0.0.1; each message becomes one .eml file in `directory`."""

    def __init__(self, directory: Path, *, port: int = 0) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = port or _free_port()
        self._controller = Controller(_SaveToDirectory(directory), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@dataclass(frozen=True)
class StoredMail:
    id: str
    received_at: float
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", "(sans objet)"))

    @property
    def recipients(self) -> str:
        return str(self.message.get("To", ""))

    def part(self, content_type: str) -> str | None:
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        if body is None or body.get_content_type() != content_type:
            return None
        content: Any = body.get_content()
        return str(content)

    def attachments(self) -> list[tuple[str, str, bytes]]:
        found = []
        for part in self.message.walk():
            filename = part.get_filename()
            if filename or part.get_content_type() == "text/calendar":
                payload = part.get_payload(decode=True)
                found.append(
                    (
                        filename or "invitation.ics",
                        part.get_content_type(),
                        payload if isinstance(payload, bytes) else b"",
                    )
                )
        return found


PAGE_SIZE = 50


@dataclass(frozen=True)
class MailboxPage:
    """One page of the mailbox, newest first: `total` messages match the filter, of which
    `mails` are numbers `offset + 1` to `offset + len(mails)`."""

    mails: list[StoredMail]
    total: int
    offset: int
    page: int
    pages: int


def _recipients(file: Path) -> str:
    """The To header of a stored message, its head only parsed (a filter reads every file)."""
    with file.open("rb") as handle:
        head = handle.read(64 * 1024)
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in head:
            head = head.split(separator, 1)[0] + separator
            break
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(head)
    return str(headers.get("To", ""))


def read_mailbox(directory: Path, limit: int = 200) -> list[StoredMail]:
    """The newest messages first (the tests' reader; the page reads `mailbox_page`)."""
    if not directory.exists():
        return []
    files = sorted(directory.glob("*.eml"), reverse=True)[:limit]
    return [load_mail(file) for file in files]


def mailbox_page(
    directory: Path, *, recipient: str = "", page: int = 1, size: int = PAGE_SIZE
) -> MailboxPage:
    """The newest messages first, `size` a page; with `recipient`, only the messages whose
    To header holds it (case ignored), so that one person's mail is not buried under the
    hundreds the demo year sends. A page past the last one shows the last one."""
    files = sorted(directory.glob("*.eml"), reverse=True) if directory.exists() else []
    wanted = recipient.strip().casefold()
    if wanted:
        files = [file for file in files if wanted in _recipients(file).casefold()]
    pages = max(1, -(-len(files) // size))
    page = min(max(1, page), pages)
    offset = (page - 1) * size
    mails = [load_mail(file) for file in files[offset : offset + size]]
    return MailboxPage(mails=mails, total=len(files), offset=offset, page=page, pages=pages)


def load_mail(file: Path) -> StoredMail:
    message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return StoredMail(id=file.stem, received_at=file.stat().st_mtime, message=message)


def find_mail(directory: Path, mail_id: str) -> StoredMail | None:
    if not mail_id.replace("-", "").isalnum():
        return None
    file = directory / f"{mail_id}.eml"
    return load_mail(file) if file.is_file() else None
