"""What a poll costs besides its records' work: FastStream's parser sees only the ends of the poll
(the consumer reads every record itself), and the metrics of a poll are counted per kind, with
the same totals as one increment per record."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser
from faststream.message import StreamMessage
from prometheus_client import REGISTRY

from conseils_runtime.consumer import _parse_batch
from conseils_schemas import CouncilRegistered, MemberContactCard
from tests.runtime.test_batch_consumer import Bench, bench, record

__all__ = ["bench"]  # the fixture, used by name below


async def test_the_batch_parser_hands_only_the_first_and_last_records_to_faststream() -> None:
    records = tuple(
        record(offset, f"c{offset}", headers=[("ce_id", b"\xff")] if offset == 2 else None)
        for offset in range(5)
    )
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    seen: list[tuple[ConsumerRecord[Any, Any], ...]] = []

    async def default(polled: tuple[ConsumerRecord[Any, Any], ...]) -> StreamMessage[Any]:
        seen.append(polled)
        return await parser.parse_batch(polled)

    message = await _parse_batch(records, default)

    assert message.raw_message is records  # the consumer gets every record, headers and all
    [given] = seen
    assert [r.offset for r in given] == [0, 4]
    assert all(r.headers == () for r in given)
    assert message.message_id == f"0-4-{records[0].timestamp}"
    one = (records[3],)
    assert (await _parse_batch(one, parser.parse_batch)).raw_message is one


def _count(name: str, event_type: str, outcome: str) -> float:
    labels = {"consumer": name, "event_type": event_type, "outcome": outcome}
    return REGISTRY.get_sample_value("conseils_events_consumed_total", labels) or 0.0


async def test_a_poll_counts_each_outcome_once_per_record(bench: Bench) -> None:
    council_type = CouncilRegistered.event_type
    other_type = MemberContactCard.event_type  # not handled by this consumer: ignored
    before = {outcome: _count("batch", council_type, outcome) for outcome in ("processed", "duplicate")}
    ignored_before = _count("batch", other_type, "ignored")

    await bench.poll(
        record(0, "a", event_id="same"),
        record(1, "b"),
        record(2, "a again", event_id="same"),
        record(3, "c"),
        record(4, "x", ce_type=other_type),
    )

    assert _count("batch", council_type, "processed") - before["processed"] == 3
    assert _count("batch", council_type, "duplicate") - before["duplicate"] == 1
    assert _count("batch", other_type, "ignored") - ignored_before == 1
    assert sorted(bench.calls) == ["a", "b", "c"]
