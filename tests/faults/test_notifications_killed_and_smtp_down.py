"""The notifications service (a real `python -m conseils_notifications`
process) is SIGKILLed in the middle of its work and restarted; the SMTP server
goes down for a while and comes back on the same port.

Two guarantees, measured separately because they are not the same:

* killed while it consumes events and while SMTP is down (no message can be
  between the SMTP server's `250` and the database commit): every expected
  (event, recipient, channel) email arrives exactly once, and the backlog built
  while SMTP was down goes out when it is back;
* killed while it is sending: nothing is lost, no (event, recipient, channel)
  ever gets two delivery rows, and the only duplicates are re-sends of one
  delivery row whose SMTP `250` came before the kill and whose commit did not
  (at most `smtp_concurrency` messages per kill). This is the documented limit
  (docs/reliability.md): SMTP has no idempotency key.

Default mode (CI): SMTP down ~6 s, 2 kills each. `CONSEILS_LONG_FAULTS=1`:
SMTP down 60 s, more instances, more kills.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.faults.harness import (
    LONG,
    Publisher,
    ServiceProcess,
    Smtp,
    count_rows,
    delete_territory_topics,
    expected_keys,
    notifications_env,
    population,
    rescheduled,
    scheduled,
    tally,
    wait_for_mail,
    wait_rows,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.e2e, pytest.mark.slow]

MEMBERS = 8 if LONG else 5
INSTANCES = 24 if LONG else 6
KILLS = 4 if LONG else 2
SMTP_DOWN_SECONDS = 60.0 if LONG else 6.0
CONCURRENCY = 2


async def deliveries_where(database_url: str, condition: str) -> int:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM deliveries WHERE {condition}"))  # noqa: S608 - test constants
    finally:
        await connection.close()


async def test_killed_while_consuming_and_smtp_down_then_the_backlog_goes_out_exactly_once(
    kafka_bootstrap: str, postgres_url: str, territory: str, tmp_path: Path
) -> None:
    smtp = Smtp(tmp_path / "mail")  # its port is fixed; the server is down from the start
    env = notifications_env(kafka_bootstrap, territory, postgres_url, smtp.port)
    service = ServiceProcess("notifications", env, tmp_path)
    service.start()
    try:
        await service.wait_ready()
        people = population(MEMBERS)
        publisher = Publisher(kafka_bootstrap, territory)
        await publisher.send(people.events(territory))
        await wait_rows(postgres_url, "contacts", MEMBERS)
        await wait_rows(postgres_url, "members", MEMBERS)

        instances = [scheduled(days_ahead=30 + index) for index in range(INSTANCES)]
        await publisher.send([*instances, *(rescheduled(i, 1) for i in instances)])
        expected = expected_keys(instances, (0, 1), (email for _, email in people.members))
        rows_at_kill: list[int] = []
        for _ in range(KILLS):
            # kill as soon as the consumer has written more delivery rows: in the middle of the flow
            before = rows_at_kill[-1] if rows_at_kill else 0
            for _ in range(1000):
                if await count_rows(postgres_url, "deliveries") > before:
                    break
                await asyncio.sleep(0.01)
            service.kill()
            rows_at_kill.append(await count_rows(postgres_url, "deliveries"))
            service.start()
            await service.wait_ready()
        assert rows_at_kill[0] < len(expected), "the first kill came after all the work"
        await wait_rows(postgres_url, "deliveries", len(expected))

        # SMTP is down: the sender keeps trying, and keeps every row pending
        await asyncio.sleep(SMTP_DOWN_SECONDS)
        assert await deliveries_where(postgres_url, "attempts > 0 AND status = 'pending'") > 0
        assert await deliveries_where(postgres_url, "status IN ('sent', 'failed')") == 0
        assert tally(smtp.directory).total == 0

        smtp.start()
        result = await wait_for_mail(
            smtp.directory, len(expected), timeout=300 if LONG else 90, database_url=postgres_url
        )
        sent = await deliveries_where(postgres_url, "status = 'sent'")
    finally:
        service.stop()
        smtp.stop()
        await delete_territory_topics(kafka_bootstrap, territory)

    print(f"delivery rows when killed: {rows_at_kill} of {len(expected)}")
    assert set(result.counts) == expected, f"missing: {sorted(expected - set(result.counts))[:3]}"
    assert result.duplicates() == {}, f"sent twice: {result.duplicates()}"
    assert sent == len(expected)


async def test_killed_while_sending_loses_nothing_and_resends_only_inside_the_smtp_commit_window(
    kafka_bootstrap: str, postgres_url: str, territory: str, tmp_path: Path
) -> None:
    smtp = Smtp(tmp_path / "mail")
    smtp.start()
    env = notifications_env(
        kafka_bootstrap,
        territory,
        postgres_url,
        smtp.port,
        CONSEILS_NOTIFICATIONS_SMTP_RATE_PER_SECOND="15",  # slow enough to be killed mid-batch
        CONSEILS_NOTIFICATIONS_SMTP_CONCURRENCY=str(CONCURRENCY),
    )
    service = ServiceProcess("notifications", env, tmp_path)
    service.start()
    try:
        await service.wait_ready()
        people = population(MEMBERS)
        publisher = Publisher(kafka_bootstrap, territory)
        await publisher.send(people.events(territory))
        await wait_rows(postgres_url, "contacts", MEMBERS)
        await wait_rows(postgres_url, "members", MEMBERS)

        instances = [scheduled(days_ahead=30 + index) for index in range(INSTANCES)]
        await publisher.send([*instances, *(rescheduled(i, 1) for i in instances)])
        expected = expected_keys(instances, (0, 1), (email for _, email in people.members))
        sent_at_kill = []
        for kill in range(1, KILLS + 1):
            threshold = len(expected) * kill // (KILLS + 1)
            while tally(smtp.directory).total < threshold:
                await asyncio.sleep(0.05)
            service.kill()  # SMTP sends are in flight right now
            sent_at_kill.append(tally(smtp.directory).total)
            service.start()
            await service.wait_ready()
        result = await wait_for_mail(
            smtp.directory, len(expected), timeout=300 if LONG else 90, database_url=postgres_url
        )
        sent = await deliveries_where(postgres_url, "status = 'sent'")
        rows = await count_rows(postgres_url, "deliveries")
    finally:
        service.stop()
        smtp.stop()
        await delete_territory_topics(kafka_bootstrap, territory)

    duplicates = result.duplicates()
    print(f"mails when killed: {sent_at_kill} of {len(expected)}; re-sent in the window: {len(duplicates)}")
    assert set(result.counts) == expected, f"missing: {sorted(expected - set(result.counts))[:3]}"
    assert rows == sent == len(expected), "one delivery row per (event, recipient, channel), all sent"
    assert result.duplicates_from_distinct_deliveries() == {}, "two delivery rows sent for one email"
    # the documented window: a row whose 250 arrived but whose commit did not, re-sent once
    assert all(count == 2 for count in (result.counts[key] for key in duplicates))
    assert len(duplicates) <= KILLS * CONCURRENCY, duplicates
