"""Assembly of one service's runtime: database, broker, outbox relay,
consumers, and the FastAPI lifespan that starts and stops them in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter
from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData

from conseils_runtime.asyncapi import build_asyncapi
from conseils_runtime.auth import UnsafeSecret
from conseils_runtime.consumer import EventConsumer
from conseils_runtime.database import Database, RuntimeTables
from conseils_runtime.health import health_router
from conseils_runtime.logs import BROKER_LOGGER, configure_logging, describe_error, get_logger
from conseils_runtime.migrations import upgrade_to_head
from conseils_runtime.outbox import Outbox, OutboxRelay
from conseils_runtime.settings import ServiceSettings
from conseils_runtime.topics import ensure_topics
from conseils_schemas import Event, topic_name

log = get_logger(__name__)


class BackgroundTask(Protocol):
    """A worker that lives as long as the service (the outbox relay is one)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


def make_broker(settings: ServiceSettings) -> KafkaBroker:
    """An idempotent producer (acks=all) whose consumers commit only on demand."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"conseils-{settings.territory}-{settings.service_name}",
        enable_idempotence=True,
        acks="all",
        graceful_timeout=15.0,
        log_level=logging.DEBUG,  # FastStream logs each message at this level: keep it out of INFO
        # Its own logger writes to stdout past every handler; ours goes where the logs go (a file
        # under `conseils up`: logs.logs_to_file).
        logger=logging.getLogger(BROKER_LOGGER),
        **settings.kafka_security().faststream_kwargs(),  # SASL: CONSEILS_KAFKA_* (kafka_security.py)
    )


_LAST_STEP_SECONDS = 1.0
"""What a stop step gets when the stop's time is already spent (the database must still be disposed)."""


async def _bounded(name: str, step: Callable[[], Awaitable[None]], timeout: float) -> None:
    """Run `step` for at most `timeout` seconds, then cancel it without waiting on it for long
    (a step that swallows its cancellation must not hold the stop either)."""
    task = asyncio.ensure_future(step())
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=_LAST_STEP_SECONDS)
        log.error("stop step cancelled after its time", step=name, timeout_seconds=round(timeout, 1))
        return
    error = task.exception()
    if error is not None:
        log.warning("stop step failed", step=name, error=describe_error(error))


class ServiceRuntime:
    """Everything a service runs besides its own domain and endpoints."""

    def __init__(
        self,
        settings: ServiceSettings,
        metadata: MetaData,
        *,
        produces: Sequence[type[Event]] = (),
        version: str = "1.0.0",
        migrations: Path | None = None,
    ) -> None:
        self.settings = settings
        self.produces = list(produces)
        self.version = version
        self.migrations = migrations
        self.metadata = metadata
        self.tables = RuntimeTables.define(metadata)
        self.database = Database(settings.resolved_database_url())
        self.broker = make_broker(settings)
        self.outbox = Outbox(
            self.tables,
            territory=settings.territory,
            service_name=settings.service_name,
            declared=self.produces,
            schema_base_url=settings.schema_base_url(),
        )
        self.relay = OutboxRelay(
            self.database,
            self.tables,
            self.broker,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
        )
        self.outbox.on_commit(self.relay.wake)
        self.consumers: list[EventConsumer] = []
        self.background: list[BackgroundTask] = []
        self._started = False

    def topic(self, base: str) -> str:
        return topic_name(self.settings.territory, base)

    def consumer(self, name: str, **options: Any) -> EventConsumer:
        """A new consumer group `<territory>.<service>.<name>`; register handlers with `.on()`."""
        consumer = EventConsumer(
            name,
            group_id=self.settings.consumer_group(name),
            territory=self.settings.territory,
            database=self.database,
            tables=self.tables,
            broker=self.broker,
            outbox=self.outbox,
            max_attempts=self.settings.max_attempts,
            retry_backoff_seconds=self.settings.retry_backoff_seconds,
            commit_every_events=self.settings.commit_every_events,
            commit_interval_seconds=self.settings.commit_interval_seconds,
            **options,
        )
        self.consumers.append(consumer)
        return consumer

    def add_background(self, task: BackgroundTask) -> None:
        """Started after the broker and the relay, stopped before them."""
        self.background.append(task)

    def health_router(self) -> APIRouter:
        return health_router(self)

    def asyncapi(self) -> dict[str, Any]:
        """The AsyncAPI 3 document of this service, from its consumers and declared events."""
        return build_asyncapi(
            service_name=self.settings.service_name,
            territory=self.settings.territory,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            consumers=self.consumers,
            produces=self.produces,
            version=self.version,
        )

    async def start(self) -> None:
        configure_logging(self.settings.log_level, json=self.settings.log_json)
        try:  # before anything else: no service signs or checks tokens with a public secret
            self.settings.require_safe_secret()
        except UnsafeSecret as error:
            log.error("service refused to start", service=self.settings.service_name, reason=str(error))
            raise
        if self.settings.create_schema:
            if self.migrations is not None:
                await upgrade_to_head(self.database, self.migrations, self.metadata)
            else:
                await self.database.create_all(self.metadata)
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            self.settings.territory,
            partitions=self.settings.topic_partitions,
            settings=self.settings,
        )
        for consumer in self.consumers:
            consumer.subscribe()
        await self.broker.start()
        self.relay.start()
        for task in self.background:
            task.start()
        self._started = True
        log.info("service started", service=self.settings.service_name, territory=self.settings.territory)

    async def stop(self) -> None:
        """Stop in order (background tasks, relay, consumers' last commits, broker, database) within
        `stop_timeout_seconds` in all. With Kafka away a commit, a leave-group or a flush would wait
        on the dead broker without end: a step still running when the time is spent is cancelled
        (logged) and the next one runs, each at least `_LAST_STEP_SECONDS`; the database is always
        disposed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.stop_timeout_seconds
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            *((f"background {type(task).__name__}", task.stop) for task in reversed(self.background)),
            ("outbox relay", self.relay.stop),
            *((f"consumer {consumer.name}", consumer.close) for consumer in self.consumers),
            ("broker", self.broker.stop),
            ("database", self.database.dispose),
        ]
        for name, step in steps:
            await _bounded(name, step, max(deadline - loop.time(), _LAST_STEP_SECONDS))
        self._started = False

    @asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.database.ping(), timeout=3)
            checks["database"] = "ok"
        except Exception as error:
            checks["database"] = f"indisponible: {type(error).__name__}"
        try:
            checks["kafka"] = "ok" if await self.broker.ping(timeout=3) else "indisponible"
        except Exception as error:
            checks["kafka"] = f"indisponible: {type(error).__name__}"
        if self.relay.last_error:
            checks["outbox"] = "relais en échec"
        return checks
