"""The minimal consumer printed in docs/integrators.md runs as written, on the real broker."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

import conseils_schemas as cs
from tests.examples.kafka_probe import wait_until_committed
from tests.support.factories import instance_scheduled

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"
MARKER = "<!-- integrators-snippet:"


def snippet(marker: str = MARKER) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(re.escape(marker) + r".*?-->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, f"no python block after {marker!r} in {GUIDE}"
    return match.group(1)


def test_guide_links_the_catalogue_the_asyncapi_documents_and_the_example() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for target in ("events/catalogue.md", "../examples/open_data_agenda/", "../schemas/README.md"):
        assert f"]({target}" in text
        assert (GUIDE.parent / target.split("#")[0]).exists(), target
    for service in ("registry", "meetings", "notifications"):
        assert f"](asyncapi/{service}.json)" in text


@pytest.mark.kafka
async def test_minimal_consumer_snippet_runs(
    kafka_bootstrap: str, territory: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("CONSEILS_TERRITORY", territory)
    namespace: dict[str, Any] = {"__name__": "my_app"}
    exec(compile(snippet(), str(GUIDE), "exec"), namespace)  # noqa: S102 (our own documentation)

    starts = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
    event = instance_scheduled(starts_at=starts)
    meta = cs.EventMetadata.for_event(event, source=cs.source_for(territory, "meetings"))
    unknown = cs.EventMetadata(source=meta.source, type="fr.conseils.meetings.instance.renamed.v9")
    topic = cs.topic_name(territory, cs.MEETINGS_INSTANCES)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    app = namespace["app"]
    try:
        key = event.partition_key().encode()
        await producer.send_and_wait(topic, b"{}", key=key, headers=cs.to_kafka_headers(unknown))
        for _ in range(2):  # the same event delivered twice
            await producer.send_and_wait(
                topic, event.to_json_bytes(), key=key, headers=cs.to_kafka_headers(meta)
            )
        await app.start()
        await wait_until_committed(producer, kafka_bootstrap, topic, f"{territory}.my-app")
    finally:
        await app.stop()
        await producer.stop()
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if "COPIL" in line]
    assert lines == [f"[{meta.correlationid}] COPIL du contrat de ville le 10/03 à 18:30"], printed
    assert namespace["processed"] == {meta.id}


def test_time_zone_snippet_shows_local_times_and_needs_no_state() -> None:
    namespace: dict[str, Any] = {"__name__": "guide_times"}
    exec(compile(snippet("<!-- integrators-snippet-times:"), str(GUIDE), "exec"), namespace)  # noqa: S102
    describe = namespace["describe"]
    starts = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)  # 18:30 in Paris (winter time)
    instance_id = uuid.uuid4()
    scheduled = instance_scheduled(
        instance_id=instance_id, starts_at=starts, location="Hôtel de territoire", timezone="Europe/Paris"
    )
    meta = cs.EventMetadata.for_event(
        scheduled, source="/conseils/t/meetings", time=datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    )
    text = describe(cs.to_kafka_headers(meta), scheduled.model_dump_json().encode())
    assert text == "COPIL du contrat de ville : 10/03/2026 18:30 (publié 01/02 09:00)"
    cancelled = cs.InstanceCancelled(
        instance_id=instance_id, reason="salle indisponible", sequence=2, title="COPIL du contrat de ville"
    )
    meta = cs.EventMetadata.for_event(cancelled, source="/conseils/t/meetings")
    text = describe(cs.to_kafka_headers(meta), cancelled.model_dump_json().encode())
    assert text == "COPIL du contrat de ville : annulée (salle indisponible)"


def test_topic_table_lists_every_topic_constant() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for base in cs.ALL_TOPICS:
        assert f"| `{base}` |" in text, base
    for name in ("REGISTRY_COUNCILS", "STAFF_ALERTS", "MEETINGS_OUTCOMES", "REGISTRY_DIRECTORY"):
        assert f"`cs.{name}`" in text
