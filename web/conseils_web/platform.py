"""`conseils up`: the whole platform in one process, for a newcomer's machine.

Starts the mail catcher, seeds the territory into the registry, then serves
the three services (each with its own SQLite file) and the site, until
Ctrl-C; everything stops cleanly and in order.

On a secured broker (``kafka_security``) each service is its own Kafka principal, under its own
ACLs, as in a deployment; the site (its session endings, the operator's flow pages) reads
``CONSEILS_KAFKA_*`` from the process environment, set to its principal while the platform runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import secrets
import signal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from sqlalchemy import func, select

from conseils_runtime.kafka_security import ENV_CAFILE, KafkaSecurity
from conseils_runtime.territory import TerritoryConfig
from conseils_web.demo_year_file import record_demo_year
from conseils_web.mailbox import MailCatcher
from conseils_web.site import ServiceEndpoint, create_site

SERVICE_PORTS = {"registry": 8101, "meetings": 8102, "notifications": 8103}
SERVICE_LABELS = {
    "registry": "Registre (conseils, membres, référents)",
    "meetings": "Instances (calendrier, dossiers, inscriptions, bilan)",
    "notifications": "Notifications (courriels, rappels, agendas)",
}


class _Server(uvicorn.Server):
    """Several servers share one loop: signals are handled once, by the platform."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


@dataclass
class PlatformOptions:
    territory: TerritoryConfig
    territory_file: Path
    kafka_bootstrap: str
    data_dir: Path
    host: str = "127.0.0.1"
    site_port: int = 8000
    smtp_port: int = 0
    auth_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    log_level: str = "WARNING"
    service_ports: dict[str, int] = field(default_factory=lambda: dict(SERVICE_PORTS))
    public_base_url: str = ""  # default: http://<host>:<site_port>
    on_ready: Callable[[dict[str, str]], None] = field(default=lambda _urls: None)
    # Called with the services' apps before they start (tests use it to move the meetings clock).
    on_apps: Callable[[dict[str, Any]], None] = field(default=lambda _apps: None)
    stop: asyncio.Event | None = None  # set it to stop the platform (Ctrl-C and SIGTERM do too)
    # On a first run of a demo territory: members dated from the school year's start, and a
    # past year played into the empty meetings database (conseils_meetings.demo).
    demo_year: bool = False
    # Each Kafka principal's settings ("registry", "meetings", "notifications", "site"); a missing one
    # keeps the environment's CONSEILS_KAFKA_* (a plaintext broker, or an external secured one).
    kafka_security: Mapping[str, KafkaSecurity] = field(default_factory=dict)

    def site_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.site_port}").rstrip("/")


def _service_settings(name: str, options: PlatformOptions, smtp_port: int) -> Any:
    module = importlib.import_module(f"conseils_{name}.settings")
    settings_class = getattr(module, f"{name.capitalize()}Settings")
    values: dict[str, Any] = {
        "territory": options.territory.territory.slug,
        "territory_file": options.territory_file,
        "kafka_bootstrap_servers": options.kafka_bootstrap,
        "database_url": f"sqlite+aiosqlite:///{(options.data_dir / f'{name}.db').resolve()}",
        "data_dir": options.data_dir,
        "auth_secret": options.auth_secret,
        "log_level": options.log_level,
        "log_json": False,
    }
    security = options.kafka_security.get(name)
    if security is not None:
        values.update(security.settings_values())
    if name == "notifications":
        values.update(smtp_host="127.0.0.1", smtp_port=smtp_port, public_base_url=options.site_url())
    if name == "meetings":
        values.update(documents_dir=options.data_dir / "documents")
    return settings_class(**values)


async def seed(options: PlatformOptions) -> Any:
    """Seed the territory into the registry (idempotent: a second run changes nothing).

    The events wait in the registry's outbox and leave when the registry starts."""
    from conseils_runtime import ServiceRuntime
    from conseils_runtime.migrations import upgrade_to_head

    seed_module = importlib.import_module("conseils_registry.seed")
    tables = importlib.import_module("conseils_registry.tables")
    migrations = getattr(importlib.import_module("conseils_registry.app"), "MIGRATIONS", None)
    runtime = ServiceRuntime(_service_settings("registry", options, 0), tables.metadata)
    try:
        if migrations is not None:  # the same schema the service builds when it starts
            await upgrade_to_head(runtime.database, migrations, runtime.metadata)
        else:
            await runtime.database.create_all(tables.metadata)
        if _demo_year(options):
            async with runtime.database.sessionmaker() as session:
                first_run = not await session.scalar(select(func.count()).select_from(tables.councils))
            if first_run:  # the demo members joined when the demo's past year starts
                start = importlib.import_module("conseils_meetings.demo").demo_period(date.today())[0]
                service_class = importlib.import_module("conseils_registry.service").RegistryService
                when = datetime.combine(start, time(9), ZoneInfo(options.territory.territory.timezone))
                service = service_class(
                    runtime.database,
                    runtime.outbox,
                    territory=options.territory.territory.slug,
                    clock=lambda: when,
                )
                return await seed_module.seed_territory(service, options.territory)
        return await seed_module.seed_territory(runtime, options.territory)
    finally:
        await runtime.database.dispose()


def site_server_config(site: Any, host: str, port: int) -> uvicorn.Config:
    """The local platform has no reverse proxy in front of the site: never believe a client's
    X-Forwarded-For (uvicorn trusts 127.0.0.1 by default, so anyone on the machine could pick
    the address the sign-in rate limit counts)."""
    return uvicorn.Config(
        site, host=host, port=port, log_level="warning", proxy_headers=False, http="httptools"
    )


@contextlib.contextmanager
def _site_kafka_env(security: KafkaSecurity | None) -> Iterator[None]:
    """The site's principal in ``CONSEILS_KAFKA_*`` while the platform runs (the previous values after)."""
    if security is None:
        yield
        return
    values = security.env()
    names = {*values, ENV_CAFILE}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.pop(ENV_CAFILE, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _demo_year(options: PlatformOptions) -> bool:
    return options.demo_year and options.territory.demo


async def run_platform(options: PlatformOptions) -> None:
    with _site_kafka_env(options.kafka_security.get("site")):
        await _run_platform(options)


async def _run_platform(options: PlatformOptions) -> None:
    options.data_dir.mkdir(parents=True, exist_ok=True)
    catcher = MailCatcher(options.data_dir / "mail", port=options.smtp_port)
    catcher.start()
    servers: list[_Server] = []
    try:
        await seed(options)
        endpoints = []
        apps: dict[str, Any] = {}
        for name, default_port in SERVICE_PORTS.items():
            port = options.service_ports.get(name, default_port)
            app_module = importlib.import_module(f"conseils_{name}.app")
            app = apps[name] = app_module.create_app(_service_settings(name, options, catcher.port))
            config = uvicorn.Config(
                app, host=options.host, port=port, log_level="warning", lifespan="on", http="httptools"
            )
            servers.append(_Server(config))
            endpoints.append(ServiceEndpoint(name, SERVICE_LABELS[name], f"http://{options.host}:{port}"))
        options.on_apps(apps)
        site = create_site(
            options.territory,
            endpoints,
            options.data_dir / "mail",
            auth_secret=options.auth_secret,
            data_dir=options.data_dir,
            smtp_port=catcher.port,
            public_base_url=options.site_url(),
            kafka_bootstrap=options.kafka_bootstrap,
        )
        servers.append(_Server(site_server_config(site, options.host, options.site_port)))

        stop = options.stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        # One after the other: the services' start-up runs Alembic, whose context is process-global.
        tasks: list[asyncio.Task[None]] = []
        for server in servers:
            tasks.append(asyncio.create_task(server.serve()))
            while not server.started and not any(task.done() for task in tasks):
                await asyncio.sleep(0.05)
            if any(task.done() for task in tasks):
                break
        failed = [task for task in tasks if task.done()]
        if not failed and _demo_year(options):
            line = await importlib.import_module("conseils_meetings.demo").play_on_first_run(
                apps["meetings"].state.service,
                councils=len(options.territory.councils),
                members=len(options.territory.demo_members),
                referent_terms=sum(len(member.referent_for) for member in options.territory.demo_members),
                played=partial(record_demo_year, options.data_dir),
            )
            if line:
                print(line, flush=True)
        if not failed:
            urls = {endpoint.name: endpoint.url for endpoint in endpoints}
            urls["site"] = options.site_url()
            urls["smtp"] = f"127.0.0.1:{catcher.port}"
            options.on_ready(urls)
            await asyncio.wait(
                [asyncio.create_task(stop.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED
            )
        # The site first, then the services (their lifespans stop consumers and the relay).
        for server in reversed(servers):
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in failed:
            task.result()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().remove_signal_handler(signum)
        catcher.stop()
