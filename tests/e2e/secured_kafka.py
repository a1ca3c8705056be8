"""A secured broker for the tests that run the platform (issue 15): SASL/SCRAM-SHA-512 and ACLs, one
principal per service, exactly as `conseils up` and docker-compose run it, so that a service that
lacks a grant fails here and not in production.

`CONSEILS_TEST_KAFKA_SECURE_STATE_DIR` names the state dir of a running secured broker
(`conseils kafka start --secure --state-dir DIR`), else the session starts one of its own in a
temporary state dir and stops it at the end. The shared plaintext broker of the rest of the suite
(`KAFKA_BOOTSTRAP_SERVERS`) is never used here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conseils_cli.kafka import launcher
from conseils_cli.kafka.grants import ADMIN, OPS, SERVICE_GRANTS
from conseils_runtime.kafka_security import KafkaSecurity

ENV_STATE_DIR = "CONSEILS_TEST_KAFKA_SECURE_STATE_DIR"


@dataclass(frozen=True)
class SecuredKafka:
    bootstrap: str
    state_dir: Path

    def security(self, principal: str) -> KafkaSecurity:
        return launcher.credentials(self.state_dir, principal)

    @property
    def ops(self) -> KafkaSecurity:
        """The operator's principal: reads every topic and group, may republish (the test's own reads)."""
        return self.security(OPS)

    def services(self) -> dict[str, KafkaSecurity]:
        return {name: self.security(name) for name in SERVICE_GRANTS}

    def grant(self, territory: str) -> None:
        """The territory's topics and ACLs (the services may not create topics on a secured broker)."""
        partitions = int(os.environ.get("CONSEILS_TOPIC_PARTITIONS", "2"))
        launcher.grant(self.state_dir, [territory], partitions=partitions)

    async def delete_topics(self, territory: str) -> None:
        """Drop the territory's topics as ``admin`` (best effort: the broker's memory, not a check)."""
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap,
            request_timeout_ms=10000,
            **self.security(ADMIN).aiokafka_kwargs(),
        )
        with contextlib.suppress(Exception):
            await admin.start()
            try:
                topics = [name for name in await admin.list_topics() if name.startswith(f"{territory}.")]
                if topics:
                    await admin.delete_topics(topics)
            finally:
                await admin.close()


def _running(state_dir: Path) -> SecuredKafka:
    record = launcher.read_record(state_dir.resolve())
    if record is None or not record.secure:
        pytest.fail(
            f"{ENV_STATE_DIR}={state_dir}: no secured broker runs there (conseils kafka start --secure)"
        )
    return SecuredKafka(record.bootstrap, state_dir.resolve())


_SHARED: list[SecuredKafka] = []


@contextlib.contextmanager
def secured_kafka_session() -> Iterator[SecuredKafka]:
    """The secured broker of this test process: the configured one, else one started here and shared
    by every directory's session fixture (tests/e2e, tests/security). Pytest finalises session
    fixtures in the reverse order of their set-up, so the one that started it stops it, last."""
    configured = os.environ.get(ENV_STATE_DIR, "").strip()
    if configured:
        yield _running(Path(configured))
        return
    if _SHARED:
        yield _SHARED[0]
        return
    with _own_broker() as kafka:
        _SHARED.append(kafka)
        try:
            yield kafka
        finally:
            _SHARED.clear()


@contextlib.contextmanager
def _own_broker() -> Iterator[SecuredKafka]:
    # Not under pytest's basetemp: other pytest runs on the machine prune old basetemps.
    state_dir = Path(tempfile.mkdtemp(prefix="conseils-e2e-kafka-"))
    try:
        # Only while starting it: the rest of the session keeps the suite's own environment.
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)  # our own broker, never the shared one
            patch.setenv("CONSEILS_KAFKA_HEAP", os.environ.get("CONSEILS_KAFKA_HEAP", "768m"))
            info = launcher.start(state_dir, timeout=120, secure=True)
        yield SecuredKafka(info.bootstrap, state_dir)
    finally:
        launcher.stop(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


def current_secured() -> SecuredKafka | None:
    """The secured broker this test process uses, if any (configured or started by a fixture)."""
    configured = os.environ.get(ENV_STATE_DIR, "").strip()
    if configured:
        return _running(Path(configured))
    return _SHARED[0] if _SHARED else None


def platform_security(bootstrap: str) -> dict[str, KafkaSecurity]:
    """Each service's principal (and the site's, `ops`) when ``bootstrap`` is the secured broker:
    a platform started on it runs exactly as `conseils up` runs it; {} on a plaintext broker."""
    kafka = current_secured()
    if kafka is None or kafka.bootstrap != bootstrap:
        return {}
    return {**kafka.services(), "site": kafka.ops}


def secured_kafka_fixture() -> Iterator[SecuredKafka]:
    """The body of the session fixture ``secured_kafka`` (tests/e2e and tests/security conftests)."""
    from tests.conftest import IN_CI

    if os.environ.get("CONSEILS_UNIT") and not IN_CI:
        pytest.skip("`make unit` runs without Kafka (make test runs this test)")
    with secured_kafka_session() as kafka:
        yield kafka


@contextlib.asynccontextmanager
async def granted_territory(kafka: SecuredKafka) -> AsyncIterator[str]:
    """A territory of its own with its topics and ACLs, its topics dropped at the end."""
    slug = f"t{uuid.uuid4().hex[:12]}"
    kafka.grant(slug)
    try:
        yield slug
    finally:
        await kafka.delete_topics(slug)
