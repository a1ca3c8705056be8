"""The day in the product (../shared/PRODUCT.md), through the pages, on the
real platform: Kafka, the three services, the site and a real SMTP server.

Staff sign in by emailed link and schedule a comité technique « Emploi » on a
Tuesday at 18:30 in Saint-Denis; the Emploi referent gets the invitation with
its calendar file; she signs in from her phone, registers as observer in one
tap from her agenda; a councillor of another city (Aubervilliers) finds a Saint-Denis
CLIP in the territory's agenda and registers as observer (her council is not concerned:
the page says so); staff publish the dossier (she gets it), record attendance and publish
the minutes, which she finds with her presence. From their emails, signed out, two
councillors register in two clicks (councillor_email_links); one withdraws from her
confirmation mail and the other, promoted from the waiting list, finds the mail. Every page
is checked with axe-core."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.councillor_email_links import registers_from_the_email
from tests.browser.platform_helpers import RunningPlatform, running_platform

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

STAFF = "agent.territoire@plainecommune.example"
REFERENT = "aicha.diallo@demo.example"
OTHER_CITY = "julie.moreau@demo.example"  # Conseil citoyen Villette – Quatre-Chemins, Aubervilliers


def tuesday_at_least_21_days_ahead(today: date) -> date:
    day = today + timedelta(days=22)
    return day + timedelta(days=(1 - day.weekday()) % 7)


async def check_page(page: Page, name: str) -> None:
    await screenshot(page, f"journee-{name}")
    assert await page.get_attribute("html", "lang") == "fr"
    assert await serious_accessibility_violations(page) == [], name
    await assert_fits_phone_width(page)


async def sign_in(page: Page, platform: RunningPlatform, address: str, name: str, start: str = "") -> None:
    """From any page of the site (signed-out visitors are sent to /connexion, then back)."""
    asked_at = time.time() - 1
    await page.goto(start or f"{platform.url}/connexion")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    await page.get_by_label("Adresse électronique").fill(address)
    await page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos courriels")
    link = await platform.signin_link(address, after=asked_at)
    await page.goto(link)
    await check_page(page, f"{name}-confirmer-connexion")
    await page.get_by_role("button", name="Me connecter").click()
    await expect(page.get_by_role("status")).to_contain_text("Vous êtes connecté·e")


async def test_a_day_in_the_product(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        staff_context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        phone_context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        staff, phone = await staff_context.new_page(), await phone_context.new_page()

        # 1. Staff schedule a comité technique « Emploi », a Tuesday at 18:30 in Saint-Denis.
        await sign_in(staff, platform, STAFF, "equipe")
        await expect(staff.get_by_role("heading", level=1)).to_have_text("Instances")
        await check_page(staff, "equipe-instances")
        day = tuesday_at_least_21_days_ahead(date.today())
        await staff.get_by_label("Type d'instance").select_option("comite-technique")
        await staff.get_by_label("Thématique (pour un comité thématique)").select_option("emploi")
        await staff.get_by_label("Ville (pour une instance de ville)").select_option("93066")
        await staff.get_by_label("Date").fill(day.isoformat())
        await staff.get_by_label("Début").fill("18:30")
        await staff.get_by_label("Fin").fill("20:30")
        await staff.get_by_label("Lieu").fill("Maison de quartier Franc-Moisin, Saint-Denis")
        await staff.get_by_role("button", name="Vérifier les règles").click()
        await expect(staff.locator("#apercu")).to_contain_text("Vérifiez avant de programmer")
        await check_page(staff, "equipe-apercu")
        await staff.get_by_role("button", name="Confirmer et programmer").click()
        await expect(staff.get_by_role("status")).to_contain_text("Instance programmée")
        instance_url = staff.url
        instance_id = instance_url.rsplit("/", 1)[1]
        await check_page(staff, "equipe-instance")

        # 2. The Emploi referent gets the invitation with its calendar file.
        invitation = await platform.wait_for_mail(
            REFERENT, lambda m: any(kind == "text/calendar" for _n, kind, _d in m.attachments())
        )
        assert instance_id in (invitation.part("text/plain") or "") + (invitation.part("text/html") or "")

        # 3. She opens the mail's link on her phone, signs in, reads the page, registers from her agenda.
        text = invitation.part("text/plain") or ""
        link = next(word for word in text.split() if word.startswith(f"{platform.url}/instances/"))
        await sign_in(phone, platform, REFERENT, "conseillere", start=link.rstrip(".,)"))
        await expect(phone.get_by_role("heading", level=1)).to_have_text(
            "Comité technique thématique de Saint-Denis — Emploi, insertion et développement économique"
        )
        await expect(phone.get_by_role("main")).to_contain_text("En soirée")
        await check_page(phone, "conseillere-instance-depuis-le-courriel")
        await phone.get_by_role("link", name="Agenda", exact=True).first.click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Agenda")
        card = phone.locator(
            ".carte",
            has=phone.get_by_role("link", name="Comité technique thématique de Saint-Denis — Emploi"),
        )
        starts = datetime(day.year, day.month, day.day, 18, 30, tzinfo=ZoneInfo("Europe/Paris"))
        await expect(card).to_contain_text(f"mardi {day.day}")
        await expect(card).to_contain_text("à 18 h 30")
        await check_page(phone, "conseillere-agenda")
        await card.get_by_role("button", name="Observer").click()
        await expect(phone.get_by_role("status")).to_contain_text(
            "Inscription confirmée comme observateur·rice"
        )
        await check_page(phone, "conseillere-inscrite")
        await phone.goto(f"{platform.url}/instances/{instance_id}")
        await expect(phone.locator("main")).to_contain_text("Aïcha Diallo — observateur·rice")
        await check_page(phone, "conseillere-instance")

        # 3 bis. A councillor of another city finds the Saint-Denis CLIP and observes it.
        await another_city_observes_the_clip(platform, browser, staff, day + timedelta(days=2))

        # 3 ter. Two clicks from the email, signed out; the waiting list moves by email alone.
        await registers_from_the_email(platform, browser, staff, day + timedelta(days=7), check_page)

        # 4. Staff upload and publish the dossier: she receives it.
        await staff.goto(instance_url)
        await staff.get_by_label("Document à déposer").set_input_files(
            files=FilePayload(name="ordre-du-jour.txt", mimeType="text/plain", buffer=b"Ordre du jour\n")
        )
        await staff.get_by_role("button", name="Déposer le document").click()
        await expect(staff.get_by_role("status")).to_contain_text("ordre-du-jour.txt")
        await staff.get_by_role("button", name="Publier le dossier").click()
        await expect(staff.get_by_role("status")).to_contain_text("Dossier publié")
        await check_page(staff, "equipe-dossier-publie")
        await platform.wait_for_mail(REFERENT, lambda m: "dossier" in m.subject.lower())
        await staff.reload()
        sent = staff.get_by_role("table").filter(has_text="Notifications de cette instance")
        await expect(sent).to_contain_text("Aïcha Diallo")
        await expect(sent).to_contain_text("envoyé")
        await phone.goto(f"{platform.url}/instances/{instance_id}")
        await expect(phone.get_by_role("link", name="ordre-du-jour.txt")).to_be_visible()

        # 6. After the instance (the meetings service's clock moves past it), attendance and minutes.
        platform.apps["meetings"].state.service.clock = lambda: starts + timedelta(hours=3)
        await staff.goto(instance_url)
        await staff.get_by_label("Aïcha Diallo (inscrit·e)").check()
        await staff.get_by_role("button", name="Enregistrer la présence").click()
        await expect(staff.get_by_role("status")).to_contain_text("Présence enregistrée : 1 présent·e.")
        await staff.get_by_label("Résumé du compte rendu").fill("Le comité a examiné trois projets emploi.")
        await staff.get_by_role("button", name="Publier le compte rendu").click()
        await expect(staff.get_by_role("status")).to_contain_text("Compte rendu publié")
        await check_page(staff, "equipe-compte-rendu")

        await phone.goto(f"{platform.url}/instances/{instance_id}")
        await expect(phone.locator("main")).to_contain_text("Le comité a examiné trois projets emploi.")
        await expect(phone.locator("main")).to_contain_text("Vous étiez présent·e.")
        await check_page(phone, "conseillere-compte-rendu")
        await phone.goto(f"{platform.url}/mes-inscriptions")
        past = phone.get_by_role("list", name="Passées").locator(
            ".carte", has=phone.get_by_role("link", name="Comité technique thématique")
        )  # the second comité (3 ter) is still to come
        await expect(past).to_contain_text("Ma présence : Présent·e")
        await expect(past.get_by_role("link", name="Lire le compte rendu")).to_be_visible()
        await check_page(phone, "conseillere-inscriptions-passees")
        await phone.goto(f"{platform.url}/mes-notifications")
        await expect(phone.locator(".carte").first).to_be_visible()
        await check_page(phone, "conseillere-notifications")

        # Every other page of both, in the browser: French, accessible, 360 px wide.
        await every_other_page(platform, staff, phone, instance_id)
        await staff_reschedule_then_cancel(platform, staff)
        await operator_pages(platform, browser, instance_id)
        await staff_context.close()
        await phone_context.close()


async def another_city_observes_the_clip(
    platform: RunningPlatform, browser: Browser, staff: Page, day: date
) -> None:
    """Staff schedule a CLIP in Saint-Denis; an Aubervilliers councillor finds it in the
    territory's agenda (filtered by type), is told she may observe but not participate, and
    registers as observer from the site; the agenda links the public feed."""
    await staff.goto(f"{platform.url}/equipe/instances")
    await staff.get_by_label("Type d'instance").select_option("clip")
    await staff.get_by_label("Ville (pour une instance de ville)").select_option("93066")
    await staff.get_by_label("Date").fill(day.isoformat())
    await staff.get_by_label("Début").fill("18:30")
    await staff.get_by_label("Fin").fill("20:30")
    await staff.get_by_label("Lieu").fill("Bourse du travail, Saint-Denis")
    await staff.get_by_role("button", name="Vérifier les règles").click()
    await staff.get_by_role("button", name="Confirmer et programmer").click()
    await expect(staff.get_by_role("status")).to_contain_text("Instance programmée")

    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    page = await context.new_page()
    await sign_in(page, platform, OTHER_CITY, "autre-ville")
    await page.get_by_role("link", name="Agenda", exact=True).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    await page.get_by_label("Type d'instance").select_option("clip")
    await page.get_by_role("button", name="Afficher les instances").click()
    card = page.locator(".carte", has=page.get_by_role("link", name="Commission locale inter-partenariale"))
    await expect(card).to_contain_text("Saint-Denis")
    await expect(card).to_contain_text("Participer : Votre conseil n'est pas concerné par cette instance")
    await expect(card).to_contain_text("Observer : Cette instance accueille des observateur·rices")
    await expect(card.get_by_role("button", name="Participer")).to_have_count(0)
    await check_page(page, "autre-ville-agenda-clip")
    await card.get_by_role("button", name="Observer").click()
    await expect(page.get_by_role("status")).to_contain_text("Inscription confirmée comme observateur·rice")
    assert "type=clip" in page.url  # back on the agenda as she filtered it
    await expect(card).to_contain_text("Vous êtes inscrit·e : observateur·rice")
    await check_page(page, "autre-ville-inscrite")
    subscribe = page.get_by_role("link", name="S'abonner à l'agenda public")
    assert (await subscribe.get_attribute("href") or "").startswith("webcal://")
    download = await page.get_by_role("link", name="Télécharger l'agenda public").get_attribute("href")
    feed = await page.request.get(download or "")
    assert feed.ok
    assert "BEGIN:VCALENDAR" in await feed.text()
    await page.goto(f"{platform.url}/mes-inscriptions")
    await expect(page.get_by_role("main")).to_contain_text("Commission locale inter-partenariale")
    await expect(page.get_by_role("main")).to_contain_text("observateur·rice — inscription confirmée")
    await check_page(page, "autre-ville-mes-inscriptions")
    await context.close()


async def every_other_page(platform: RunningPlatform, staff: Page, phone: Page, instance_id: str) -> None:
    for path, heading in [
        ("/mes-inscriptions", "Mes inscriptions"),
        ("/mon-conseil", "Conseil citoyen Franc-Moisin – Bel-Air"),
        ("/preferences", "Mes préférences"),
    ]:
        await phone.goto(platform.url + path)
        await expect(phone.get_by_role("heading", level=1)).to_have_text(heading)
        await check_page(phone, f"conseillere{path}")
    await expect(phone.get_by_role("main")).not_to_contain_text("@demo.example")  # no one's address shown
    await phone.get_by_label("Rappels avant les instances").uncheck()
    await phone.get_by_role("button", name="Enregistrer mes préférences").click()
    await expect(phone.get_by_role("status")).to_contain_text("Vos préférences sont enregistrées")
    await expect(phone.get_by_label("Rappels avant les instances")).not_to_be_checked()
    await phone.get_by_role("button", name="Créer mon adresse d'agenda").click()
    await expect(phone.get_by_role("status")).to_contain_text("/notifications/feeds/members/")
    feed = (await phone.get_by_role("status").inner_text()).split(" : ", 1)[1].strip()
    calendar = await phone.request.get(feed)
    assert calendar.ok
    assert "BEGIN:VCALENDAR" in await calendar.text()
    my_data = await phone.request.get(f"{platform.url}/mes-donnees")
    assert "aicha.diallo@demo.example" in await my_data.text()
    await phone.goto(f"{platform.url}/equipe/instances")
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Accès refusé")

    await staff.goto(f"{platform.url}/equipe/conseils")
    await check_page(staff, "equipe-conseils")
    await staff.get_by_role("link", name="Conseil citoyen Franc-Moisin – Bel-Air").click()
    await expect(staff.get_by_role("main")).to_contain_text("aicha.diallo@demo.example")
    await check_page(staff, "equipe-conseil")
    await staff.goto(f"{platform.url}/equipe/membres/import")
    await staff.get_by_label("Fichier CSV").set_input_files(
        files=FilePayload(
            name="membres.csv", mimeType="text/csv", buffer=b"conseil;nom;email\ninconnu;X;pas-une-adresse\n"
        )
    )
    await staff.get_by_role("button", name="Importer").click()
    await expect(staff.get_by_role("table")).to_contain_text("erreur")
    await check_page(staff, "equipe-import-rapport")
    await staff.goto(f"{platform.url}/equipe/engagements")
    await staff.get_by_label("Engagement d'un·e élu·e").check()
    await staff.get_by_label("Texte").fill("Tenir les comités thématiques en soirée.")
    await staff.get_by_label("Qui (conseil, ou élu·e et sa fonction)").fill(
        "Vice-président·e à la politique de la ville"
    )
    await staff.get_by_role("button", name="Enregistrer", exact=True).click()
    await expect(staff.get_by_role("status")).to_contain_text("Enregistré")
    await staff.get_by_label("Nouveau statut").select_option("in_progress")
    await staff.get_by_label("Note").fill("Deux comités sur trois le soir.")
    await staff.get_by_role("button", name="Mettre à jour").click()
    await expect(staff.get_by_role("main")).to_contain_text("en cours : Deux comités sur trois le soir.")
    await check_page(staff, "equipe-engagements")
    await staff.goto(f"{platform.url}/equipe/bilan")
    await check_page(staff, "equipe-bilan")
    await expect(staff.get_by_role("main")).to_contain_text("Principaux chiffres")  # the bilan, in the site
    csv_link = staff.get_by_role("link", name="Télécharger le bilan de la période (CSV)")
    report = await staff.request.get(f"{platform.url}{await csv_link.get_attribute('href')}")
    assert report.ok
    assert "text/csv" in report.headers["content-type"]
    registrations = await staff.request.get(f"{platform.url}/equipe/instances/{instance_id}/inscriptions.csv")
    assert (
        "Aïcha Diallo;Conseil citoyen Franc-Moisin – Bel-Air;observer;confirmed" in await registrations.text()
    )
    await staff.goto(f"{platform.url}/etat")
    await expect(staff.get_by_role("table")).not_to_contain_text("Indisponible")
    await check_page(staff, "equipe-etat")


async def staff_reschedule_then_cancel(platform: RunningPlatform, staff: Page) -> None:
    """A COPIL in working hours: the rule is shown before confirming; moved to the evening; cancelled."""
    day = tuesday_at_least_21_days_ahead(date.today()) + timedelta(days=1)
    await staff.goto(f"{platform.url}/equipe/instances")
    await staff.get_by_label("Type d'instance").select_option("copil")
    await staff.get_by_label("Date").fill(day.isoformat())
    await staff.get_by_label("Début").fill("14:00")
    await staff.get_by_label("Fin").fill("16:00")
    await staff.get_by_role("button", name="Vérifier les règles").click()
    await expect(staff.get_by_role("alert")).to_contain_text("Indiquez le lieu")
    await check_page(staff, "equipe-erreurs-formulaire")
    await staff.get_by_label("Lieu").fill("Hôtel de territoire, Saint-Denis")
    await staff.get_by_role("button", name="Vérifier les règles").click()
    await expect(staff.locator("#apercu")).to_contain_text("Avertissements des règles du territoire")
    await staff.get_by_role("button", name="Confirmer et programmer").click()
    await expect(staff.get_by_role("status")).to_contain_text("Instance programmée")

    await staff.get_by_role("link", name="Déplacer l'instance").click()
    await staff.get_by_label("Nouvelle date").fill(day.isoformat())
    await staff.get_by_label("Début").fill("18:30")
    await staff.get_by_label("Fin").fill("20:30")
    await staff.get_by_role("button", name="Vérifier les règles").click()
    await check_page(staff, "equipe-deplacer-apercu")
    await staff.get_by_role("button", name="Confirmer le déplacement").click()
    await expect(staff.get_by_role("status")).to_contain_text("Instance déplacée")
    await expect(staff.get_by_role("main")).to_contain_text(f"{day.day}")
    await expect(staff.get_by_role("main")).to_contain_text("de 18 h 30 à 20 h 30")
    await expect(staff.get_by_role("main")).to_contain_text("En soirée")

    await staff.get_by_label("Motif de l'annulation").fill("Salle indisponible")
    await staff.get_by_role("button", name="Annuler l'instance").click()
    await expect(staff.get_by_role("status")).to_contain_text("Instance annulée")
    await expect(staff.get_by_role("main")).to_contain_text("Salle indisponible")
    await platform.wait_for_mail(REFERENT, lambda m: "annul" in m.subject.lower())


async def operator_pages(platform: RunningPlatform, browser: Browser, instance_id: str) -> None:
    """The operator's pages (signing in by link is shown above: here the session is set directly)."""
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    token = new_session(platform.auth_secret, subject="exploitation", role="operator")
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": platform.url}])
    page = await context.new_page()
    await page.goto(f"{platform.url}/exploitation")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await check_page(page, "exploitation")
    await page.goto(f"{platform.url}/exploitation/trace?id={instance_id}")
    await expect(page.get_by_role("main")).to_contain_text("meetings")
    await check_page(page, "exploitation-trace")
    await context.close()
