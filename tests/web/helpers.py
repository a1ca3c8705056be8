"""Build the site for tests: services answered by an in-memory fake (httpx
MockTransport), sessions and CSRF tokens as the browser would carry them."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from conseils_runtime.auth import Role
from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.security import new_session
from conseils_web.site import ServiceEndpoint, create_site

SECRET = "secret-de-test-du-site"  # noqa: S105 - a test secret
COUNCIL_ID = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
MEMBER_ID = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
STAFF_ID = uuid.UUID("00000000-0000-0000-0000-0000000000e1")
ENDPOINTS = [
    ServiceEndpoint("registry", "Registre", "http://registry.test"),
    ServiceEndpoint("meetings", "Instances", "http://meetings.test"),
    ServiceEndpoint("notifications", "Notifications", "http://notifications.test"),
]
CSRF_SEED = "graine-csrf-de-test"


def csrf_for(seed: str = CSRF_SEED) -> str:
    return hmac.new(SECRET.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


def session_for(role: Role) -> str:
    if role in ("councillor", "coordinator"):
        return new_session(SECRET, subject=str(MEMBER_ID), role=role, council_id=COUNCIL_ID)
    return new_session(SECRET, subject=str(STAFF_ID), role=role)


def build_site(
    tmp_path: Path,
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    *,
    smtp_port: int = 9,
    public_base_url: str = "http://127.0.0.1:8000",
) -> FastAPI:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("service arrêté", request=request)

    return create_site(
        load_territory(default_territory_path()),
        ENDPOINTS,
        tmp_path / "mail",
        auth_secret=SECRET,
        data_dir=tmp_path,
        smtp_port=smtp_port,
        public_base_url=public_base_url,
        http_transport=httpx.MockTransport(handler or unreachable),
        kafka_bootstrap="127.0.0.1:9",  # no broker: the operator pages say so
    )
