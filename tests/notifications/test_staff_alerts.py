"""Staff alerts on SQLite and PostgreSQL, over HTTP: acknowledged and resolved (who, when, the
facts in the outbox, applied once in any order), each staff account's choice of emails, an
urgent alert emailed at once and the others in the daily digest, through a real SMTP server
(aiosmtpd) and the service's own SMTP transport."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.alert_rules import AlertState, actions_to_record, staff_recipients, told_at_once
from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime.auth import issue_token
from conseils_runtime.errors import DomainError
from conseils_schemas import StaffAlertAcknowledged, StaffAlertRaised, StaffAlertResolved
from conseils_web.mailbox import MailCatcher

from .helpers import NOW

pytestmark = pytest.mark.postgres
SECRET = "alerts-test-secret"  # noqa: S105 - a test key
TERRITORY_STAFF = "agent.territoire@plainecommune.example"
CITY_STAFF = "agent.ville@saint-denis.example"
STATE_STAFF = "delegue.prefet@seine-saint-denis.example"
OPERATOR = "exploitation@plainecommune.example"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Alerts:
    def __init__(self, app: Any, client: httpx.AsyncClient, clock: Clock, mail_dir: Path) -> None:
        self.app, self.client, self.clock, self.mail_dir = app, client, clock, mail_dir
        self.service = app.state.service
        self.mailer = app.state.alert_mailer

    def headers(self, staff_id: uuid.UUID, role: str = "staff") -> dict[str, str]:
        token = issue_token(SECRET, subject=str(staff_id), role=role, audience="notifications")  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    async def raise_alert(
        self, kind: str = "dossier_late", *, at: datetime | None = None
    ) -> StaffAlertRaised:
        alert = StaffAlertRaised(
            alert_id=uuid.uuid4(),
            kind=kind,  # type: ignore[arg-type]
            subject_id=uuid.uuid4(),
            message_fr=f"« Comité technique Emploi » : {kind}.",
            raised_at=at or self.clock.now,
        )
        async with self.service.units.begin() as unit:
            await self.service.record_staff_alert(unit, alert)
        return alert

    async def outbox(self) -> list[dict[str, Any]]:
        outbox = self.app.state.runtime.tables.outbox
        async with self.app.state.runtime.database.sessionmaker() as session:
            rows = (await session.execute(select(outbox.c.payload).order_by(outbox.c.seq))).scalars()
            return [json.loads(row) for row in rows]

    def mails(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found


@pytest.fixture
async def alerts(database_url: str, territory: str, tmp_path: Path) -> AsyncIterator[Alerts]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    settings = NotificationsSettings(
        territory=territory, database_url=database_url, auth_secret=SECRET,
        public_base_url="https://conseils.example", log_json=False,
        smtp_host="127.0.0.1", smtp_port=catcher.port,
    )  # fmt: skip
    clock = Clock()
    app = create_app(settings, clock=clock)
    await app.state.runtime.database.create_all(t.metadata)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        try:
            yield Alerts(app, client, clock, tmp_path / "mail")
        finally:
            await app.state.alert_mailer.stop()  # closes nothing: the sender owns the transport
            await app.state.sender.stop()
            await app.state.runtime.database.dispose()
            catcher.stop()


def test_the_rules_of_acting_on_an_alert() -> None:
    someone = uuid.uuid4()
    assert actions_to_record(AlertState(), "acknowledged") == ["acknowledged"]
    assert actions_to_record(AlertState(), "resolved") == ["acknowledged", "resolved"]
    taken = AlertState(acknowledged_by=someone, acknowledged_at=NOW)
    assert actions_to_record(taken, "acknowledged") == []
    assert actions_to_record(taken, "resolved") == ["resolved"]
    closed = AlertState(someone, NOW, someone, NOW)
    assert actions_to_record(closed, "resolved") == []
    with pytest.raises(DomainError, match="déjà résolue"):
        actions_to_record(closed, "acknowledged")
    recipients = staff_recipients(
        [
            (TERRITORY_STAFF, "staff"),
            (CITY_STAFF.upper(), "staff"),
            (STATE_STAFF, "staff"),
            (OPERATOR, "operator"),
        ],
        {CITY_STAFF: "digest", STATE_STAFF: "none"},
    )
    assert [(r.email, r.mode) for r in recipients] == [(TERRITORY_STAFF, "immediate"), (CITY_STAFF, "digest")]
    assert told_at_once(recipients, "dossier_late", NOW, NOW) == [TERRITORY_STAFF]
    assert told_at_once(recipients, "theme_without_referent", NOW, NOW) == []  # not urgent: the digest
    assert (
        told_at_once(recipients, "dossier_late", NOW - timedelta(days=2), NOW) == []
    )  # an old one, replayed


async def test_staff_acknowledge_then_resolve_with_who_and_when(alerts: Alerts) -> None:
    camille, yanis = uuid.uuid4(), uuid.uuid4()
    alert = await alerts.raise_alert()
    url = f"/notifications/alerts/{alert.alert_id}"
    listed = (await alerts.client.get("/notifications/alerts", headers=alerts.headers(camille))).json()
    assert [(a["status"], a["subject_type"], a["urgent"]) for a in listed] == [("open", "instance", True)]

    taken = await alerts.client.post(f"{url}/acknowledge", headers=alerts.headers(camille))
    assert taken.status_code == 200
    assert (taken.json()["status"], taken.json()["acknowledged_by"]) == ("acknowledged", str(camille))
    again = await alerts.client.post(f"{url}/acknowledge", headers=alerts.headers(yanis))
    assert again.json()["acknowledged_by"] == str(camille)  # the first one counts, no second fact

    alerts.clock.now = NOW + timedelta(hours=2)
    done = (await alerts.client.post(f"{url}/resolve", headers=alerts.headers(yanis))).json()
    assert (done["status"], done["resolved_by"]) == ("resolved", str(yanis))
    assert datetime.fromisoformat(done["resolved_at"]) == NOW + timedelta(hours=2)
    assert datetime.fromisoformat(done["acknowledged_at"]) == NOW
    late = await alerts.client.post(f"{url}/acknowledge", headers=alerts.headers(yanis))
    assert (late.status_code, late.json()["code"]) == (409, "alerte_resolue")

    facts = [p for p in await alerts.outbox() if "staff_id" in p]
    assert [(f["alert_id"], f["staff_id"]) for f in facts] == [
        (str(alert.alert_id), str(camille)),
        (str(alert.alert_id), str(yanis)),
    ]
    assert set(facts[0]) == {"alert_id", "staff_id", "acknowledged_at"}  # ids only, no name or address
    unresolved = await alerts.client.get(
        "/notifications/alerts?unresolved=true", headers=alerts.headers(camille)
    )
    assert unresolved.json() == []

    operator = alerts.headers(uuid.uuid4(), "operator")
    assert (await alerts.client.get("/notifications/alerts", headers=operator)).status_code == 200
    assert (await alerts.client.post(f"{url}/resolve", headers=operator)).status_code == 403
    missing = await alerts.client.post(
        f"/notifications/alerts/{uuid.uuid4()}/resolve", headers=alerts.headers(camille)
    )
    assert missing.status_code == 404


async def test_actions_read_before_their_alert_or_twice_are_kept_once(alerts: Alerts) -> None:
    """The actions are keyed by the alert, the alert by its subject: another partition, another order."""
    staff = uuid.uuid4()
    alert_id = uuid.uuid4()
    resolved = StaffAlertResolved(alert_id=alert_id, staff_id=staff, resolved_at=NOW + timedelta(minutes=5))
    taken = StaffAlertAcknowledged(alert_id=alert_id, staff_id=staff, acknowledged_at=NOW)
    async with alerts.service.units.begin() as unit:
        for event in (resolved, taken, taken, resolved):
            await alerts.service.apply_alert_action(unit, event)
        await alerts.service.record_staff_alert(
            unit,
            StaffAlertRaised(
                alert_id=alert_id,
                kind="short_notice",
                subject_id=uuid.uuid4(),
                message_fr="Convocation tardive.",
                raised_at=NOW - timedelta(minutes=1),
            ),
        )
    (view,) = await alerts.service.staff_alerts()
    assert (view.state.status, view.state.acknowledged_at, view.state.resolved_by) == ("resolved", NOW, staff)


async def test_each_staff_chooses_her_alert_emails(alerts: Alerts) -> None:
    me = uuid.uuid4()
    url = "/notifications/alerts/preferences"
    assert (await alerts.client.get(url, headers=alerts.headers(me))).json()["mode"] == "immediate"
    chosen = await alerts.client.put(
        url, json={"email": CITY_STAFF, "mode": "digest"}, headers=alerts.headers(me)
    )
    assert chosen.json()["mode"] == "digest"
    assert (await alerts.client.get(url, headers=alerts.headers(me))).json()["mode"] == "digest"
    stranger = await alerts.client.put(
        url, json={"email": "quelquun@ailleurs.example", "mode": "none"}, headers=alerts.headers(me)
    )
    assert (stranger.status_code, stranger.json()["code"]) == (422, "compte_inconnu")
    councillor = alerts.headers(uuid.uuid4(), "councillor")
    assert (await alerts.client.get(url, headers=councillor)).status_code == 403


async def test_urgent_alert_emailed_at_once_and_the_rest_in_the_daily_digest(alerts: Alerts) -> None:
    alerts.clock.now = datetime.fromisoformat("2026-03-02T06:00:00+00:00")  # 07:00 in Paris: no digest yet
    async with alerts.service.units.begin() as unit:
        await unit.repo.save_staff_alert_mode(CITY_STAFF, uuid.uuid4(), "digest", NOW)
        await unit.repo.save_staff_alert_mode(STATE_STAFF, uuid.uuid4(), "none", NOW)
    urgent = await alerts.raise_alert("dossier_late")
    await alerts.raise_alert("dossier_late")  # the same alert again would add nothing: see below
    async with alerts.service.units.begin() as unit:
        await alerts.service.record_staff_alert(unit, urgent)  # redelivered
    quiet = await alerts.raise_alert("theme_without_referent")
    assert await alerts.mailer.run_once() == 2  # the two urgent alerts, to the territory's agent
    first, _second = alerts.mails()
    assert first["To"].addresses[0].display_name == "Camille Martin (démo)"
    assert first["To"].addresses[0].addr_spec == TERRITORY_STAFF
    assert str(first["Subject"]).startswith(
        "Alerte urgente : Dossier en retard — « Comité technique Emploi »"
    )
    text = first.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert f"https://conseils.example/equipe/instances/{urgent.subject_id}" in body
    assert f"https://conseils.example/equipe/alertes#alerte-{urgent.alert_id}" in body
    assert "https://conseils.example/equipe/alertes#preferences" in body
    assert first["Message-ID"]
    assert first["Date"]
    assert await alerts.mailer.run_once() == 0  # nothing twice

    # 07:59 in Paris: no digest yet; from 08:00, one per address, with what it was not told.
    alerts.clock.now = datetime.fromisoformat("2026-03-03T06:59:00+00:00")
    assert await alerts.mailer.plan_digest_if_due() == 0
    alerts.clock.now = datetime.fromisoformat("2026-03-03T07:00:00+00:00")
    resolved_meanwhile = await alerts.raise_alert("council_over_quota", at=NOW)  # the day before
    await alerts.service.resolve_alert(resolved_meanwhile.alert_id, uuid.uuid4())
    assert await alerts.mailer.run_once() == 4  # 2 digests planned, 2 sent
    digests = alerts.mails()[2:]
    by_address = {str(m["To"]).rsplit("<", 1)[1].rstrip(">"): m for m in digests}
    assert set(by_address) == {TERRITORY_STAFF, CITY_STAFF}  # the State's delegate chose no email
    territory_text = by_address[TERRITORY_STAFF].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert str(by_address[TERRITORY_STAFF]["Subject"]) == "Alertes du 3 mars : 1 alerte à traiter"
    assert f"/equipe/conseils/{quiet.subject_id}" in territory_text
    assert str(urgent.alert_id) not in territory_text  # told at once already
    assert str(resolved_meanwhile.alert_id) not in territory_text  # resolved: nothing to do
    city_mail = by_address[CITY_STAFF]
    assert str(city_mail["Subject"]) == "Alertes du 3 mars : 3 alertes à traiter"
    alerts.mailer._digest_done = None  # another process, or a restart, the same day
    assert await alerts.mailer.plan_digest_if_due() == 0


async def test_the_alert_mailer_claim_waits_its_turn_with_the_other_sqlite_writers(alerts: Alerts) -> None:
    """On SQLite the mailer's claim (every `sender_poll_seconds`) queues in the process with the
    delivery sender's and the relay's writes (`write_queue`) instead of meeting them in SQLite's
    busy handler (issue 17: those busy waits were 31 ms a commit in the fan-out)."""
    import asyncio
    from datetime import timedelta

    from conseils_runtime.write_queue import write_queue

    service = alerts.service
    if not service.units.database.is_sqlite:
        assert await service.claim_staff_alert_mails(limit=5, lease=timedelta(seconds=30), lock=True) == []
        return
    async with write_queue(service.units.database):
        claim = asyncio.create_task(
            service.claim_staff_alert_mails(limit=5, lease=timedelta(seconds=30), lock=False)
        )
        await asyncio.sleep(0.2)
        assert not claim.done()  # waiting for the writer ahead of it, not in SQLite's lock
    assert await asyncio.wait_for(claim, 5) == []
