"""On the real broker: the site's reader of `registry.members` ends an erased member's sessions
(and a departed one's) as soon as the registry's event is on the topic; others keep theirs."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from conseils_runtime.auth import issue_token, verify_token
from conseils_schemas.events import MemberErased, MemberJoined, MemberLeft
from conseils_schemas.topics import REGISTRY_MEMBERS, topic_name
from conseils_web.session_events import SessionEndings
from conseils_web.signin import SigninStore

pytestmark = pytest.mark.kafka
SECRET = "secret-de-test-des-sessions-assez-long"  # noqa: S105 - a test secret


def session(member: uuid.UUID) -> str:
    return issue_token(
        SECRET,
        subject=str(member),
        role="councillor",
        audience="site",
        ttl_seconds=3600,
        session_id=uuid.uuid4().hex,
    )


async def ended(store: SigninStore, cookie: str) -> bool:
    return await store.sessions.session_ended(verify_token(SECRET, cookie, audience="site"))


async def test_the_site_ends_the_sessions_of_erased_and_departed_members(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    territory = f"t-{uuid.uuid4().hex[:8]}"
    store = SigninStore.in_directory(tmp_path)
    await store.create_all()
    erased, departed, staying = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cookies = {member: session(member) for member in (erased, departed, staying)}
    endings = SessionEndings(kafka_bootstrap, territory, store.sessions, retry_seconds=0.5)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        topic = topic_name(territory, REGISTRY_MEMBERS)
        for member, kind in ((staying, MemberJoined), (erased, MemberErased), (departed, MemberLeft)):
            await producer.send_and_wait(
                topic,
                b"{}",
                key=str(member).encode(),
                headers=[("ce_type", kind.event_type.encode())],
            )
        endings.start()
        deadline = time.monotonic() + 60
        while not (await ended(store, cookies[erased]) and await ended(store, cookies[departed])):
            assert time.monotonic() < deadline, "the erasure never ended her sessions"
            await asyncio.sleep(0.2)
        assert not await ended(store, cookies[staying])
        assert not await ended(store, session(erased))  # a later session is not concerned
    finally:
        await endings.stop()
        await producer.stop()
        await store.dispose()
