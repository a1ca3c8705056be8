"""Who is calling: signed bearer tokens verified the same way by every service.

The website (or a test) signs a `Principal` with the territory's shared
secret (HMAC-SHA256); services only verify. Tokens carry ids and roles, never
contact data, and expire.

Every token names who it is meant for (`audience`, the JWT `aud`): a service
accepts only a token whose audience is its own name (`registry`, `meetings`,
`notifications`), so the site's session cookie (audience `site`) or a token
minted for another service is refused. The site mints a service token per
call, valid `SERVICE_TOKEN_TTL` seconds; services never read cookies.

Roles: `councillor`, `coordinator` (a councillor who coordinates a council),
`staff`, `operator`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from fastapi import Request
from pydantic import BaseModel, ValidationError

from conseils_runtime.errors import constant_time_equal
from conseils_runtime.http import DomainError

Role = Literal["councillor", "coordinator", "staff", "operator"]
SERVICE_TOKEN_TTL = 5 * 60  # a service token lives for one call of the site (and a margin)


DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - the known value refused outside a demo
"""The development default of `CONSEILS_AUTH_SECRET`: public, so anyone could sign tokens with it."""
MIN_SECRET_LENGTH = 32


class UnsafeSecret(RuntimeError):
    """The token secret is the default or too short, outside a demo territory."""


def check_secret(secret: str, *, demo: bool, where: str = "") -> None:
    """Refuse the default or a short (< 32 characters) signing secret unless the territory is a
    demo (`demo: true` in its file): whoever knows the secret can sign an operator's token."""
    if demo:
        return
    if secret == DEFAULT_SECRET:
        problem = "est la valeur par défaut publique (dev-secret-change-me)"
    elif len(secret) < MIN_SECRET_LENGTH:
        problem = f"fait {len(secret)} caractères, il en faut au moins {MIN_SECRET_LENGTH}"
    else:
        return
    territory = f" {where}" if where else ""
    raise UnsafeSecret(
        f"Démarrage refusé : le secret des jetons CONSEILS_AUTH_SECRET {problem}, et le territoire"
        f"{territory} n'est pas une démonstration (demo: true). Avec ce secret, n'importe qui pourrait "
        "fabriquer un jeton d'opérateur. Définissez CONSEILS_AUTH_SECRET à une valeur aléatoire d'au moins "
        f"{MIN_SECRET_LENGTH} caractères, la même pour les services et le site, par exemple : "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )


class Unauthenticated(DomainError):
    status_code = 401
    code = "non_authentifie"


class Principal(BaseModel):
    subject: str  # member id for councillors, staff account id for staff
    role: Role
    council_id: uuid.UUID | None = None
    expires_at: int
    audience: tuple[str, ...] = ()  # the services (or `site`) the token is meant for
    issued_at: float = 0  # when it was signed (a session ended since then is over)
    session_id: str | None = None  # the site session it was minted for (site cookies only)

    def meant_for(self, audience: str) -> bool:
        return audience in self.audience

    @property
    def member_id(self) -> uuid.UUID | None:
        if self.role in ("councillor", "coordinator"):
            return uuid.UUID(self.subject)
        return None

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "operator")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    secret: str,
    *,
    subject: str,
    role: Role,
    audience: str | Sequence[str],
    council_id: uuid.UUID | None = None,
    ttl_seconds: int = SERVICE_TOKEN_TTL,
    session_id: str | None = None,
) -> str:
    """A signed token for `audience` (one service name, or several for a test harness)."""
    now = time.time()
    principal = Principal(
        subject=subject,
        role=role,
        council_id=council_id,
        expires_at=int(now) + ttl_seconds,
        audience=(audience,) if isinstance(audience, str) else tuple(audience),
        issued_at=now,
        session_id=session_id,
    )
    body = _b64(principal.model_dump_json().encode())
    signature = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def verify_token(secret: str, token: str, *, audience: str) -> Principal:
    """The principal of a token signed with `secret`, unexpired and meant for `audience`."""
    try:
        body, signature = token.split(".", 1)
    except ValueError:
        raise Unauthenticated("Jeton d'accès invalide.") from None
    expected = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    if not constant_time_equal(expected, signature):
        raise Unauthenticated("Jeton d'accès invalide.")
    try:
        principal = Principal.model_validate(json.loads(_unb64(body)))
    except (ValueError, ValidationError):
        raise Unauthenticated("Jeton d'accès invalide.") from None
    if principal.expires_at < time.time():
        raise Unauthenticated("Session expirée : reconnectez-vous.")
    if not principal.meant_for(audience):
        raise Unauthenticated("Jeton d'accès non destiné à ce service.")
    return principal


class Authenticator:
    """FastAPI dependencies for one service, bound to its secret and its name (the audience
    its tokens must carry). Only the `Authorization: Bearer` header counts: a cookie the
    browser sends along (the site's session) is never a credential here."""

    def __init__(self, secret: str, *, audience: str) -> None:
        self.secret = secret
        self.audience = audience

    def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not token:
            raise Unauthenticated("Authentification requise.")
        return verify_token(self.secret, token, audience=self.audience)

    def require(self, *roles: Role) -> Callable[[Request], Awaitable[Principal]]:
        async def dependency(request: Request) -> Principal:
            principal = self.principal(request)
            if principal.role not in roles:
                raise DomainError(
                    "Vous n'avez pas le droit de faire cette action.", code="interdit", status_code=403
                )
            return principal

        return dependency
