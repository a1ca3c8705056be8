"""Who is signed in (the `conseils_session` cookie holds a signed token),
role guards for pages, and CSRF protection of every form (a random
`conseils_csrf` cookie; each form carries its HMAC under the site secret)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from conseils_runtime.auth import Principal, Role, Unauthenticated, verify_token

SESSION_COOKIE = "conseils_session"
CSRF_COOKIE = "conseils_csrf"
CSRF_FIELD = "csrf"
COUNCILLOR_ROLES: tuple[Role, ...] = ("councillor", "coordinator")
STAFF_ROLES: tuple[Role, ...] = ("staff", "operator")


class SignInRequired(Exception):
    """The page needs a signed-in person: go to /connexion."""


class PageForbidden(Exception):
    """Signed in, but this role may not use the page."""


class CsrfRejected(Exception):
    """A form without a valid CSRF token (expired page or forged request)."""


def _secret(request: Request) -> str:
    secret: str = request.app.state.site.auth_secret
    return secret


def csrf_seed(request: Request) -> str:
    seed = getattr(request.state, "csrf_seed", None) or request.cookies.get(CSRF_COOKIE)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
        request.state.csrf_new = True
    return str(seed)


def csrf_token(request: Request) -> str:
    seed = csrf_seed(request)
    return hmac.new(_secret(request).encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the visitor's cookie."""
    form = await request.form()
    seed = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD)
    if not seed or not isinstance(sent, str):
        raise CsrfRejected
    expected = hmac.new(_secret(request).encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sent):
        raise CsrfRejected
    return form


def current_user(request: Request) -> Principal | None:
    cached: Any = getattr(request.state, "principal", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE, "")
    principal: Principal | None = None
    if token:
        try:
            principal = verify_token(_secret(request), token)
        except Unauthenticated:
            principal = None
    request.state.principal = principal
    return principal


def session_token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def require(request: Request, *roles: Role) -> Principal:
    principal = current_user(request)
    if principal is None:
        raise SignInRequired
    if principal.role not in roles:
        raise PageForbidden
    return principal


def require_councillor(request: Request) -> Principal:
    return require(request, *COUNCILLOR_ROLES)


def require_staff(request: Request) -> Principal:
    return require(request, *STAFF_ROLES)
