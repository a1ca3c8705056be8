"""A dead letter cut to fit in a broker record is shown as such and never replayed (its value
is not the original event any more)."""

from __future__ import annotations

from conseils_runtime.flows.dead_letters import DeadLetter, _skip_reason
from conseils_schemas.topics import DLQ_ORIGIN_TOPIC, DLQ_TRUNCATED


def test_a_truncated_letter_is_never_replayed() -> None:
    dlq, origin = "t.meetings.instances.dlq", "t.meetings.instances"
    assert _skip_reason("t", dlq, origin) is None
    reason = _skip_reason("t", dlq, origin, truncated=True)
    assert reason is not None
    assert "tronquée" in reason


def test_a_truncated_letter_says_so() -> None:
    letter = DeadLetter("t.x.dlq", 0, 3, None, None, {DLQ_ORIGIN_TOPIC: "t.x", DLQ_TRUNCATED: "true"})
    assert letter.truncated
    assert not DeadLetter("t.x.dlq", 0, 4, None, None, {DLQ_ORIGIN_TOPIC: "t.x"}).truncated
