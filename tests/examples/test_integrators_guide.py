"""The minimal consumer printed in docs/integrators.md runs as written, on the real broker."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

import conseils_schemas as cs
from tests.examples.kafka_probe import wait_until_committed

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"
MARKER = "<!-- integrators-snippet:"


def snippet() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(re.escape(MARKER) + r".*?-->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, f"no python block after {MARKER!r} in {GUIDE}"
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
    event = cs.InstanceScheduled(
        instance_id=uuid.uuid4(),
        instance_type="copil",
        title="COPIL du contrat de ville",
        scope="territory",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Hôtel de territoire, Saint-Denis",
        is_political=True,
        is_evening=True,
    )
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
