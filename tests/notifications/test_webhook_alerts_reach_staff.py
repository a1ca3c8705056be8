"""A disabled webhook endpoint is a staff alert like the others (issue 18 item 3): published on
the alerts topic (StaffAlertRaised, the event every other alert uses), on the staff's page at
once, emailed at once (urgent: the receiver gets nothing more until staff act) to the agents who
chose so, and kept once when the fact comes back from the topic."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.webhook_domain import WEBHOOK_EVENT_TYPES
from conseils_schemas import StaffAlertRaised
from conseils_web.mailbox import MailCatcher

pytestmark = pytest.mark.postgres
TERRITORY_STAFF = "agent.territoire@plainecommune.example"
STATE_STAFF = "delegue.prefet@seine-saint-denis.example"
SECRET = "webhook-alerts-secret"  # noqa: S105 - a test key
MORNING = datetime.fromisoformat("2026-03-02T06:00:00+00:00")


@pytest.fixture
async def app(database_url: str, territory: str, tmp_path: Path) -> AsyncIterator[Any]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    settings = NotificationsSettings(
        territory=territory, database_url=database_url, auth_secret=SECRET,
        public_base_url="https://conseils.example", log_json=False,
        smtp_host="127.0.0.1", smtp_port=catcher.port,
    )  # fmt: skip
    application = create_app(settings, clock=lambda: MORNING)
    await application.state.runtime.database.create_all(t.metadata)
    try:
        yield application
    finally:
        await application.state.alert_mailer.stop()
        await application.state.sender.stop()
        await application.state.runtime.database.dispose()
        catcher.stop()


async def test_a_disabled_webhook_is_published_listed_and_emailed(app: Any, tmp_path: Path) -> None:
    service = app.state.service
    async with service.units.begin() as unit:
        await unit.repo.save_staff_alert_mode(STATE_STAFF, uuid.uuid4(), "none", MORNING)
    endpoint = await service.register_endpoint("http://127.0.0.1:9/recu", [sorted(WEBHOOK_EVENT_TYPES)[0]])
    await service.disable_webhook(endpoint.endpoint_id, "désactivé par l'équipe")

    runtime = app.state.runtime
    async with runtime.database.sessionmaker() as session:
        rows = (await session.execute(select(runtime.tables.outbox.c.payload))).scalars()
        published = [json.loads(row) for row in rows]
    raised = [p for p in published if p.get("kind") == "webhook_disabled"]
    assert len(raised) == 1
    assert raised[0]["subject_id"] == str(endpoint.endpoint_id)

    (listed,) = [view for view in await service.staff_alerts() if view.alert.kind == "webhook_disabled"]
    assert str(listed.alert.alert_id) == raised[0]["alert_id"]

    await app.state.alert_mailer.run_once()
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "mail").glob("*.eml")
    ]
    to = sorted(str(mail["To"]).rsplit("<", 1)[1].rstrip(">") for mail in mails)
    assert TERRITORY_STAFF in to
    assert STATE_STAFF not in to  # her choice: no email
    mail = next(m for m in mails if TERRITORY_STAFF in str(m["To"]))
    assert str(mail["Subject"]).startswith("Alerte urgente : Webhook désactivé — Le point de réception")
    assert "http://127.0.0.1:9/recu" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # the fact back from the alerts topic: kept once, told once
    fields = ("alert_id", "kind", "subject_id", "message_fr", "raised_at")
    event = StaffAlertRaised.model_validate({name: raised[0][name] for name in fields})
    async with service.units.begin() as unit:
        await service.record_staff_alert(unit, event)
    assert await app.state.alert_mailer.run_once() == 0
    assert len([v for v in await service.staff_alerts() if v.alert.kind == "webhook_disabled"]) == 1
