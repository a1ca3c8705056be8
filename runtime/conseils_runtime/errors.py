"""Refusals of the domain, with a French message for the user.

Plain Python on purpose: a service's `domain.py` raises these without
importing any framework. `conseils_runtime.http` maps them to HTTP answers
(`{"detail": ..., "code": ...}` with their status code).
"""

from __future__ import annotations

import hmac


class DomainError(Exception):
    """A rule of the domain refused an action; `message` is shown to the user (French)."""

    status_code = 422
    code = "regle_metier"

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class NotFound(DomainError):
    status_code = 404
    code = "introuvable"


class Conflict(DomainError):
    status_code = 409
    code = "conflit"


class Forbidden(DomainError):
    status_code = 403
    code = "interdit"


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compares a secret with what was sent in constant time, never raising.

    `hmac.compare_digest` raises TypeError on a non-ASCII `str` (a forged signature may hold any
    character): both sides are compared as UTF-8 bytes, so a forgery is refused, never a crash."""
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)
