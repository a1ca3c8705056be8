"""Tokens (conseils_runtime.auth): a tampered, expired or wrong-audience token is refused, and
a service reads only its `Authorization: Bearer` header, never the site's session cookie. Each
test fails when the check it covers is removed from `verify_token` or `Authenticator`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest
from fastapi import Depends, FastAPI

from conseils_runtime.auth import (
    SERVICE_TOKEN_TTL,
    Authenticator,
    Principal,
    Unauthenticated,
    issue_token,
    verify_token,
)
from conseils_runtime.http import install_error_handlers

SECRET = "secret-de-test-des-jetons-assez-long"  # noqa: S105 - a test secret


def _body(token: str) -> dict[str, object]:
    body = token.split(".", 1)[0]
    loaded: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return loaded


def _with_body(token: str, **changes: object) -> str:
    """The same signature on a changed body (an attacker without the secret)."""
    body = {**_body(token), **changes}
    encoded = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{encoded}.{token.split('.', 1)[1]}"


def test_a_good_token_names_its_audience_and_lives_five_minutes() -> None:
    token = issue_token(SECRET, subject="agent", role="staff", audience="registry")
    principal = verify_token(SECRET, token, audience="registry")
    assert (principal.subject, principal.role, principal.audience) == ("agent", "staff", ("registry",))
    assert SERVICE_TOKEN_TTL == 300
    assert principal.expires_at - time.time() <= SERVICE_TOKEN_TTL + 1


def test_a_tampered_token_is_refused() -> None:
    token = issue_token(SECRET, subject="membre", role="councillor", audience="registry")
    for forged in (
        _with_body(token, role="operator"),  # promoted herself
        _with_body(token, expires_at=int(time.time()) + 10**6),  # lengthened
        _with_body(token, audience=["registry", "meetings"]),  # widened
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # another signature
        issue_token("un-autre-secret-quelconque", subject="membre", role="staff", audience="registry"),
    ):
        with pytest.raises(Unauthenticated):
            verify_token(SECRET, forged, audience="registry")


def test_an_expired_token_is_refused() -> None:
    token = issue_token(SECRET, subject="agent", role="staff", audience="meetings", ttl_seconds=-1)
    with pytest.raises(Unauthenticated, match="expirée"):
        verify_token(SECRET, token, audience="meetings")


def test_a_token_for_another_service_or_for_the_site_is_refused() -> None:
    for audience in ("meetings", "site", ""):
        token = issue_token(SECRET, subject="agent", role="staff", audience=audience)
        with pytest.raises(Unauthenticated, match="destiné"):
            verify_token(SECRET, token, audience="registry")
    several = issue_token(SECRET, subject="agent", role="staff", audience=("registry", "meetings"))
    assert verify_token(SECRET, several, audience="meetings").role == "staff"
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, several, audience="notifications")


def test_a_token_without_an_audience_is_refused() -> None:
    """A token signed before audiences existed (or built by hand without one)."""
    token = issue_token(SECRET, subject="agent", role="staff", audience="registry")
    legacy = _body(token)
    legacy.pop("audience")
    body = base64.urlsafe_b64encode(json.dumps(legacy).encode()).rstrip(b"=").decode()
    mac = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()  # well signed, no audience
    signed = f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, signed, audience="registry")


@pytest.fixture
def service() -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app)
    authenticator = Authenticator(SECRET, audience="registry")

    @app.get("/staff-only")
    async def staff_only(principal: Principal = Depends(authenticator.require("staff"))) -> dict[str, str]:  # noqa: B008
        return {"subject": principal.subject}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry.test")


async def test_a_service_takes_only_a_bearer_token_meant_for_it(service: httpx.AsyncClient) -> None:
    async with service:
        good = issue_token(SECRET, subject="agent", role="staff", audience="registry")
        ok = await service.get("/staff-only", headers={"Authorization": f"Bearer {good}"})
        assert (ok.status_code, ok.json()) == (200, {"subject": "agent"})

        # the browser's cookie is no credential for a service (a page on another port of the
        # same host cannot act through it), even holding a token the service would accept
        site_cookie = issue_token(SECRET, subject="agent", role="staff", audience="site")
        for cookie in (site_cookie, good):
            service.cookies.set("conseils_session", cookie)
            refused = await service.get("/staff-only")
            assert refused.status_code == 401, cookie
        service.cookies.clear()

        for token in (
            site_cookie,
            issue_token(SECRET, subject="agent", role="staff", audience="meetings"),
            issue_token(SECRET, subject="agent", role="staff", audience="registry", ttl_seconds=-1),
            _with_body(good, subject="quelqu-un-d-autre"),
        ):
            refused = await service.get("/staff-only", headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 401, token

        councillor = issue_token(SECRET, subject="membre", role="councillor", audience="registry")
        forbidden = await service.get("/staff-only", headers={"Authorization": f"Bearer {councillor}"})
        assert forbidden.status_code == 403
