"""The real platform in-process for browser tests (services, site, SMTP
catcher on free ports; real Kafka), and reading mails from the catcher."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.mailbox import StoredMail, _free_port, read_mailbox
from conseils_web.platform import PlatformOptions, run_platform
from tests.e2e.secured_kafka import platform_security


@dataclass
class RunningPlatform:
    url: str
    mail_dir: Path
    apps: dict[str, Any]
    auth_secret: str

    async def wait_for_mail(
        self, to: str, predicate: Callable[[StoredMail], bool] = lambda _m: True, timeout: float = 60
    ) -> StoredMail:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mail in read_mailbox(self.mail_dir):
                if to in mail.recipients and predicate(mail):
                    return mail
            await asyncio.sleep(0.25)
        seen = [(m.recipients, m.subject) for m in read_mailbox(self.mail_dir)]
        raise AssertionError(f"no mail to {to} within {timeout}s; mailbox: {seen}")

    async def signin_link(self, to: str, after: float) -> str:
        mail = await self.wait_for_mail(
            to, lambda m: "connexion" in m.subject and m.received_at >= after, timeout=30
        )
        text = mail.part("text/plain") or ""
        match = re.search(r"https?://\S+/connexion/\S+", text)
        assert match, text
        return match.group(0)


def territory_file_with_slug(directory: Path, slug: str) -> Path:
    """The demo territory under a fresh slug: topics and consumer groups of its own."""
    text = default_territory_path().read_text(encoding="utf-8")
    text = text.replace("  slug: plaine-commune\n", f"  slug: {slug}\n", 1)
    path = directory / "territoire.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@asynccontextmanager
async def running_platform(
    data_dir: Path, kafka_bootstrap: str, slug: str, *, demo_year: bool = False
) -> AsyncIterator[RunningPlatform]:
    """`demo_year`: the demo's past school year played into the meetings service first."""
    path = territory_file_with_slug(data_dir, slug)
    ready: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
    apps: dict[str, Any] = {}
    stop = asyncio.Event()
    options = PlatformOptions(
        territory=load_territory(path),
        territory_file=path,
        kafka_bootstrap=kafka_bootstrap,
        data_dir=data_dir,
        site_port=_free_port(),
        service_ports={name: _free_port() for name in ("registry", "meetings", "notifications")},
        on_ready=ready.set_result,
        on_apps=apps.update,
        stop=stop,
        demo_year=demo_year,
        # On the secured broker (tests/browser's conftest): one principal per service, as in production.
        kafka_security=platform_security(kafka_bootstrap),
    )
    task = asyncio.create_task(run_platform(options))
    waiting: list[asyncio.Future[Any]] = [task, ready]
    done, _ = await asyncio.wait(
        waiting, timeout=180 if demo_year else 60, return_when=asyncio.FIRST_COMPLETED
    )
    if task in done:
        task.result()
    assert ready in done, "the platform did not start within 60 s"
    try:
        yield RunningPlatform(
            url=ready.result()["site"], mail_dir=data_dir / "mail", apps=apps, auth_secret=options.auth_secret
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
