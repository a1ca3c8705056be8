"""The site learns from the registry that a member was erased or left, and ends her sessions.

It reads `registry.members` in its own consumer group (`<territory>.<principal>.site-sessions`,
the site's Kafka principal being `ops` on a secured broker, whose ACLs let it read every topic and
commit in its own groups; the SASL settings are the site's `CONSEILS_KAFKA_*`): on
`MemberErased` or `MemberLeft` (identified by the `ce_type` header, the record key is the member
id) every session of that member begun before the event ends (`SessionStore.end_sessions`, with
the record's time as the cut-off, so reading an event twice changes nothing). Erasures may come
from the registry's API or the CLI, not only from the site, which is why the site listens to the
registry's fact rather than ending sessions where it asks for an erasure. The offsets are
committed after the cut-offs are written: a restart reads again what was not applied.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from conseils_runtime.kafka_security import aiokafka_kwargs, from_env
from conseils_runtime.logs import get_logger
from conseils_schemas.events import MemberErased, MemberLeft
from conseils_schemas.topics import REGISTRY_MEMBERS, topic_name
from conseils_web.background import BackgroundReader
from conseils_web.signin import SESSION_TTL_SECONDS, SessionStore

log = get_logger(__name__)
ENDING_TYPES = frozenset({MemberErased.event_type, MemberLeft.event_type})


class SessionEndings(BackgroundReader):
    task_name = "site-session-endings"

    def __init__(
        self, bootstrap: str, territory: str, sessions: SessionStore, *, retry_seconds: float = 5.0
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic_name(territory, REGISTRY_MEMBERS)
        principal = from_env().sasl_username or "ops"
        self.group = f"{territory}.{principal}.site-sessions"
        self.sessions = sessions
        self.retry_seconds = retry_seconds

    async def run(self) -> None:
        """Reads for ever; a broker that cannot be reached is tried again every few seconds."""
        while True:
            consumer = AIOKafkaConsumer(
                self.topic,
                bootstrap_servers=self.bootstrap,
                group_id=self.group,
                client_id="conseils-site",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                request_timeout_ms=15000,
                **aiokafka_kwargs(),
            )
            try:
                await consumer.start()
                await self._consume(consumer)
            except (KafkaError, OSError) as error:
                log.warning("session endings: broker unreachable", error=type(error).__name__)
            finally:
                with contextlib.suppress(KafkaError, OSError):
                    await consumer.stop()
            await asyncio.sleep(self.retry_seconds)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            for records in batches.values():
                for record in records:
                    await self.apply(record.headers, record.key, record.timestamp / 1000)
            if batches:
                await consumer.commit()

    async def apply(self, headers: object, key: bytes | None, at: float, *, now: float | None = None) -> bool:
        """End the member's sessions if the record says she was erased or left (True then)."""
        names = dict(headers) if isinstance(headers, list | tuple) else {}
        kind = names.get("ce_type")
        if not isinstance(kind, bytes) or kind.decode() not in ENDING_TYPES or not key:
            return False
        if now is not None and at < now - SESSION_TTL_SECONDS:
            return False  # no session begun before it can still be alive
        await self.sessions.end_sessions(key.decode(), before=at)
        return True
