"""Every route an app serves, as (method, path) pairs, walking included routers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI


def _walk(routes: Iterable[Any], prefix: str) -> Iterator[tuple[str, str, Any]]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI >= 0.16x keeps included routers as such
            context = route.include_context
            yield from _walk(route.original_router.routes, prefix + (context.prefix or ""))
        elif hasattr(route, "routes") and not hasattr(route, "methods"):  # a Mount
            yield from _walk(route.routes, prefix + getattr(route, "path", ""))
        else:
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                if method != "HEAD":
                    yield method, prefix + route.path, route


def all_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    found = {(method, path): route for method, path, route in _walk(app.routes, "")}
    return [
        (method, path, found[(method, path)]) for method, path in sorted(found, key=lambda k: (k[1], k[0]))
    ]
