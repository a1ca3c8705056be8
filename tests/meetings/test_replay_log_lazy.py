"""The replay keeps the log as raw bytes and parses it a slice at a time (issue 17: the rebuild of
a national year held 150,000 parsed events at once, 422 MB of peak RSS). Same events, same order,
same count: `test_year_replay.py` checks the figures end to end on a real broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conseils_meetings import projection, replay
from conseils_runtime import Database


def _entries(count: int) -> list[tuple[datetime, int, str, bytes]]:
    start = datetime(2027, 1, 1, tzinfo=UTC)
    # written out of order: the log sorts by ce_time, then offset
    return [(start + timedelta(minutes=count - i), i, "t", f"{count - i}".encode()) for i in range(count)]


def test_the_log_parses_nothing_until_it_is_applied_then_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[bytes] = []

    def parse(_type: str, value: bytes) -> Any:
        parsed.append(value)
        if value == b"3":
            raise ValueError("not a valid body")  # dead-lettered at the time: skipped
        return value

    monkeypatch.setattr(replay, "parse_event", parse)
    log = replay.ReplayLog(_entries(5))
    assert len(log) == 5
    assert parsed == []
    slices = log.slices(size=2)
    first = next(slices)
    assert [event for _time, event in first] == [b"1", b"2"]
    assert len(parsed) == 2  # only that slice
    rest = list(slices)
    assert [[event for _time, event in part] for part in rest] == [[b"4", b"5"]]
    assert parsed == [b"1", b"2", b"3", b"4", b"5"]


async def test_rebuild_applies_the_log_slice_by_slice_in_one_transaction(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(replay, "parse_event", lambda _type, value: value)
    calls: list[list[Any]] = []

    async def apply_many(_session: Any, facts: list[Any], _territory: Any) -> None:
        calls.append([event for event, _time in facts])

    monkeypatch.setattr(projection, "apply_many", apply_many)
    monkeypatch.setattr(replay, "SLICE", 3)
    monkeypatch.setattr(replay.ReplayLog.slices, "__defaults__", (3,))
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    try:
        applied = await replay.rebuild(database, None, replay.ReplayLog(_entries(7)))  # type: ignore[arg-type]
    finally:
        await database.dispose()
    assert applied == 7
    assert [len(part) for part in calls] == [3, 3, 1]
    assert [event for part in calls for event in part] == [f"{i}".encode() for i in range(1, 8)]
