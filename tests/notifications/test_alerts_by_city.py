"""City and State agents get their cities' alerts only (the territory file's `cities:` on a staff
entry): an alert about an instance or a council of another city is neither listed for them nor
emailed to them, at once or in the digest; the territory's agents see every alert; an alert
about the whole territory (a territory-wide instance, a webhook) reaches everyone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_notifications import tables as t
from conseils_notifications.alert_rules import concerns
from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime.auth import issue_token
from conseils_runtime.territory import TerritoryFileError, default_territory_path, load_territory
from conseils_schemas import StaffAlertRaised
from conseils_web.mailbox import MailCatcher

pytestmark = pytest.mark.postgres
SECRET = "cities-test-secret"  # noqa: S105 - a test key
TERRITORY_STAFF = "agent.territoire@plainecommune.example"
CITY_STAFF = "agent.ville@saint-denis.example"  # cities: [saint-denis]
STATE_STAFF = "delegue.prefet@seine-saint-denis.example"  # no cities: every city
SAINT_DENIS, AUBERVILLIERS = "93066", "93001"
MORNING = datetime.fromisoformat("2026-03-02T06:00:00+00:00")  # 07:00 in Paris: no digest yet


class Clock:
    now = MORNING

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def app(database_url: str, territory: str, tmp_path: Path) -> AsyncIterator[Any]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    settings = NotificationsSettings(
        territory=territory, database_url=database_url, auth_secret=SECRET,
        public_base_url="https://conseils.example", log_json=False,
        smtp_host="127.0.0.1", smtp_port=catcher.port,
    )  # fmt: skip
    application = create_app(settings, clock=Clock())
    await application.state.runtime.database.create_all(t.metadata)
    try:
        yield application
    finally:
        await application.state.alert_mailer.stop()
        await application.state.sender.stop()
        await application.state.runtime.database.dispose()
        catcher.stop()


def recipients_of(mail_dir: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = mail.get_body(("plain",))
        found.append((str(mail["To"]).rsplit("<", 1)[1].rstrip(">"), body.get_content() if body else ""))
    return found


def test_the_territory_file_names_cities_by_slug_or_code(tmp_path: Path) -> None:
    territory = load_territory(default_territory_path())
    assert territory.staff_cities(CITY_STAFF) == frozenset({SAINT_DENIS})
    assert territory.staff_cities(TERRITORY_STAFF) is None
    assert territory.staff_cities(STATE_STAFF) is None
    text = default_territory_path().read_text(encoding="utf-8")
    by_code = tmp_path / "code.yaml"
    by_code.write_text(text.replace("cities: [saint-denis]", 'cities: ["93066", l-ile-saint-denis]'))
    assert load_territory(by_code).staff_cities(CITY_STAFF) == frozenset({SAINT_DENIS, "93039"})
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("cities: [saint-denis]", "cities: [paris]"))
    with pytest.raises(TerritoryFileError, match="cite une ville inconnue"):
        load_territory(unknown)
    territory_wide = tmp_path / "territory.yaml"
    territory_wide.write_text(text.replace("kind: territory}", "kind: territory, cities: [saint-denis]}", 1))
    with pytest.raises(TerritoryFileError, match="voit toutes les villes"):
        load_territory(territory_wide)


def test_who_is_told_of_which_alert() -> None:
    mine = frozenset({SAINT_DENIS})
    assert concerns(frozenset({SAINT_DENIS, AUBERVILLIERS}), mine)
    assert not concerns(frozenset({AUBERVILLIERS}), mine)
    assert concerns(None, mine)  # the whole territory
    assert concerns(frozenset({AUBERVILLIERS}), None)  # not limited
    assert concerns(frozenset(), mine)  # not known here: not limited…
    assert not concerns(frozenset(), mine, unknown=False)  # …but no urgent email before it is


async def test_city_agents_get_their_cities_alerts_only(app: Any, tmp_path: Path) -> None:
    service = app.state.service
    sd_council, aub_council = uuid.uuid4(), uuid.uuid4()
    aub_instance, aub_by_council, everywhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with service.units.begin() as unit:
        for council_id, city, code in ((sd_council, "Saint-Denis", SAINT_DENIS),
                                       (aub_council, "Aubervilliers", AUBERVILLIERS)):  # fmt: skip
            row = {"council_id": council_id, "name": f"Conseil de {city}", "city": city, "city_code": code,
                   "status": "active", "active": True, "as_of": MORNING}  # fmt: skip
            await unit.session.execute(t.councils.insert().values(**row))
        for instance_id, city_code, scope, councils in (
            (aub_instance, AUBERVILLIERS, "city", []),
            (aub_by_council, None, "council", [str(aub_council)]),
            (everywhere, None, "territory", []),
        ):
            starts = MORNING + timedelta(days=3)
            instance = {"instance_id": instance_id, "instance_type": "comite-technique", "title": "Comité",
                        "city_code": city_code, "scope": scope, "council_ids": councils, "starts_at": starts,
                        "ends_at": starts + timedelta(hours=2), "location": "Salle", "sequence": 0,
                        "status": "scheduled"}  # fmt: skip
            await unit.session.execute(t.instances.insert().values(**instance))
    raised: dict[str, StaffAlertRaised] = {}
    for name, kind, subject in (
        ("aub_instance", "dossier_late", aub_instance),
        ("aub_by_council", "short_notice", aub_by_council),
        ("everywhere", "dossier_late", everywhere),
        ("sd_council", "theme_without_referent", sd_council),
        ("aub_council", "theme_without_referent", aub_council),
        ("unknown_instance", "dossier_late", uuid.uuid4()),
        ("webhook", "webhook_disabled", uuid.uuid4()),
    ):
        raised[name] = StaffAlertRaised(
            alert_id=uuid.uuid4(), kind=kind, subject_id=subject,  # type: ignore[arg-type]
            message_fr=f"Alerte {name}.", raised_at=MORNING,
        )  # fmt: skip
        async with service.units.begin() as unit:
            await service.record_staff_alert(unit, raised[name])

    # the list: the site asks for the agent's cities
    token = issue_token(SECRET, subject=str(uuid.uuid4()), role="staff", audience="notifications")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        headers = {"Authorization": f"Bearer {token}"}
        listed = await client.get("/notifications/alerts", params={"cities": SAINT_DENIS}, headers=headers)
        everything = await client.get("/notifications/alerts", headers=headers)
    assert listed.status_code == 200
    ids = {item["alert_id"] for item in listed.json()}
    city_view = {"everywhere", "sd_council", "unknown_instance", "webhook"}
    assert ids == {str(raised[name].alert_id) for name in city_view}
    assert len(everything.json()) == len(raised)

    # at once: the urgent alerts, each to the agents of its cities (not known yet: not to her)
    mailer = app.state.alert_mailer
    await mailer.run_once()
    told = recipients_of(tmp_path / "mail")
    city_told = "\n".join(body for to, body in told if to == CITY_STAFF)
    assert len([to for to, _ in told if to == CITY_STAFF]) == 2
    assert str(raised["everywhere"].alert_id) in city_told
    assert str(raised["webhook"].alert_id) in city_told  # a disabled webhook is urgent: at once
    assert len([to for to, _ in told if to == TERRITORY_STAFF]) == 5  # every urgent alert
    assert len([to for to, _ in told if to == STATE_STAFF]) == 5  # no cities: every city

    # the digest (from 08:00): what she was not told at once, of her cities and unknown ones only
    Clock.now = MORNING + timedelta(hours=1)
    try:
        await mailer.run_once()
    finally:
        Clock.now = MORNING
    digests = [(to, body) for to, body in recipients_of(tmp_path / "mail")[len(told) :]]
    city_digest = next(body for to, body in digests if to == CITY_STAFF)
    for name in ("sd_council", "unknown_instance"):  # the urgent unknown one waited for the digest
        assert str(raised[name].alert_id) in city_digest, name
    for name in ("aub_instance", "aub_by_council", "aub_council"):
        assert str(raised[name].alert_id) not in city_digest, name
    territory_digest = next(body for to, body in digests if to == TERRITORY_STAFF)
    assert str(raised["aub_council"].alert_id) in territory_digest
