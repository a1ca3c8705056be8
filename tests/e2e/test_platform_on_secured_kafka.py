"""`conseils up`'s platform on a secured broker (issue 15): each service runs as its own Kafka
principal under its least-privilege ACLs (the same principals `conseils up` gives them), and the
territory's facts still flow: the registry publishes the seeded territory, meetings and
notifications read it in their own consumer groups, and the site (the operator's principal)
reads every flow for the operator's page. A missing grant stops this test, not production."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from conseils_cli.kafka import launcher
from conseils_cli.up import platform_principals
from conseils_runtime import flows
from conseils_runtime.kafka_security import ENV_USERNAME
from conseils_runtime.territory import load_territory
from conseils_web.mailbox import _free_port
from conseils_web.platform import PlatformOptions, run_platform
from tests.browser.platform_helpers import territory_file_with_slug
from tests.e2e.secured_kafka import SecuredKafka
from tests.e2e.stack import _rows, eventually

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]


async def test_the_platform_runs_with_one_kafka_principal_per_service(
    secured_kafka: SecuredKafka, territory: str, tmp_path: Path
) -> None:
    path = territory_file_with_slug(tmp_path, territory)
    config = load_territory(path)
    record = launcher.read_record(secured_kafka.state_dir)
    assert record is not None
    principals = platform_principals(record)
    assert {name: p.sasl_username for name, p in principals.items()} == {
        "registry": "registry",
        "meetings": "meetings",
        "notifications": "notifications",
        "site": "ops",
    }
    ready: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
    apps: dict[str, Any] = {}
    stop = asyncio.Event()
    options = PlatformOptions(
        territory=config,
        territory_file=path,
        kafka_bootstrap=secured_kafka.bootstrap,
        data_dir=tmp_path / "up",
        site_port=_free_port(),
        service_ports={name: _free_port() for name in ("registry", "meetings", "notifications")},
        on_ready=ready.set_result,
        on_apps=apps.update,
        stop=stop,
        kafka_security=principals,
    )
    before = os.environ.get(ENV_USERNAME)
    task = asyncio.create_task(run_platform(options))
    done, _ = await asyncio.wait([task, ready], timeout=90, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # the platform failed to start: its error
    assert ready in done, "the platform did not start within 90 s"
    try:
        for name in ("registry", "meetings", "notifications"):
            settings = apps[name].state.runtime.settings
            assert settings.kafka_security().sasl_username == name

        members = len(config.demo_members)

        async def read_models_built() -> bool:
            meetings = await _rows(apps["meetings"], "members")
            contacts = await _rows(apps["notifications"], "contacts")
            return len(meetings) >= members and len(contacts) >= members

        await eventually(read_models_built, timeout=60, what="meetings and notifications read the registry")

        # the site reads the flows as the operator (its principal while the platform runs)
        assert os.environ.get(ENV_USERNAME) == "ops"
        # Kafka 4's group coordinator answers ListGroups from each coordinator shard's last committed
        # state and leaves out a shard that is still loading or moving: a group just joined can be
        # missing from one listing (seen once in CI). The operator's page lists again on each visit.
        seen: set[str] = set()
        status: flows.StatusReport | None = None

        async def every_service_group_listed() -> bool:
            nonlocal status
            status = await flows.collect_status(secured_kafka.bootstrap, territory, window=1.0)
            seen.update(lag.group for lag in status.groups)
            services = ("meetings", "notifications")
            return all(any(g.startswith(f"{territory}.{s}.") for g in seen) for s in services)

        try:
            what = "the operator lists every service's groups"
            await eventually(every_service_group_listed, timeout=30, what=what)
        except AssertionError as missing:
            raise AssertionError(f"{missing}; listed: {sorted(seen)}") from None
        assert status is not None
        assert not any(status.dead_letters.values()), status.dead_letters  # nothing refused on the way
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    assert os.environ.get(ENV_USERNAME) == before  # the site's principal is not left behind
