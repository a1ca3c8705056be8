"""Signed, single-purpose action links of the emails: « Je participe », « J'observe »,
« Je ne viens plus », « Je viens » (the J-1 reminder: her registration is kept) and the
presence prompt's « Étiez-vous présent·e ? » (`present`: the page where she types the
attendance code). Written by the notifications service, read by the site.

A link names one member, one instance, one action and when it stops being valid, signed
with the platform secret (HMAC-SHA256, domain-separated from every other signature of the
platform). It is the credential for that one action only: it opens no session, and a link
for another member, instance or action cannot be made from it. The site never acts on a
GET (mail scanners follow links): the link leads to a page with one confirm button.

Wire form: base64url of `version | action | member (16 bytes) | instance (16 bytes) |
expiry (8 bytes, Unix seconds) | HMAC (32 bytes)`: about a hundred characters, one path segment.
An SMS carries the short form (`sign_short_action`, 58 characters: the expiry a day, 8 bytes of
HMAC); the site reads both (`read_any_action`). Plain Python (no framework)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from conseils_runtime.errors import constant_time_equal

Action = Literal["participant", "observer", "cancel", "confirm", "present"]
ACTIONS: tuple[Action, ...] = ("participant", "observer", "cancel", "confirm", "present")
"""The wire form carries the index: new actions go at the end, an existing one never moves."""
_VERSION = 1
_DOMAIN = b"conseils-action-link:"
_PAYLOAD = 1 + 1 + 16 + 16 + 8
_SIGNATURE = 32


class ActionLinkInvalid(ValueError):
    """Not a link the platform made (tampered with, cut, or signed with another secret)."""


class ActionLinkExpired(ValueError):
    """A genuine link used after its window: `link` says which member, instance and action."""

    def __init__(self, link: ActionLink) -> None:
        super().__init__("lien expiré")
        self.link = link


@dataclass(frozen=True)
class ActionLink:
    member_id: uuid.UUID
    instance_id: uuid.UUID
    action: Action
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), _DOMAIN + payload, hashlib.sha256).digest()


def sign_action(
    secret: str, member_id: uuid.UUID, instance_id: uuid.UUID, action: Action, expires_at: datetime
) -> str:
    """The token of one action link (URL-safe, no padding)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    seconds = int(expires_at.timestamp())
    payload = (
        bytes([_VERSION, ACTIONS.index(action)])
        + member_id.bytes
        + instance_id.bytes
        + seconds.to_bytes(8, "big", signed=False)
    )
    return _b64(payload + _signature(secret, payload))


def read_action(secret: str, token: str, now: datetime) -> ActionLink:
    """The link's member, instance, action and expiry, once its signature is checked.

    Raises `ActionLinkInvalid` (anything not signed by the platform) or `ActionLinkExpired`
    (genuine, but `now` is past its window)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raise ActionLinkInvalid from None
    if len(raw) != _PAYLOAD + _SIGNATURE or len(token) > 200:
        raise ActionLinkInvalid
    payload, signature = raw[:_PAYLOAD], raw[_PAYLOAD:]
    if not constant_time_equal(_signature(secret, payload), signature):
        raise ActionLinkInvalid
    if payload[0] != _VERSION or payload[1] >= len(ACTIONS):
        raise ActionLinkInvalid
    link = ActionLink(
        member_id=uuid.UUID(bytes=payload[2:18]),
        instance_id=uuid.UUID(bytes=payload[18:34]),
        action=ACTIONS[payload[1]],
        expires_at=datetime.fromtimestamp(int.from_bytes(payload[34:42], "big"), UTC),
    )
    if now >= link.expires_at:
        raise ActionLinkExpired(link)
    return link


# --------------------------------------------------------------------------- the SMS's short form

_SHORT_VERSION = 2
_SHORT_DOMAIN = b"conseils-short-action-link:"
_SHORT_PAYLOAD = 1 + 16 + 16 + 2
_SHORT_SIGNATURE = 8
SHORT_LENGTH = 58
"""Characters of a short token: what an SMS of one segment can carry with its text."""
_DAY = 86400


def sign_short_action(
    secret: str, member_id: uuid.UUID, instance_id: uuid.UUID, action: Action, expires_at: datetime
) -> str:
    """The same credential in 58 characters, for an SMS (160 characters in all): the action and
    the version share one byte, the expiry is a day (the link stays valid to the end of the UTC
    day of `expires_at`, never less), the signature is 8 bytes of HMAC-SHA256 (64 bits: far out of
    reach of guessing over HTTP), domain-separated from the long form's."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    day = -(-int(expires_at.timestamp()) // _DAY)  # rounded up: never shorter than asked
    payload = (
        bytes([_SHORT_VERSION << 4 | ACTIONS.index(action)])
        + member_id.bytes
        + instance_id.bytes
        + day.to_bytes(2, "big", signed=False)
    )
    mac = hmac.new(secret.encode(), _SHORT_DOMAIN + payload, hashlib.sha256).digest()[:_SHORT_SIGNATURE]
    return _b64(payload + mac)


def read_short_action(secret: str, token: str, now: datetime) -> ActionLink:
    """The short form's member, instance, action and expiry (raises as `read_action` does)."""
    if len(token) != SHORT_LENGTH:
        raise ActionLinkInvalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raise ActionLinkInvalid from None
    if len(raw) != _SHORT_PAYLOAD + _SHORT_SIGNATURE:
        raise ActionLinkInvalid
    payload, signature = raw[:_SHORT_PAYLOAD], raw[_SHORT_PAYLOAD:]
    mac = hmac.new(secret.encode(), _SHORT_DOMAIN + payload, hashlib.sha256).digest()[:_SHORT_SIGNATURE]
    if not constant_time_equal(mac, signature):
        raise ActionLinkInvalid
    if payload[0] >> 4 != _SHORT_VERSION or payload[0] & 0x0F >= len(ACTIONS):
        raise ActionLinkInvalid
    link = ActionLink(
        member_id=uuid.UUID(bytes=payload[1:17]),
        instance_id=uuid.UUID(bytes=payload[17:33]),
        action=ACTIONS[payload[0] & 0x0F],
        expires_at=datetime.fromtimestamp(int.from_bytes(payload[33:35], "big") * _DAY, UTC),
    )
    if now >= link.expires_at:
        raise ActionLinkExpired(link)
    return link


def read_any_action(secret: str, token: str, now: datetime) -> ActionLink:
    """A link of either form: the emails' (`read_action`) or the SMS's short one."""
    if len(token) == SHORT_LENGTH:
        return read_short_action(secret, token, now)
    return read_action(secret, token, now)
