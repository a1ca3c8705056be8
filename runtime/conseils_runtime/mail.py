"""Mail headers as a strict outside client reads them, and DKIM signing (RFC 5322, 2047, 2369,
8058, 6376). Plain stdlib + dkimpy, nothing of the service: any sender of the platform (the
site's sign-in mail too) can finish its `EmailMessage` with `finish_message`.

Python's `email` package folds long headers itself and, doing so, writes a long ASCII value
(a `List-Unsubscribe` URI) as RFC 2047 encoded words and drops the space between two encoded
words ("pilotage,désormais"); its own parser decodes both back, which hides them. So:

- `RawHeader` is written exactly as given (one line, or folded where we folded it);
- `encoded_subject` writes a subject as whole RFC 2047 encoded words (spaces inside them),
  or, when it is ASCII, folds it only at its own spaces;
- `wire_bytes` is the one serialisation: what is signed is what is sent (CRLF, 7-bit headers).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

import dkim  # type: ignore[import-untyped]

LINE = 78
"""RFC 5322 §2.1.1: lines SHOULD be at most 78 characters (998 MUST)."""

SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)
"""Signed when present (RFC 8058 §4: both List-Unsubscribe headers must be covered)."""


class RawHeader(str):
    """A header value written byte for byte as given: never refolded, never RFC 2047 encoded.

    Only printable ASCII; a fold must be CRLF followed by a space or tab (one we chose).
    """

    name: str

    def __new__(cls, name: str, value: str) -> RawHeader:
        unfolded = value.replace("\r\n ", " ").replace("\r\n\t", "\t")
        if any(not (" " <= char <= "~") and char != "\t" for char in unfolded):
            raise ValueError(f"{name}: only printable ASCII can be written raw")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (self.name, str(self))

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {policy.linesep.join(self.split(chr(13) + chr(10)))}{policy.linesep}"


_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_PREFIX, _SUFFIX = "=?utf-8?q?", "?="


def _q(char: str) -> str:
    """One character in RFC 2047 Q encoding, restricted to the set allowed everywhere (§5 (3))."""
    if char == " ":
        return "_"
    return "".join(chr(byte) if byte in _Q_SAFE else f"={byte:02X}" for byte in char.encode())


def encoded_subject(text: str, *, name: str = "Subject") -> RawHeader:
    """`text` on one logical line, folded as RFC 5322 and 2047 say, every space kept.

    Non-ASCII: a run of Q encoded words (at most 75 characters each, §2) split between
    characters, the spaces inside them as `_`: the folding whitespace between two encoded
    words is dropped by every reader, so nothing else is there. ASCII: folded at its spaces.
    """
    text = " ".join(text.split())
    if text.isascii():
        return RawHeader(name, _fold_ascii(text, first=len(name) + 2))
    words: list[str] = []
    current = ""
    room = LINE - len(name) - 2
    for char in text:
        piece = _q(char)
        if current and len(_PREFIX) + len(current) + len(piece) + len(_SUFFIX) > min(room, 75):
            words.append(f"{_PREFIX}{current}{_SUFFIX}")
            current, room = "", LINE - 1
        current += piece
    words.append(f"{_PREFIX}{current}{_SUFFIX}")
    return RawHeader(name, "\r\n ".join(words))


def _fold_ascii(text: str, *, first: int) -> str:
    lines: list[str] = []
    line = ""
    used = first
    for word in text.split(" "):
        if line and used + len(line) + 1 + len(word) > LINE:
            lines.append(line)
            line, used = word, 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    # The fold goes before the space that separated the words: unfolding gives it back.
    return "\r\n ".join(lines)


def list_unsubscribe(*uris: str) -> tuple[RawHeader, RawHeader]:
    """`List-Unsubscribe` (RFC 2369: `<uri>` list, here on one line) and the RFC 8058 one-click
    `List-Unsubscribe-Post`. The URIs must be ASCII (percent-encoded)."""
    return (
        RawHeader("List-Unsubscribe", ", ".join(f"<{uri}>" for uri in uris)),
        RawHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


@dataclass(frozen=True)
class DkimKey:
    """A territory's DKIM signing key: `<selector>._domainkey.<domain>` publishes its public half."""

    domain: str
    selector: str
    private_key: bytes  # PEM (PKCS#1 or PKCS#8), RSA

    @classmethod
    def load(cls, path: Path, *, selector: str, domain: str) -> DkimKey:
        key = path.read_bytes()
        if b"PRIVATE KEY" not in key:
            raise ValueError(f"{path}: not a PEM private key")
        return cls(domain=domain, selector=selector, private_key=key)


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as sent over SMTP (CRLF line ends, RFC 5322 headers); what DKIM signs."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=SMTP).flatten(message)
    return buffer.getvalue()


def sign(message: EmailMessage, key: DkimKey) -> None:
    """Adds the DKIM-Signature (rsa-sha256, relaxed/relaxed) as the first header."""
    present = [name for name in SIGNED_HEADERS if name in message]
    signature = dkim.sign(
        wire_bytes(message),
        key.selector.encode(),
        key.domain.encode(),
        key.private_key,
        include_headers=[name.encode() for name in present],
        canonicalize=(b"relaxed", b"relaxed"),
    )
    name, _, value = bytes(signature).decode("ascii").partition(":")
    headers: list[tuple[str, Any]] = list(message.items())
    for header_name in {header for header, _value in headers}:
        del message[header_name]
    message[name] = RawHeader(name, value.strip())
    for header_name, header_value in headers:
        message[header_name] = header_value


def finish_message(
    message: EmailMessage,
    *,
    now: datetime | None = None,
    message_id: str | None = None,
    dkim_key: DkimKey | None = None,
) -> EmailMessage:
    """Date and Message-ID if missing, then the DKIM signature; call it last, once the body is set.

    `message_id` (without angle brackets, `local@domain`) keeps a retry's Message-ID stable;
    by default a random one at the From address's domain.
    """
    if "Date" not in message:
        message["Date"] = format_datetime((now or datetime.now(UTC)).astimezone(UTC))
    if "Message-ID" not in message:
        domain = parseaddr(str(message["From"]))[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = RawHeader(
            "Message-ID", f"<{message_id}>" if message_id else make_msgid(domain=domain)
        )
    if dkim_key is not None:
        sign(message, dkim_key)
    return message
