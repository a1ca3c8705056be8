"""Who is signed in, role guards for pages, and CSRF protection of every form (a random
`conseils_csrf` cookie; each form carries its HMAC under the site secret).

The `conseils_session` cookie is a token signed for the site alone (audience `site`, so no
service accepts it) naming a random session id. `SessionMiddleware` checks it on every request
against the site's database (`SessionStore`): a session ended by signing out, by staff ("end
her sessions", "end all sessions") or by the member's erasure is refused at once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from fastapi import Request, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Receive, Scope, Send

from conseils_runtime.auth import Principal, Role, Unauthenticated, issue_token, verify_token
from conseils_runtime.errors import constant_time_equal
from conseils_runtime.logs import get_logger
from conseils_web.signin import SESSION_TTL_SECONDS, SessionStore

log = get_logger(__name__)
SESSION_COOKIE = "conseils_session"
SITE_AUDIENCE = "site"  # the session cookie is meant for the site only, never a service
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
    if not constant_time_equal(expected, sent):
        raise CsrfRejected
    return form


def new_session(secret: str, *, subject: str, role: Role, council_id: uuid.UUID | None = None) -> str:
    """The cookie value of a new session (a fresh random session id), valid 12 hours."""
    return issue_token(
        secret,
        subject=subject,
        role=role,
        council_id=council_id,
        audience=SITE_AUDIENCE,
        ttl_seconds=SESSION_TTL_SECONDS,
        session_id=secrets.token_urlsafe(24),
    )


def set_session_cookie(response: Response, cookie: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_TTL_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


async def checked_session(secret: str, sessions: SessionStore, cookie: str) -> Principal | None:
    """The person of a session cookie: well signed, for the site, unexpired and not ended."""
    if not cookie:
        return None
    try:
        principal = verify_token(secret, cookie, audience=SITE_AUDIENCE)
    except Unauthenticated:
        return None
    if principal.session_id is None:
        return None
    try:
        ended = await sessions.session_ended(principal)
    except SQLAlchemyError as error:  # cannot tell: nobody is signed in
        log.warning("session check failed", error=type(error).__name__)
        return None
    return None if ended else principal


class SessionMiddleware:
    """Resolves the session cookie once per request, before any page (`current_user` reads it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            site = request.app.state.site
            request.state.principal = await checked_session(
                site.auth_secret, site.store.sessions, request.cookies.get(SESSION_COOKIE, "")
            )
        await self.app(scope, receive, send)


def current_user(request: Request) -> Principal | None:
    """The signed-in person, as `SessionMiddleware` found her (nobody without it)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


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
