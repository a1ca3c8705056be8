"""Issue 17 (pages at national size): no route of the services or of the site runs a plain `def`
dependency. FastAPI runs those in its thread pool, on every request: a thread hop (and the GIL
handed back and forth with the database's threads) for a function that only reads
`request.app.state`. It was the case of the service getter of each service, in every call the
site makes."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from conseils_cli.contracts import DOCUMENT_SETTINGS, SERVICES
from tests.web.helpers import build_site


def _service_app(service: str) -> FastAPI:
    app_module = importlib.import_module(f"conseils_{service}.app")
    settings_module = importlib.import_module(f"conseils_{service}.settings")
    settings_class = getattr(settings_module, f"{service.capitalize()}Settings")
    app: FastAPI = app_module.create_app(settings_class(**DOCUMENT_SETTINGS))
    return app


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (FastAPI 0.16x wraps them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _sync_calls(app: FastAPI) -> list[str]:
    found = []
    routes = list(_api_routes(app.routes))
    assert len(routes) > 5  # the walk reaches the included routers' routes
    for route in routes:
        for call in [route.endpoint, *_dependencies(route.dependant)]:
            target = call if inspect.isfunction(call) or inspect.ismethod(call) else type(call).__call__
            if not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)):
                found.append(f"{route.path}: {getattr(call, '__qualname__', call)}")
    return sorted(set(found))


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_of_a_service_runs_in_the_thread_pool(service: str) -> None:
    assert _sync_calls(_service_app(service)) == []


def test_no_page_of_the_site_runs_in_the_thread_pool(tmp_path: Path) -> None:
    assert _sync_calls(build_site(tmp_path)) == []
