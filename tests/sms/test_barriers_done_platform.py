"""Issue 19's « done means », as one story on the real platform: the three services and the
site (`conseils up`'s code), the real broker, a real SMTP server, a real Kannel (bearerbox,
smsbox, fake SMSC) for the SMS; everything through the site's pages and the messages' links,
the services' clocks moved along the story (the meetings' and the notifications').

Aïcha registers from her invitation's link and, on the same page, says she needs childcare for
two children; staff see it on the checklist and book it. Mariama, created by staff with a phone
and no email, gets the invitation by SMS, signs in by SMS, registers (waitlisted: her council's
two seats are taken) and is promoted when Fatou answers « Je ne viens plus » from her mail
(told by SMS). On the eve, Aïcha answers « Je viens » from her J-1 reminder (staff see the
confirmed head-count, she sees it on her registrations) and Mariama gets her reminder by SMS.
After the meeting Aïcha types the attendance code from the presence email, Mariama from the
presence SMS's short link (held back through the quiet hours); staff reconcile and record the
sheet; Aïcha claims her childcare with a photo of the receipt, staff approve it; the bilan shows
the need met, the confirmed venue, the claim and its amount, and the dossier's easy-read
coverage."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from conseils_cli.sms import kannel
from conseils_runtime.territory import load_territory
from conseils_web.mailbox import _free_port
from conseils_web.platform import PlatformOptions, run_platform
from tests.browser.platform_helpers import RunningPlatform, territory_file_with_slug
from tests.browser.platform_services import PlatformServices
from tests.web.test_action_links_platform import words
from tests.web.test_pages_read_french import csrf, sign_in

from .conftest import StartKannel
from .test_sms_platform import Clock, eventually, texts_to

pytestmark = [pytest.mark.kafka, pytest.mark.e2e, pytest.mark.slow]

PARIS = ZoneInfo("Europe/Paris")
STAFF = "agent.territoire@plainecommune.example"
AICHA, FATOU = "aicha.diallo@demo.example", "fatou.sow@demo.example"
MARIAMA = "+33698765432"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"


def next_monday_morning() -> datetime:
    """09:00 UTC on a Monday at least a day ahead: after real time (the site's own clock reads
    the links), outside the SMS quiet hours."""
    day = date.today() + timedelta(days=1)
    day += timedelta(days=(0 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def platform_with_kannel(
    data_dir: Path, kafka_bootstrap: str, slug: str, gateway: kannel.Kannel, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningPlatform]:
    """The platform as `conseils up` runs it, its notifications service sending SMS through
    `gateway` (and Kannel calling it back with the delivery reports)."""
    ports = {name: _free_port() for name in ("registry", "meetings", "notifications")}
    for name, value in {
        "SMS_SENDSMS_URL": gateway.sendsms_url,
        "SMS_USERNAME": gateway.username,
        "SMS_PASSWORD": gateway.password,
        "SMS_CALLBACK_BASE_URL": f"http://127.0.0.1:{ports['notifications']}",
        "SMS_MO_TOKEN": uuid.uuid4().hex,
        "SCHEDULER_POLL_SECONDS": "0.3",
        "SENDER_POLL_SECONDS": "0.2",
    }.items():
        monkeypatch.setenv(f"CONSEILS_NOTIFICATIONS_{name}", value)
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
        service_ports=ports,
        on_ready=ready.set_result,
        on_apps=apps.update,
        stop=stop,
    )
    task = asyncio.create_task(run_platform(options))
    waiting: list[asyncio.Future[Any]] = [task, ready]
    done, _ = await asyncio.wait(waiting, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()
    assert ready in done, "the platform did not start within 60 s"
    try:
        yield RunningPlatform(ready.result()["site"], data_dir / "mail", apps, options.auth_secret)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


def link_in(text: str, label: str) -> str:
    match = re.search(rf"{re.escape(label)} : (\S+)", text)
    assert match, text
    return match.group(1)


async def post(
    site: httpx.AsyncClient, platform: RunningPlatform, path: str, **data: object
) -> httpx.Response:
    return await site.post(path, data={"csrf": csrf(site, platform.auth_secret), **data})


async def sms_containing(gateway: kannel.Kannel, words_: str, timeout: float = 60) -> str:
    found: list[str] = []

    async def arrived() -> bool:
        found[:] = [text for text in texts_to(gateway, MARIAMA) if words_ in text]
        return bool(found)

    await eventually(arrived, f"an SMS with {words_!r}", timeout)
    assert len(found[-1]) <= 160
    return found[-1]


async def test_the_barriers_lifted_done_means_on_the_real_platform(
    tmp_path: Path,
    kafka_bootstrap: str,
    territory: str,
    start_kannel: StartKannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = start_kannel("")
    async with platform_with_kannel(tmp_path, kafka_bootstrap, territory, gateway, monkeypatch) as platform:
        services = PlatformServices(platform)
        site_url, secret = platform.url, platform.auth_secret
        meetings = platform.apps["meetings"].state.service
        notifications = platform.apps["notifications"].state.service
        clock = Clock(next_monday_morning())
        notifications.clock = clock
        staff, aicha, fatou, mariama = (httpx.AsyncClient(base_url=site_url) for _ in range(4))
        await sign_in(staff, platform, STAFF)

        # Staff create Mariama: a phone, no email, her consent given.
        franc_moisin = (await services.member(AICHA))["council_id"]
        async with services.service("registry") as registry:
            created = await registry.post(
                "/members",
                json={"council_id": franc_moisin, "display_name": "Mariama Koné", "phone": "06 98 76 54 32",
                      "consent": True},
            )  # fmt: skip
        assert created.status_code == 201, created.text
        mariama_id = uuid.UUID(created.json()["id"])

        async def her_card_known() -> bool:
            async with notifications.units.reading() as repo:
                card = await repo.contact(mariama_id)
            return card is not None and bool(card.phone)

        await eventually(her_card_known, "Mariama's card in the notifications service")

        # A copil on Thursday evening, its dossier with its easy-to-read version.
        day = clock.now.date() + timedelta(days=3)
        starts = datetime(day.year, day.month, day.day, 18, 30, tzinfo=PARIS)
        ends = starts + timedelta(hours=2)
        instance_id = await services.schedule(
            instance_type="copil", title="Comité de pilotage — freins levés",
            location="Hôtel de ville de Saint-Denis", starts_at=starts,
        )  # fmt: skip
        async with services.service("meetings") as api:
            for name, kind in (("dossier.pdf", "dossier"), ("facile.pdf", "easy_read")):
                sent = await api.post(
                    f"/instances/{instance_id}/documents",
                    files={"file": (name, PDF, "application/pdf")},
                    data={"kind": kind},
                )
                assert sent.status_code in (200, 201), sent.text
            assert (await api.post(f"/instances/{instance_id}/dossier/publish")).is_success

        # Mariama's invitation by SMS, through Kannel.
        invitation = await sms_containing(gateway, "nouvelle instance")
        assert invitation.startswith("Conseils citoyens - nouvelle instance :")

        # Aïcha registers from her invitation's link; the same page asks what she needs.
        mail = await platform.wait_for_mail(AICHA, lambda m: "Je participe :" in (m.part("text/plain") or ""))
        join = link_in(mail.part("text/plain") or "", "Je participe").removeprefix(site_url)
        await aicha.get(join)
        assert (await post(aicha, platform, join)).status_code == 303
        page = await aicha.get(join)
        assert "Ce qu'il me faut pour venir" in words(page)
        saved = await post(aicha, platform, join + "/besoins", besoin="childcare", enfants="2", ages="3, 7")
        assert saved.status_code == 303, words(saved)[:300]
        assert "Vos besoins sont enregistrés" in words(await aicha.get(join))

        # The organiser sees it on the checklist and books it.
        checklist = await staff.get(f"/equipe/instances/{instance_id}/besoins")
        shown = words(checklist)
        assert "Garde d'enfants" in shown
        assert "Aïcha Diallo" in shown
        assert "2 enfants : 3, 7 ans" in shown
        assert "Pas encore réservé" in shown
        (need_path,) = re.findall(rf"/equipe/instances/{instance_id}/besoins/[0-9a-f-]{{36}}", checklist.text)
        booked = await post(staff, platform, need_path, reserve="oui")
        assert booked.status_code == 303
        assert "Réservé" in words(await staff.get(f"/equipe/instances/{instance_id}/besoins"))

        # Fatou takes her council's second seat from her invitation.
        mail = await platform.wait_for_mail(FATOU, lambda m: "Je participe :" in (m.part("text/plain") or ""))
        join_fatou = link_in(mail.part("text/plain") or "", "Je participe").removeprefix(site_url)
        await fatou.get(join_fatou)
        assert (await post(fatou, platform, join_fatou)).status_code == 303

        # Mariama signs in by SMS, then registers: waitlisted, her council's two seats are taken.
        await mariama.get("/connexion")
        asked = await post(mariama, platform, "/connexion", email="06 98 76 54 32", suite="")
        assert "Vérifiez vos SMS" in words(asked)
        signin = await sms_containing(gateway, "lien de connexion")
        path = re.search(r"https?://\S+(/connexion/\S+)", signin)
        assert path, signin
        await mariama.get(path.group(1))
        assert (await post(mariama, platform, path.group(1))).status_code == 303
        registered = await post(
            mariama, platform, f"/instances/{instance_id}/inscription", mode="participant"
        )
        assert registered.status_code == 303
        assert [r["status"] for r in await services.registrations(instance_id)] == [
            "confirmed", "confirmed", "waitlisted"
        ]  # fmt: skip
        await sms_containing(gateway, "Liste d'attente")

        # Fatou: « Je ne viens plus » from her registration's mail; Mariama gets the seat, by SMS.
        mail = await platform.wait_for_mail(
            FATOU, lambda m: "Je ne viens plus :" in (m.part("text/plain") or "")
        )
        leave = link_in(mail.part("text/plain") or "", "Je ne viens plus").removeprefix(site_url)
        await fatou.get(leave)
        assert (await post(fatou, platform, leave)).status_code == 303
        await sms_containing(gateway, "Place confirmée")
        rows = {r["member_id"]: r["status"] for r in await services.registrations(instance_id)}
        assert rows[str(mariama_id)] == "confirmed"

        # The eve: Aïcha's J-1 reminder asks; « Je viens » is recorded. Mariama's comes by SMS.
        clock.now = starts.astimezone(UTC) - timedelta(days=1) + timedelta(minutes=2)
        mail = await platform.wait_for_mail(AICHA, lambda m: "Je viens :" in (m.part("text/plain") or ""))
        coming = link_in(mail.part("text/plain") or "", "Je viens").removeprefix(site_url)
        await aicha.get(coming)
        assert (await post(aicha, platform, coming)).status_code == 303
        assert "Votre venue est confirmée" in words(await aicha.get(coming))
        reminder = await sms_containing(gateway, "Rappel : demain")
        assert reminder.startswith("Rappel : demain")
        head_count = words(await staff.get(f"/equipe/instances/{instance_id}"))
        assert "Venues confirmées (« Je viens ») : 1 sur 2 inscrit·es." in head_count
        assert head_count.count("venue confirmée") == 1
        await sign_in(aicha, platform, AICHA)
        assert "Venue confirmée (« Je viens »)" in words(await aicha.get("/mes-inscriptions"))

        # After the meeting: the presence prompt by email (Aïcha) and by SMS (Mariama: held back
        # through the quiet hours until the morning), each typing the code shown at the meeting.
        code_page = words(await staff.get(f"/equipe/instances/{instance_id}"))
        code = code_page.split("Code de présence à afficher en séance : ", 1)[1].split()[0]
        meetings.clock = lambda: ends.astimezone(UTC) + timedelta(hours=1)
        clock.now = ends.astimezone(UTC) + timedelta(minutes=61)
        mail = await platform.wait_for_mail(AICHA, lambda m: "/presence/" in (m.part("text/plain") or ""))
        found = re.search(r"https?://\S+(/presence/\S+)", mail.part("text/plain") or "")
        assert found
        await aicha.get(found.group(1))
        typed = await post(aicha, platform, found.group(1), code=code)
        assert "Merci : votre présence est enregistrée." in words(typed)
        await asyncio.sleep(2)
        assert not [t for t in texts_to(gateway, MARIAMA) if "/presence/" in t]  # quiet hours
        morning = ends.astimezone(PARIS).date() + timedelta(days=1)
        clock.now = datetime(morning.year, morning.month, morning.day, 8, 5, tzinfo=PARIS).astimezone(UTC)
        prompt = await sms_containing(gateway, "/presence/")
        assert prompt.startswith("Étiez-vous présent.e ?")
        short = re.search(r"https?://\S+(/presence/[A-Za-z0-9_-]{58})$", prompt)
        assert short, prompt
        phone = httpx.AsyncClient(base_url=site_url)  # the link alone, no session
        opened = await phone.get(short.group(1))
        assert "Étiez-vous présent·e ?" in words(opened)
        typed = await post(phone, platform, short.group(1), code=code.lower())
        assert "Merci : votre présence est enregistrée." in words(typed)

        # Staff reconcile with their sheet and record it.
        sheet = words(await staff.get(f"/equipe/instances/{instance_id}"))
        assert sheet.count("déclaré présent·e par code") == 2
        aicha_id = str(await services.member_id(AICHA))
        recorded = await staff.post(
            f"/equipe/instances/{instance_id}/presence",
            data={"csrf": csrf(staff, secret), "present": [aicha_id, str(mariama_id)]},
        )
        assert recorded.status_code == 303, words(recorded)[:300]

        # Aïcha claims her childcare with a photo of the receipt; staff approve it.
        async def attended() -> bool:
            page = await aicha.get(f"/instances/{instance_id}")
            return "Demander le remboursement de frais" in words(page)

        await eventually(attended, "her presence on her instance page")
        claimed = await aicha.post(
            f"/instances/{instance_id}/remboursement",
            data={"csrf": csrf(aicha, secret), "kind": "childcare", "amount": "45,00", "hours": "3"},
            files={"receipt": ("ticket.png", PNG, "image/png")},
        )
        assert claimed.status_code == 303, words(claimed)[:400]
        claims = await staff.get("/equipe/remboursements?statut=submitted")
        assert "45,00 €" in words(claims)
        (claim_path,) = set(re.findall(r"/equipe/remboursements/[0-9a-f-]{36}(?=\")", claims.text))
        approved = await post(staff, platform, claim_path, decision="approved")
        assert approved.status_code == 303
        assert "approuvée" in words(await aicha.get("/mes-inscriptions"))

        # The bilan: the need met, the venue confirmed, the claim and its amount, easy-read coverage.
        first, last = starts.date() - timedelta(days=1), starts.date() + timedelta(days=1)
        period = f"from={first.isoformat()}&to={last.isoformat()}"
        started = time.monotonic()
        bilan = words(await staff.get(f"/equipe/bilan/freins?{period}"))
        assert time.monotonic() - started < 10
        assert "Garde d'enfants 1 1" in bilan  # asked, booked
        assert "Venues confirmées avec « Je viens » (rappel de la veille) : 1." in bilan
        assert "Comité de pilotage 1 1 45,00 € 0" in bilan  # claims, approved, amount, refused
        assert "1 dossier publié avec leur version facile à lire, 0 sans." in bilan
        for client in (staff, aicha, fatou, mariama, phone):
            await client.aclose()
