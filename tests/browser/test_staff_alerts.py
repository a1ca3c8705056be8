"""Staff alerts on the real platform (Kafka, the three services, the site, a real SMTP server),
through the pages in Chromium on a 360-pixel screen.

A comité technique « Emploi » is scheduled; two members of the same council ask for its one
place per council (the second waits: the meetings service raises "council over its places",
not urgent); nine days before, its dossier is still missing: the meetings service raises the
late dossier, and notifications raise no second one (exactly one alert). The urgent alert is
emailed at once to the territory's agent; the other comes in her daily digest. She takes the
late dossier in hand on the alerts page: the StaffAlertAcknowledged fact is on the alerts
topic (her account id, no name), and the page shows who and when. Every page is checked with
axe-core (no violation) and fits the screen."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from playwright.async_api import Browser, Page, expect
from sqlalchemy import func, select

from conseils_meetings.api_models import InstanceIn
from conseils_schemas import StaffAlertAcknowledged
from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser.conftest import accessibility_violations, assert_fits_phone_width, screenshot
from tests.browser.platform_helpers import RunningPlatform, running_platform
from tests.e2e.secured_kafka import current_secured
from tests.e2e.stack import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

STAFF = "agent.territoire@plainecommune.example"
FRANC_MOISIN = ("aicha.diallo@demo.example", "fatou.sow@demo.example")
PARIS = ZoneInfo("Europe/Paris")


async def check_page(page: Page, name: str) -> None:
    await screenshot(page, f"alertes-{name}")
    assert await page.get_attribute("html", "lang") == "fr"
    assert [v["id"] for v in await accessibility_violations(page)] == [], name
    await assert_fits_phone_width(page)


async def alerts_topic(bootstrap: str, territory: str) -> list[tuple[str, dict[str, Any]]]:
    """Every record of the territory's alerts topic: (ce_type, payload)."""
    topic = f"{territory}.alerts.staff"
    secured = current_secured()  # the operator's principal on the secured broker: it reads every topic
    auth = secured.ops.aiokafka_kwargs() if secured is not None and secured.bootstrap == bootstrap else {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **auth)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **auth)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[tuple[str, dict[str, Any]]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for chunk in (await consumer.getmany(*partitions, timeout_ms=1000)).values():
                for record in chunk:
                    headers = {key: value.decode() for key, value in record.headers}
                    records.append((headers["ce_type"], json.loads(record.value)))
        return records
    finally:
        await consumer.stop()


async def dossier_alerts(platform: RunningPlatform, instance_id: uuid.UUID) -> list[Any]:
    views = await platform.apps["notifications"].state.service.staff_alerts(500)
    return [v for v in views if v.alert.kind == "dossier_late" and v.alert.subject_id == instance_id]


async def test_alerts_raised_once_emailed_and_acknowledged_on_the_site(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        meetings = platform.apps["meetings"].state.service
        notifications = platform.apps["notifications"].state
        registry = platform.apps["registry"].state.registry
        # 09:00 in Paris, nine days before an instance at 18:30: its dossier is late (10 days).
        day = (datetime.now(PARIS) + timedelta(days=40)).date()
        starts = datetime(day.year, day.month, day.day, 18, 30, tzinfo=PARIS).astimezone(UTC)
        morning = (starts - timedelta(days=9)).astimezone(PARIS).replace(hour=9, minute=0).astimezone(UTC)
        now = [morning - timedelta(days=2)]  # scheduled eleven days before: the dossier is not late yet
        meetings.clock = notifications.service.clock = lambda: now[0]

        # Both are in the meetings' copy of the registry once its facts have arrived.
        members = [(await registry.list_members(email=address))[0].id for address in FRANC_MOISIN]

        async def known() -> bool:
            async with meetings.units.reading() as repo:
                return all([await repo.member(member_id) is not None for member_id in members])

        await eventually(known, 60, "the registry's members in the meetings service")
        instance = await meetings.create_instance(
            InstanceIn(
                instance_type="comite-technique",
                title="Comité technique Emploi",
                theme="emploi",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                location="Maison de l'emploi, Saint-Denis",
            ).draft()
        )
        for member_id in members:  # one place per council: the second waits, staff are told
            await meetings.register(instance.id, member_id, "participant")

        async def planned() -> bool:  # notifications placed the instance's reminders and checks
            async with notifications.service.units.reading() as repo:
                return bool(await repo.reminders_of(instance.id))

        await eventually(planned, 30, "the instance's reminders in notifications")
        assert await meetings.alert_late_dossiers() == 0
        now[0] = morning  # two days later: the dossier is late
        assert await meetings.alert_late_dossiers() == 1
        await notifications.scheduler.run_once()  # what falls due there raises no second dossier alert
        await eventually(lambda: _count(platform, instance.id), 30, "the late dossier alert in notifications")
        await eventually(lambda: _relayed(platform), 30, "both outboxes relayed to Kafka")
        raised = [
            payload
            for ce_type, payload in await alerts_topic(kafka_bootstrap, territory)
            if payload.get("kind") == "dossier_late" and payload["subject_id"] == str(instance.id)
        ]
        assert len(raised) == 1  # on the log once, from meetings
        assert len(await dossier_alerts(platform, instance.id)) == 1

        # The urgent one at once; the other in the daily digest (09:00: due today).
        urgent = await platform.wait_for_mail(
            STAFF, lambda m: m.subject.startswith("Alerte urgente : Dossier en retard")
        )
        assert "Comité technique Emploi" in (urgent.part("text/plain") or "")
        assert f"/equipe/instances/{instance.id}" in (urgent.part("text/plain") or "")
        digest = await platform.wait_for_mail(STAFF, lambda m: m.subject.startswith("Alertes du "))
        assert "Conseil au-delà de ses places" in (digest.part("text/plain") or "")
        assert "Dossier en retard" not in (digest.part("text/plain") or "")  # told at once already

        # She takes it in hand on the alerts page.
        account = await registry.staff_account(STAFF)
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        cookie = new_session(platform.auth_secret, subject=str(account.id), role="staff")
        await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
        page = await context.new_page()
        await page.goto(f"{platform.url}/equipe/alertes")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Alertes")
        await check_page(page, "a-traiter")
        (alert,) = await dossier_alerts(platform, instance.id)
        card = page.locator(f"#alerte-{alert.alert.alert_id}")
        await expect(card).to_contain_text("Dossier en retard — urgente")
        await expect(card.get_by_role("link", name="Voir l'instance")).to_have_attribute(
            "href", f"/equipe/instances/{instance.id}"
        )
        await card.get_by_role("button", name="Je m'en occupe").click()
        await expect(page.get_by_role("status")).to_contain_text("Vous avez pris l'alerte en charge")
        card = page.locator(f"#alerte-{alert.alert.alert_id}")
        await expect(card).to_contain_text("Prise en charge — prise en charge par Camille Martin (démo) le")
        await expect(card.get_by_role("button", name="Je m'en occupe")).to_have_count(0)
        await check_page(page, "prise-en-charge")

        async def acknowledged_on_the_log() -> bool:
            return any(
                ce_type == StaffAlertAcknowledged.event_type
                and payload["alert_id"] == str(alert.alert.alert_id)
                and payload["staff_id"] == str(account.id)
                for ce_type, payload in await alerts_topic(kafka_bootstrap, territory)
            )

        await eventually(acknowledged_on_the_log, 30, "StaffAlertAcknowledged on the alerts topic")
        facts = [
            p
            for t, p in await alerts_topic(kafka_bootstrap, territory)
            if t == StaffAlertAcknowledged.event_type
        ]
        assert "Camille" not in json.dumps(facts)
        assert STAFF not in json.dumps(facts)

        # Resolved: gone from "À traiter", kept under "Toutes" with who and when.
        await card.get_by_role("button", name="Marquer comme résolue").click()
        await expect(page.get_by_role("status")).to_contain_text("Alerte résolue")
        await expect(page.locator(f"#alerte-{alert.alert.alert_id}")).to_have_count(0)
        await page.get_by_role("link", name="Toutes, résolues comprises").click()
        await expect(page.locator(f"#alerte-{alert.alert.alert_id}")).to_contain_text(
            "résolue par Camille Martin (démo)"
        )
        await page.get_by_label("Toutes les alertes dans un récapitulatif quotidien (à 8 h)").check()
        await page.get_by_role("button", name="Enregistrer mon choix").click()
        await expect(page.get_by_role("status")).to_contain_text(
            "Votre choix de courriels d'alerte est enregistré"
        )
        assert await notifications.service.staff_alert_mode(account.id) == "digest"
        await check_page(page, "toutes")
        await context.close()


async def _count(platform: RunningPlatform, instance_id: uuid.UUID) -> bool:
    return len(await dossier_alerts(platform, instance_id)) >= 1


async def _relayed(platform: RunningPlatform) -> bool:
    """The meetings' and notifications' outboxes have nothing left to publish."""
    for name in ("meetings", "notifications"):
        runtime = platform.apps[name].state.runtime
        outbox = runtime.tables.outbox
        async with runtime.database.sessionmaker() as session:
            left = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        if left:
            return False
    return True
