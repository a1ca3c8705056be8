"""Where a webhook may be sent: the host name of its URL resolved, each address checked
against the SSRF rule of webhook_domain.py (no private, loopback or link-local address
outside a demo unless the operator allows them)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from conseils_notifications.webhook_domain import refused_address

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def destination_refusal(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> str | None:
    """Why the sender must not call `url` (SSRF: a private, loopback or link-local address
    among those its name resolves to), or None. Checked at registration and before every
    attempt (a name may be re-pointed); a proxy that filters internal addresses is the
    complement the spec recommends."""
    if allow_private:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolver(host, port)
    except OSError:
        return f"le nom {host} ne se résout pas"
    for address in addresses:
        reason = refused_address(address)
        if reason is not None:
            return f"{host} désigne une {reason} ({address}), refusée hors démonstration"
    return None if addresses else f"le nom {host} ne se résout pas"
