"""A signature or token typed by an attacker may hold any character: `hmac.compare_digest` raises
TypeError on non-ASCII `str`, which was a 500 (found by the OpenAPI fuzzer on the SMS gateway's
delivery reports). Every check compares bytes, so a forged value is refused, never a crash."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from conseils_notifications.domain import read_unsubscribe_token, unsubscribe_token
from conseils_notifications.sms_rules import check_report_signature, report_signature
from conseils_runtime.auth import Unauthenticated, issue_token, verify_token
from conseils_runtime.errors import DomainError, constant_time_equal

SECRET = "s" * 40
FORGED = "µé\x85W\x16¥>"


def test_a_token_with_a_non_ascii_signature_is_refused() -> None:
    token = issue_token(SECRET, subject="x", role="staff", audience="meetings")
    body = token.split(".", 1)[0]
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, f"{body}.{FORGED}", audience="meetings")


def test_an_sms_report_with_a_non_ascii_signature_is_refused() -> None:
    delivery = uuid.uuid4()
    check_report_signature(SECRET, delivery, report_signature(SECRET, delivery))  # the genuine one
    with pytest.raises(DomainError):
        check_report_signature(SECRET, delivery, FORGED)


def test_an_unsubscribe_link_with_a_non_ascii_signature_is_refused() -> None:
    token = unsubscribe_token(SECRET, uuid.uuid4(), "dossier")
    payload = token.rsplit(".", 1)[0] if "." in token else token[:-24]
    with pytest.raises(DomainError):
        read_unsubscribe_token(SECRET, f"{payload}.{FORGED}")


def test_constant_time_equal_compares_str_and_bytes_without_raising() -> None:
    assert constant_time_equal("abc", "abc")
    assert constant_time_equal(b"abc", "abc")
    assert not constant_time_equal("abc", FORGED)
    assert not constant_time_equal(FORGED.encode(), "abc")
    assert constant_time_equal(FORGED, FORGED.encode())


def test_secrets_are_compared_only_through_the_one_helper() -> None:
    """`hmac.compare_digest(x.encode(), y.encode())` copied at each site is how one site forgot the
    `.encode()` and crashed on a non-ASCII forgery; every site calls `constant_time_equal`."""
    root = Path(__file__).resolve().parents[2]
    sites = [
        f"{path.relative_to(root)}:{number}"
        for top in ("services", "web", "runtime", "cli")
        for path in (root / top).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "compare_digest(" in line and path.name != "errors.py"
    ]
    assert sites == []
