"""Pure parts of ``conseils ops`` (no broker): topic names, lag, replay headers, trace selection."""

from __future__ import annotations

import pytest

from conseils_runtime import flows
from conseils_runtime.flows import TraceEntry


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("meetings.instances", "pc.meetings.instances.dlq"),
        ("meetings.instances.dlq", "pc.meetings.instances.dlq"),
        ("pc.meetings.instances", "pc.meetings.instances.dlq"),
        ("pc.meetings.instances.dlq", "pc.meetings.instances.dlq"),
        (" alerts.staff ", "pc.alerts.staff.dlq"),
        ("other.topic", "other.topic.dlq"),
    ],
)
def test_resolve_dlq_topic_accepts_base_physical_and_dlq_names(name: str, expected: str) -> None:
    assert flows.resolve_dlq_topic("pc", name) == expected


def test_territory_topics_pair_each_topic_with_its_dead_letters() -> None:
    topics = flows.territory_topics("pc")
    assert topics[:2] == ["pc.registry.councils", "pc.registry.councils.dlq"]
    assert len(topics) == 20  # + meetings.voice and its dead letters (issue 20)
    assert all(t.startswith("pc.") for t in topics)
    assert flows.territory_topics("pc", dead_letters=False)[-1] == "pc.meetings.voice"
    with pytest.raises(ValueError, match="invalid territory"):
        flows.territory_topics("Plaine Commune")


@pytest.mark.parametrize(
    ("committed", "beginning", "end", "lag"),
    [
        (None, 0, 5, 5),  # never committed: starts from the earliest message
        (-1, 2, 5, 3),
        (3, 0, 5, 2),
        (5, 0, 5, 0),
        (1, 4, 9, 5),  # committed offset deleted by retention
        (7, 0, 5, 0),  # never negative
    ],
)
def test_partition_lag(committed: int | None, beginning: int, end: int, lag: int) -> None:
    assert flows.partition_lag(committed, beginning, end) == lag


def test_replay_headers_keep_cloudevents_drop_dlq_and_say_where_from() -> None:
    headers = [
        ("ce_id", b"e-1"),
        ("ce_type", b"fr.conseils.meetings.instance.scheduled.v1"),
        ("content-type", b"application/json"),
        ("dlq_origin_topic", b"pc.meetings.instances"),
        ("dlq_error", b"boom"),
        ("DLQ_attempts", b"3"),
        ("dlq_replayed_from", b"pc.meetings.instances.dlq:0:0"),  # an earlier replay that failed again
    ]
    assert flows.replay_headers(headers, "pc.meetings.instances.dlq", 2, 7) == [
        ("ce_id", b"e-1"),
        ("ce_type", b"fr.conseils.meetings.instance.scheduled.v1"),
        ("content-type", b"application/json"),
        ("dlq_replayed_from", b"pc.meetings.instances.dlq:2:7"),
    ]


def test_decode_headers_tolerates_missing_and_invalid_values() -> None:
    assert flows.decode_headers([("a", b"x"), ("b", None), ("c", b"\xff")]) == {
        "a": "x",
        "b": "",
        "c": "\ufffd",
    }
    assert flows.decode_headers(None) == {}


def entry(
    offset: int, time: str, *, key: str, correlation: str, topic: str = "pc.meetings.instances"
) -> TraceEntry:
    return TraceEntry(
        time=time,
        topic=topic,
        partition=0,
        offset=offset,
        ce_type="t",
        ce_id=f"e{offset}",
        key=key,
        subject=key,
        correlation_id=correlation,
        source="/s",
        kafka_time=None,
    )


def test_select_chain_follows_correlation_ids_and_orders_by_event_time() -> None:
    scheduled = entry(0, "2026-03-01T10:00:00Z", key="i1", correlation="c1")
    registered = entry(1, "2026-03-02T10:00:00Z", key="i1", correlation="c2")
    delivery = entry(
        2, "2026-03-01T10:00:05+00:00", key="m1", correlation="c1", topic="pc.notifications.deliveries"
    )
    unrelated = entry(3, "2026-03-01T09:00:00Z", key="i2", correlation="c3")
    everything = [registered, delivery, unrelated, scheduled]

    assert flows.select_chain(everything, "i1") == [scheduled, delivery, registered]
    assert flows.select_chain(everything, "c1") == [scheduled, delivery]
    assert flows.select_chain(everything, "m1") == [scheduled, delivery]
    assert flows.select_chain(everything, "nobody") == []
