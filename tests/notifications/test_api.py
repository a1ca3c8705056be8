"""HTTP API on SQLite and PostgreSQL: preferences (the member only), one-click
unsubscribe, calendar feeds, inbox and the delivery log with personal data for
staff only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import icalendar
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from conseils_notifications import tables as t
from conseils_notifications.app import create_app
from conseils_notifications.domain import unsubscribe_token
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime.auth import issue_token

from .helpers import NOW, contact, council, member, referent, scheduled

pytestmark = pytest.mark.postgres
SECRET = "api-test-secret"  # noqa: S105 - a test key


class Api:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client
        self.service: NotificationsService = app.state.service

    def as_member(self, member_id: uuid.UUID, role: str = "councillor") -> dict[str, str]:
        token = issue_token(SECRET, subject=str(member_id), role=role, audience="notifications")  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    def as_staff(self, role: str = "staff") -> dict[str, str]:
        token = issue_token(SECRET, subject="agent-1", role=role, audience="notifications")  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def api(database_url: str, territory: str) -> AsyncIterator[Api]:
    settings = NotificationsSettings(
        territory=territory, database_url=database_url, auth_secret=SECRET,
        public_base_url="https://conseils.example", log_json=False,
    )  # fmt: skip
    app = create_app(settings, clock=lambda: NOW)
    await app.state.runtime.database.create_all(t.metadata)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        try:
            yield Api(app, client)
        finally:
            await app.state.runtime.database.dispose()


async def seed(api: Api) -> dict[str, Any]:
    c = council()
    aicha = member(c.council_id, ["emploi"])
    event = scheduled()
    async with api.service.units.begin() as unit:
        await api.service.apply_registry_fact(unit, c)
        await api.service.apply_registry_fact(unit, aicha)
        await api.service.apply_registry_fact(unit, referent(c.council_id, aicha.member_id))
        await api.service.record_contact(unit, contact(aicha.member_id, "Aïcha Diallo", "aicha@demo.example"))
        await api.service.instance_scheduled(unit, event, "event-api")
        await unit.session.execute(
            update(t.deliveries).values(status="sent", sent_at=NOW, subject="Nouvelle instance")
        )
    return {"council": c.council_id, "aicha": aicha.member_id, "instance": event.instance_id}


async def test_preferences_belong_to_the_member(api: Api) -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    url = f"/notifications/members/{me}/preferences"
    assert (await api.client.get(url)).status_code == 401
    refused = await api.client.get(url, headers=api.as_member(other))
    assert refused.status_code == 403
    assert "vos propres réglages" in refused.json()["detail"]
    assert (await api.client.get(url, headers=api.as_staff())).status_code == 403

    defaults = (await api.client.get(url, headers=api.as_member(me))).json()
    assert defaults == {
        "channels": ["email"],
        "categories": ["scheduling", "dossier", "reminder", "minutes"],
        "digest": False,
        "themes": None,
        "language": "fr",
    }
    body = {
        "channels": ["email", "sms"],
        "categories": ["reminder"],
        "digest": True,
        "themes": ["emploi"],
        "language": "fr",
    }
    saved = await api.client.put(url, json=body, headers=api.as_member(me, "coordinator"))
    assert saved.status_code == 200
    assert saved.json() == {**body, "channels": ["email", "sms"]}
    assert (await api.client.get(url, headers=api.as_member(me))).json()["digest"] is True

    bad = await api.client.put(url, json={**body, "themes": ["cuisine"]}, headers=api.as_member(me))
    assert bad.status_code == 422
    assert bad.json()["detail"] == "Thématique inconnue : cuisine."


async def test_one_click_unsubscribe_removes_only_that_category(api: Api) -> None:
    me = uuid.uuid4()
    token = unsubscribe_token(SECRET, me, "reminder")
    page = await api.client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200
    assert 'method="post"' in page.text
    prefs_url = f"/notifications/members/{me}/preferences"
    assert "reminder" in (await api.client.get(prefs_url, headers=api.as_member(me))).json()["categories"]

    done = await api.client.post(
        f"/notifications/unsubscribe/{token}", content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert done.status_code == 200
    assert "rappels" in done.text
    categories = (await api.client.get(prefs_url, headers=api.as_member(me))).json()["categories"]
    assert categories == ["scheduling", "dossier", "minutes"]

    forged = await api.client.post(f"/notifications/unsubscribe/{token[:-2]}xx")
    assert forged.status_code == 400
    assert forged.json()["detail"] == "Lien de désinscription invalide."


async def test_feeds_and_revocable_member_feed(api: Api) -> None:
    ids = await seed(api)
    for path in ("/notifications/feeds/agenda.ics", f"/notifications/feeds/councils/{ids['council']}.ics",
                 "/notifications/feeds/themes/emploi.ics"):  # fmt: skip
        response = await api.client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
        assert str(event["UID"]).startswith(str(ids["instance"]))
    empty = icalendar.Calendar.from_ical(
        (await api.client.get("/notifications/feeds/themes/sante.ics")).content
    )
    assert empty.walk("VEVENT") == []
    assert (await api.client.get("/notifications/feeds/themes/cuisine.ics")).status_code == 404

    me = api.as_member(ids["aicha"])
    link = (await api.client.post(f"/notifications/members/{ids['aicha']}/feed-token", headers=me)).json()[
        "url"
    ]
    assert link.startswith("https://conseils.example/notifications/feeds/members/")
    path = link.removeprefix("https://conseils.example")
    mine = icalendar.Calendar.from_ical((await api.client.get(path)).content)
    assert [str(e["SUMMARY"]) for e in mine.walk("VEVENT")] == ["Comité technique Emploi"]

    new_link = (
        await api.client.post(f"/notifications/members/{ids['aicha']}/feed-token", headers=me)
    ).json()["url"]
    assert (await api.client.get(path)).status_code == 404  # the old address is revoked
    new_path = new_link.removeprefix("https://conseils.example")
    assert (await api.client.get(new_path)).status_code == 200
    assert (
        await api.client.delete(f"/notifications/members/{ids['aicha']}/feed-token", headers=me)
    ).status_code == 204
    assert (await api.client.get(new_path)).status_code == 404


async def test_inbox_and_delivery_log_show_personal_data_only_to_staff(api: Api) -> None:
    ids = await seed(api)
    inbox = await api.client.get(
        f"/notifications/members/{ids['aicha']}/inbox", headers=api.as_member(ids["aicha"])
    )
    assert [(i["kind"], i["reason"], i["subject"]) for i in inbox.json()] == [
        ("scheduled", "theme_referent", "Nouvelle instance")
    ]
    assert (
        await api.client.get("/notifications/deliveries", headers=api.as_member(ids["aicha"]))
    ).status_code == 403

    staff = (
        await api.client.get(
            f"/notifications/deliveries?instance_id={ids['instance']}", headers=api.as_staff()
        )
    ).json()
    assert [(d["member_id"], d["display_name"], d["status"]) for d in staff] == [
        (str(ids["aicha"]), "Aïcha Diallo", "sent")
    ]
    operator = (await api.client.get("/notifications/deliveries", headers=api.as_staff("operator"))).json()
    assert len(operator) == 1
    assert operator[0]["display_name"] is None
    assert "aicha@demo.example" not in str(staff) + str(operator)


async def test_staff_alerts_from_every_service_are_listed_for_staff_only(api: Api) -> None:
    from conseils_schemas import StaffAlertRaised

    alert = StaffAlertRaised(
        alert_id=uuid.uuid4(),
        kind="dossier_late",
        subject_id=uuid.uuid4(),
        message_fr="Le dossier du comité technique Emploi n'est pas publié à J-10.",
        raised_at=NOW,
    )
    async with api.service.units.begin() as unit:
        await api.service.record_staff_alert(unit, alert)
        await api.service.record_staff_alert(unit, alert)  # redelivered: kept once
    listed = await api.client.get("/notifications/alerts", headers=api.as_staff())
    assert listed.status_code == 200
    assert [(a["kind"], a["message_fr"]) for a in listed.json()] == [("dossier_late", alert.message_fr)]
    councillor = await api.client.get("/notifications/alerts", headers=api.as_member(uuid.uuid4()))
    assert councillor.status_code == 403
    assert (await api.client.get("/notifications/alerts")).status_code == 401
