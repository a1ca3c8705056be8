"""Rebuilding the meetings read model from a year of events, as ``conseils bilan --replay`` does.

Parent (``replay_year``): generates the dataset, seeds a meetings database with it (the
reference figures), publishes its events on a fresh territory's topics (raw producer, in
bulk, not timed), then runs two child processes, each with its own peak RSS:

- ``rebuild``: ``replay.read_log`` + ``replay.rebuild`` into a scratch SQLite database, then
  the year's bilan — the steps of ``conseils_meetings.cli.load_bilans`` with ``--replay``;
- ``raw``: a bare aiokafka consumer reading the same topics from offset 0 (JSON parsed).

The rebuilt database must hold the seeded one's rows and give its bilan totals.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from conseils_cli.bench.dataset import Dataset, Scale, generate, write_territory_file
from conseils_cli.bench.replay_events import publish, year_of_events
from conseils_cli.bench.results import Result
from conseils_cli.bench.seeders import Databases, seed_meetings
from conseils_cli.bench.throughput import peak_rss_mib

GOAL_SECONDS = 120.0
# Not "bench…": a bench run deletes at its end every "bench…" topic created while it ran, and on a
# shared broker that would take this scenario's log away from under it; it deletes its own topics.
REPLAY_PREFIX = "banc-rejeu"
COUNTED = ("councils", "members", "referent_terms", "instances", "instance_councils", "registrations")
TOTALS = ("instances_concerned", "instances_held", "registered", "registered_participants", "present")


class ReplayMismatch(AssertionError):
    """The rebuilt read model does not hold what the seeded database holds."""


async def read_model_figures(url: str, territory_file: Path, period: tuple[date, date]) -> dict[str, Any]:
    """Row counts of the read model and the totals of the period's bilan."""
    from conseils_meetings import reports, tables
    from conseils_runtime import Database
    from conseils_runtime.territory import load_territory

    database = Database(url)
    try:
        async with database.sessionmaker() as session:
            counts = {
                name: int(
                    await session.scalar(select(func.count()).select_from(tables.metadata.tables[name])) or 0
                )
                for name in COUNTED
            }
            for name, column in (("instances", "status"), ("registrations", "status")):
                table = tables.metadata.tables[name]
                for value, count in await session.execute(
                    select(table.c[column], func.count()).group_by(table.c[column])
                ):
                    counts[f"{name}_{value}"] = int(count)
            counts["attendance"] = int(
                await session.scalar(select(func.count()).select_from(tables.attendance)) or 0
            )
            started = time.perf_counter()
            bilan = await reports.load_bilan(session, load_territory(territory_file), *period)
            bilan_seconds = time.perf_counter() - started
    finally:
        await database.dispose()
    totals = {name: getattr(bilan.total, name) for name in TOTALS}
    totals["instances_cancelled"] = bilan.instances_cancelled
    return {"counts": counts, "totals": totals, "bilan_seconds": bilan_seconds}


async def _rebuild(
    bootstrap: str, territory_file: str, url: str, period: tuple[date, date]
) -> dict[str, Any]:
    """What ``conseils bilan --replay`` runs, timed step by step, then the figures."""
    from conseils_meetings.replay import read_log, rebuild
    from conseils_meetings.tables import metadata
    from conseils_runtime import Database
    from conseils_runtime.territory import load_territory

    territory = load_territory(Path(territory_file))
    cpu = time.process_time()
    started = time.perf_counter()
    database = Database(url)
    try:
        await database.create_all(metadata)
        events = await read_log(bootstrap, territory.territory.slug)
        read_at = time.perf_counter()
        applied = await rebuild(database, territory, events)
        done = time.perf_counter()
    finally:
        await database.dispose()
    cpu = time.process_time() - cpu
    del events
    figures = await read_model_figures(url, Path(territory_file), period)
    return {
        "events": applied,
        "seconds": done - started,
        "read_seconds": read_at - started,
        "apply_seconds": done - read_at,
        "cpu_seconds": cpu,
        "peak_rss_mib": peak_rss_mib(),
        **figures,
    }


async def _raw(bootstrap: str, territory: str) -> dict[str, Any]:
    """Every record of the replayed topics from offset 0, JSON parsed: the bare library."""
    from aiokafka import AIOKafkaConsumer

    from conseils_meetings.replay import replayed_partitions
    from conseils_runtime.kafka_security import aiokafka_kwargs

    started = time.perf_counter()
    partitions = await replayed_partitions(bootstrap, territory)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **aiokafka_kwargs(),
    )
    await consumer.start()
    received = 0
    try:
        consumer.assign(partitions)  # the steps of replay.read_log, without its parsing and sort
        await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    json.loads(record.value)
                    received += 1
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    seconds = time.perf_counter() - started
    return {
        "events": received,
        "seconds": seconds,
        "per_second": received / seconds,
        "peak_rss_mib": peak_rss_mib(),
    }


async def _child(*args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conseils_cli.bench.replay",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        text = stderr.decode()
        shown = text if len(text) <= 6000 else f"{text[:3000]}\n…\n{text[-3000:]}"
        raise RuntimeError(f"replay {args[0]} failed ({process.returncode}): {shown}")
    answer: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return answer


def compare(seeded: dict[str, Any], rebuilt: dict[str, Any]) -> None:
    """The rebuilt rows and bilan totals are the seeded ones (else ``ReplayMismatch``)."""
    differences = [
        f"{kind}.{name}: seeded {value}, rebuilt {rebuilt[kind].get(name)}"
        for kind in ("counts", "totals")
        for name, value in sorted(seeded[kind].items())
        if rebuilt[kind].get(name) != value
    ]
    if differences:
        raise ReplayMismatch("; ".join(differences))


async def prepare(
    bootstrap: str, databases: Databases, work_dir: Path, scale: Scale, prefix: str = REPLAY_PREFIX
) -> tuple[Dataset, Path, dict[str, Any], int]:
    """The dataset, its territory file, the seeded database's figures, the events published."""
    from conseils_runtime.topics import ensure_topics

    data = generate(scale, slug=f"{prefix}-{uuid.uuid4().hex[:6]}")
    territory_file = write_territory_file(data, work_dir / f"{data.slug}.yaml")
    seeded_url = await databases.url(f"{data.slug}-meetings")
    await seed_meetings(seeded_url, data)
    seeded = await read_model_figures(seeded_url, territory_file, (data.year_from, data.year_to))
    await ensure_topics(bootstrap, data.slug)
    published = await publish(bootstrap, data.slug, year_of_events(data))
    return data, territory_file, seeded, published


async def replay_year(
    bootstrap: str, databases: Databases, work_dir: Path, scale: Scale, prefix: str = REPLAY_PREFIX
) -> Result:
    """The ``replay_year_sqlite`` row: events/s of the rebuild beside the raw consumer's records/s.
    The territory's topics are deleted afterwards (``prefix``: the start of their names)."""
    from conseils_cli.bench.kafka_tools import delete_topics, list_topics

    before = await list_topics(bootstrap)
    try:
        data, territory_file, seeded, published = await prepare(bootstrap, databases, work_dir, scale, prefix)
        with tempfile.TemporaryDirectory(prefix="conseils-replay-", dir=work_dir) as scratch:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'replay.db'}"
            period = [data.year_from.isoformat(), data.year_to.isoformat()]
            ours = await _child("rebuild", bootstrap, str(territory_file), url, *period)
        raw = await _child("raw", bootstrap, data.slug)
    finally:
        await delete_topics(
            bootstrap, {n for n in await list_topics(bootstrap) - before if n.startswith(prefix)}
        )
    compare(seeded, ours)
    # The goal is a national year: at a smaller scale, the rate it needs (events grow with the scale).
    national_events = round(published * Scale.national().registrations / max(1, scale.registrations))
    return Result(
        scenario="replay_year_sqlite",
        value=round(ours["events"] / ours["seconds"], 1),
        unit="events/s",
        baseline=round(raw["per_second"], 1),
        baseline_label="consommateur aiokafka brut, mêmes topics depuis l'offset 0",
        details={
            "events": ours["events"],
            "published": published,
            "instances": len(data.instances),
            "registrations": len(data.registrations),
            "seconds": round(ours["seconds"], 2),
            "read_seconds": round(ours["read_seconds"], 2),
            "apply_seconds": round(ours["apply_seconds"], 2),
            "cpu_seconds": round(ours["cpu_seconds"], 2),
            "bilan_seconds": round(ours["bilan_seconds"], 3),
            "goal_seconds": GOAL_SECONDS,
            "national_events": national_events,
            "national_seconds_estimate": round(national_events * ours["seconds"] / ours["events"], 1),
            "peak_rss_mib": round(ours["peak_rss_mib"], 1),
            "raw_seconds": round(raw["seconds"], 2),
            "raw_peak_rss_mib": round(raw["peak_rss_mib"], 1),
            "same_figures": True,
        },
        target=round(national_events / GOAL_SECONDS, 1),
        target_label=f"une année nationale (≈ {national_events} événements) en moins de {GOAL_SECONDS:g} s",
    )


def main(argv: list[str]) -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    mode = argv[0]
    if mode == "rebuild":
        bootstrap, territory_file, url, period_from, period_to = argv[1:6]
        period = (date.fromisoformat(period_from), date.fromisoformat(period_to))
        answer = asyncio.run(_rebuild(bootstrap, territory_file, url, period))
    elif mode == "raw":
        answer = asyncio.run(_raw(*argv[1:3]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1:])
