"""Consumer throughput of each service, measured in a child process per service so
that its peak RSS (VmHWM) is its own; baseline: a raw aiokafka consumer (also in a
child process) reading the same records.

Parent: ``consumer_throughput(...)`` pre-produces N events on a fresh territory's
topics, then runs ``python -m conseils_cli.bench.throughput <mode> ...`` and reads
one JSON line from it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from conseils_cli.bench.dataset import Scale, generate, write_territory_file
from conseils_cli.bench.kafka_tools import count_rows, own_name, produce_events
from conseils_cli.bench.seeders import Databases

# The tables whose row count is each service's read model of MemberJoined.
READ_MODEL = {"meetings": "members", "notifications": "members"}


def peak_rss_mib(pid: int | str = "self") -> float:
    """VmHWM (peak resident set) from /proc; falls back to getrusage for this process."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def prepare_events(bootstrap: str, territory: str, count: int) -> None:
    """``count`` MemberJoined events (one per member, 50 members a council) on registry.members."""
    from conseils_runtime.topics import ensure_topics
    from conseils_schemas import MemberJoined

    await ensure_topics(bootstrap, territory)
    councils = [uuid.uuid4() for _ in range(max(1, count // 50))]
    events = [
        MemberJoined(
            member_id=uuid.uuid4(),
            council_id=councils[index % len(councils)],
            college="habitants",
            joined_on=date(2026, 1, 5),
            themes_followed=["emploi"] if index % 3 == 0 else [],
        )
        for index in range(count)
    ]
    for start in range(0, count, 5_000):
        await produce_events(bootstrap, territory, "registry", events[start : start + 5_000])


async def _run_service(
    service: str, database_url: str, territory: str, territory_file: str, count: int
) -> dict[str, Any]:
    """The real service (consumers, relay, background tasks) until its read model has ``count`` rows."""
    from conseils_runtime import Database

    common: dict[str, Any] = {
        "database_url": database_url,
        "territory": territory,
        "territory_file": Path(territory_file),
        "log_json": False,
        "log_level": "WARNING",
    }
    if service == "meetings":
        from conseils_meetings.app import create_app as meetings_app
        from conseils_meetings.settings import MeetingsSettings

        app = meetings_app(MeetingsSettings(**common))
    else:
        from conseils_notifications.app import create_app as notifications_app
        from conseils_notifications.settings import NotificationsSettings

        app = notifications_app(NotificationsSettings(scheduler_poll_seconds=3600, **common))
    probe = Database(database_url)
    started = time.perf_counter()
    first_at: float | None = None
    first_count, first_cpu, cpu = 0, 0.0, 0.0
    try:
        async with app.router.lifespan_context(app):
            table = READ_MODEL[service]
            while True:
                done = await count_rows(probe, table)
                now, cpu = time.perf_counter(), time.process_time()
                if done and first_at is None:
                    first_at, first_count, first_cpu = now, done, cpu
                if done >= count:
                    break
                if now - started > max(120, count / 20):
                    raise TimeoutError(f"{service}: {done}/{count} after {now - started:.0f} s")
                await asyncio.sleep(0.05)
    finally:
        await probe.dispose()
    assert first_at is not None
    # Sustained rate: from the first row seen to the last. When a small batch lands between
    # two polls (all rows at once), only the total time, start-up included, is measurable.
    sustained = first_count < count
    per_second = (count - first_count) / max(now - first_at, 1e-6) if sustained else count / (now - started)
    return {
        "events": count,
        "seconds_total": now - started,
        "seconds_sustained": now - first_at,
        "per_second": per_second,
        # CPU of the whole process (every thread) per event while the rows arrived: on a shared
        # machine, steadier than the rate (which also measures the other processes' load).
        "cpu_us_per_event": (cpu - first_cpu) / (count - first_count) * 1e6 if sustained else None,
        "peak_rss_mib": peak_rss_mib(),
    }


async def _run_raw(bootstrap: str, topic: str, count: int) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer

    from conseils_runtime.kafka_security import aiokafka_kwargs

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}.raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **aiokafka_kwargs(),  # the runtime's CONSEILS_KAFKA_* settings
    )
    started = time.perf_counter()
    await consumer.start()
    received = 0
    first_at: float | None = None
    first_cpu = 0.0
    try:
        while received < count:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    json.loads(record.value)  # parse like a consumer would
                    received += 1
                    if first_at is None:
                        first_at, first_cpu = time.perf_counter(), time.process_time()
            if batch:
                await consumer.commit()
            if time.perf_counter() - started > 120:
                raise TimeoutError(f"raw consumer: {received}/{count}")
    finally:
        await consumer.stop()
    now, cpu = time.perf_counter(), time.process_time()
    assert first_at is not None
    return {
        "events": count,
        "seconds_total": now - started,
        "seconds_sustained": now - first_at,
        "per_second": (count - 1) / max(now - first_at, 1e-6),
        "cpu_us_per_event": (cpu - first_cpu) / max(count - 1, 1) * 1e6,
        "peak_rss_mib": peak_rss_mib(),
    }


async def run_child(mode: str, *args: str) -> dict[str, Any]:
    """Run one measurement in a child process; returns its JSON answer."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conseils_cli.bench.throughput",
        mode,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{mode} failed ({process.returncode}): {stderr.decode()[-2000:]}")
    answer: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return answer


async def consumer_throughput(
    bootstrap: str, databases: Databases, work_dir: Path, service: str, count: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(service figures, raw aiokafka figures) for ``count`` MemberJoined events."""
    from conseils_schemas import REGISTRY_MEMBERS, topic_name

    territory = own_name(f"bench-tp-{service[:4]}-")
    data = generate(Scale(councils=2, members=2, instances=0, registrations=0, cities=1), slug=territory)
    territory_file = write_territory_file(data, work_dir / f"{territory}.yaml")
    await prepare_events(bootstrap, territory, count)
    url = await databases.url(f"{territory}-{service}")
    ours = await run_child("service", service, url, territory, str(territory_file), str(count), bootstrap)
    raw = await run_child("raw", topic_name(territory, REGISTRY_MEMBERS), str(count), bootstrap)
    return ours, raw


def main(argv: list[str]) -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    logging.getLogger("faststream").setLevel(logging.WARNING)
    mode = argv[0]
    if mode == "service":
        service, url, territory, territory_file, count, bootstrap = argv[1:7]
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        answer = asyncio.run(_run_service(service, url, territory, territory_file, int(count)))
    elif mode == "raw":
        topic, count, bootstrap = argv[1:4]
        answer = asyncio.run(_run_raw(bootstrap, topic, int(count)))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1:])
