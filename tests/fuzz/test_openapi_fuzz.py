"""schemathesis against each service's own OpenAPI document: generated
requests (valid and invalid) never cause a server error, and every response
matches the schema the service publishes.

Each service runs in this process (uvicorn in a thread, its lifespan started:
SQLite, the real broker) and is called as staff, so requests reach the
handlers instead of stopping at authentication."""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from conseils_runtime.auth import issue_token
from conseils_web.mailbox import _free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SECRET = "fuzzing-secret"  # noqa: S105 - a test-only signing key
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


class RunningService:
    def __init__(self, service: str, kafka: str, territory: str, data_dir: Path) -> None:
        settings_module = importlib.import_module(f"conseils_{service}.settings")
        settings_class = getattr(settings_module, f"{service.capitalize()}Settings")
        values: dict[str, Any] = {
            "territory": territory,
            "kafka_bootstrap_servers": kafka,
            "database_url": f"sqlite+aiosqlite:///{data_dir / service}.db",
            "data_dir": data_dir,
            "auth_secret": SECRET,
            "log_level": "WARNING",
        }
        if service == "meetings":
            values["documents_dir"] = data_dir / "documents"
        self.app = importlib.import_module(f"conseils_{service}.app").create_app(settings_class(**values))
        self.port = _free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> RunningService:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("service did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def staff_headers() -> dict[str, str]:
    token = issue_token(
        SECRET, subject="fuzz-staff", role="staff", audience=("registry", "meetings", "notifications")
    )
    return {"Authorization": f"Bearer {token}"}


def _service_fixture(service: str) -> Any:
    @pytest.fixture(scope="module")
    def running(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
        territory = f"fuzz-{service}-{int(time.time() * 1000) % 10**8}"
        with RunningService(service, kafka_bootstrap, territory, tmp_path_factory.mktemp(service)) as running:
            yield running

    return running


registry_service = _service_fixture("registry")
meetings_service = _service_fixture("meetings")
notifications_service = _service_fixture("notifications")


FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def fuzz(running: RunningService) -> list[str]:
    """Every operation of the service's own OpenAPI document; returns the failures."""
    schema = schemathesis.openapi.from_dict(running.app.openapi())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(base_url=running.base_url, headers=staff_headers(), checks=CHECKS)

        try:
            check()
        except Exception as error:  # collect every operation's failure, not only the first
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert operations > 5, "the service documents its operations"
    return failures


def test_registry_api(registry_service: RunningService) -> None:
    assert fuzz(registry_service) == []


def test_meetings_api(meetings_service: RunningService) -> None:
    assert fuzz(meetings_service) == []


def test_notifications_api(notifications_service: RunningService) -> None:
    assert fuzz(notifications_service) == []
