"""The SMS J-1 reminder's « Je viens » link on the real platform (Kafka, the three services, the
site; issue 19): registered from her invitation's link, she follows the short link her J-1 SMS
carries (`confirm_short_link`, the SMS text built as the SMS channel builds it): opening it
records nothing, its one button records her confirmed venue in the meetings service (the
organiser's head-count) as the link's member, without a session."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conseils_notifications.records import DeliveryRecord
from conseils_notifications.sms_channel import confirm_short_link
from conseils_notifications.sms_text import septets, sms_body
from conseils_web.security import SESSION_COOKIE
from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening
from tests.web.test_action_links_platform import post, words

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

FATOU = "fatou.sow@demo.example"


def j1_reminder(member_id: uuid.UUID, instance_id: str, starts_at: datetime) -> DeliveryRecord:
    snapshot = {
        "instance_id": instance_id, "title": "Comité technique — Emploi (SMS)", "status": "scheduled",
        "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        "location": "Maison de l'emploi, Saint-Denis",
    }  # fmt: skip
    now = datetime.now(UTC)
    return DeliveryRecord(
        delivery_id=uuid.uuid4(), source_event_id="reminder:x:0", member_id=member_id, channel="sms",
        category="reminder", kind="reminder", instance_id=uuid.UUID(instance_id), reason="registered",
        context={"instance": snapshot, "days_before": 1}, status="pending", attempts=0,
        next_attempt_at=now, last_error=None, subject=None, created_at=now, sent_at=None,
    )  # fmt: skip


async def test_the_sms_je_viens_link_records_her_venue_on_the_real_platform(
    tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        secret = platform.auth_secret
        fatou = await services.member_id(FATOU)
        starts_at = tuesday_evening(30)
        comite = await services.schedule(
            instance_type="comite-technique",
            title="Comité technique — Emploi (SMS)",
            theme="emploi",
            city_code="93066",
            location="Maison de l'emploi, Saint-Denis",
            starts_at=starts_at,
        )
        invitation = await platform.wait_for_mail(FATOU, lambda m: comite in (m.part("text/plain") or ""))
        participate = re.search(r"^- Je participe : (\S+)", invitation.part("text/plain") or "", re.M)
        assert participate
        async with httpx.AsyncClient(base_url=platform.url) as site:
            await site.get(participate.group(1).removeprefix(platform.url))
            assert (
                await post(site, participate.group(1).removeprefix(platform.url), secret)
            ).status_code == 303
            assert [r["member_id"] for r in await services.registrations(comite)] == [str(fatou)]

            # Her J-1 SMS, as the SMS channel writes it: one segment, ending with « Je viens : <link> ».
            row = j1_reminder(fatou, comite, starts_at)
            labelled = confirm_short_link(platform.url, secret, row, datetime.now(UTC))
            assert labelled is not None
            sms = sms_body("reminder", row.context, link=labelled, timezone="Europe/Paris")
            assert septets(sms) <= 160
            assert sms.startswith("Rappel : demain")
            path = sms.rsplit(" ", 1)[1].removeprefix(platform.url)
            assert path.startswith("/action/")
            assert len(path.removeprefix("/action/")) == 58

            page = await site.get(path)  # what a link preview does: nothing recorded
            assert page.status_code == 200
            assert "Confirmer : je viens" in words(page)
            async with services.service("meetings") as meetings:
                confirmations = f"/instances/{comite}/attendance-confirmations"
                assert (await meetings.get(confirmations)).json() == []
                done = await post(site, path, secret)
                assert done.status_code == 303
                assert SESSION_COOKIE not in done.headers.get("set-cookie", "")
                rows = (await meetings.get(confirmations)).json()
            assert [r["member_id"] for r in rows] == [str(fatou)]
            assert "Votre venue est confirmée" in words(await site.get(path))
