"""The attendance code of an instance: six characters staff show at the meeting, derived from the
instance id and the platform secret (HMAC-SHA256, domain-separated from every other signature),
so nothing is stored and every replica gives the same. The alphabet leaves out look-alikes
(0/O, 1/I/L, 2/Z, 5/S, 8/B). Plain Python (no framework)."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from conseils_runtime.errors import constant_time_equal

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 6
MAX_FAILURES = 5
_DOMAIN = b"conseils-attendance-code:"


def attendance_code(secret: str, instance_id: uuid.UUID) -> str:
    digest = hmac.new(secret.encode(), _DOMAIN + instance_id.bytes, hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    letters = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "".join(letters)


def normalised(typed: str) -> str:
    """What she typed, as compared: capitals, without spaces or dashes."""
    return "".join(c for c in typed.upper() if c not in " -\t")


def matches(secret: str, instance_id: uuid.UUID, typed: str) -> bool:
    return constant_time_equal(normalised(typed), attendance_code(secret, instance_id))
