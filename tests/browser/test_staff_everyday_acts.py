"""Issue 18, the staff's everyday acts through the pages, in Chromium on a 360-pixel screen, on
the real platform (Kafka, the three services, the site): an instance refused in the past (the
error at the date field, focused), saved as a draft, edited, scheduled, moved to another place,
copied, found by the list's filters; documents refused without a file, removed, replaced,
published, « Publier le dossier » refused with nothing new; a council created, a member added,
edited, designated referent, moved, departed, erased (confirmation and receipt), the council
edited and dissolved; the members
CSV from its template with the words people know, previewed then imported, a wrong file
refused row by row, the export; the attendance of other participants. Every page: French,
axe-core clean, no sideways scroll."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

STAFF = "agent.territoire@plainecommune.example"
FRANC_MOISIN = "Conseil citoyen Franc-Moisin – Bel-Air"


async def check_page(page: Page, name: str) -> None:
    await screenshot(page, f"equipe-actes-{name}")
    assert await page.get_attribute("html", "lang") == "fr"
    assert await serious_accessibility_violations(page) == [], name
    await assert_fits_phone_width(page)


async def focused_id(page: Page) -> str:
    return str(await page.evaluate("document.activeElement && document.activeElement.id"))


async def status(page: Page, text: str) -> None:
    await expect(page.get_by_role("status").first).to_contain_text(text)


async def alert(page: Page, text: str) -> None:
    await expect(page.get_by_role("alert")).to_contain_text(text)


def txt(name: str, content: bytes = b"ordre du jour") -> FilePayload:
    return FilePayload(name=name, mimeType="text/plain", buffer=content)


async def instance_acts(staff: Page, base: str, services: PlatformServices) -> str:
    await staff.goto(f"{base}/equipe/instances")
    await check_page(staff, "instances")
    form = staff.locator("form", has=staff.get_by_role("button", name="Vérifier les règles"))
    await form.get_by_label("Type d'instance").select_option("comite-technique")
    await form.get_by_label("Thématique (pour un comité thématique)").select_option("emploi")
    await form.get_by_label("Ville (pour une instance de ville)").select_option("93066")
    await form.get_by_label("Date").fill((date.today() - timedelta(days=3)).isoformat())
    await form.get_by_label("Début").fill("18:30")
    await form.get_by_label("Fin").fill("20:30")
    await form.get_by_label("Lieu").fill("Maison de quartier Franc-Moisin")
    await form.get_by_role("button", name="Vérifier les règles").click()
    await alert(staff, "dans le passé")
    assert await focused_id(staff) == "day"  # the first invalid field, not the page's body
    await expect(staff.locator("#day-erreur")).to_contain_text("dans le passé")
    await expect(staff.get_by_label("Lieu", exact=True)).to_have_value("Maison de quartier Franc-Moisin")
    await check_page(staff, "instance-dans-le-passe")

    day = tuesday_evening(30).date()
    await staff.get_by_label("Date", exact=True).fill(day.isoformat())
    await staff.get_by_role("button", name="Enregistrer comme brouillon").click()
    await status(staff, "Brouillon enregistré")
    instance_url = staff.url
    await staff.get_by_role("link", name="Modifier l'intitulé").click()
    await check_page(staff, "modifier-brouillon")
    await staff.get_by_label("Intitulé").fill("x")
    await staff.get_by_role("button", name="Enregistrer").click()
    await alert(staff, "intitulé")
    assert await focused_id(staff) == "title"
    await staff.get_by_label("Intitulé").fill("Comité emploi des jeunes")
    await staff.get_by_label("Lieu").fill("Salle Ambroise-Croizat, Saint-Denis")
    await staff.get_by_label("Présentation (facultative)").fill("Ordre du jour : les chantiers d'insertion.")
    await staff.get_by_role("button", name="Enregistrer").click()
    await status(staff, "Instance modifiée")
    await expect(staff.get_by_role("heading", level=1)).to_have_text("Comité emploi des jeunes")
    await staff.get_by_role("button", name="Programmer ce brouillon").click()
    await status(staff, "Instance programmée")

    await staff.get_by_role("link", name="Changer la date ou le lieu").click()
    await expect(staff.get_by_label("Nouvelle date")).to_have_value(day.isoformat())  # prefilled
    await staff.get_by_label("Lieu").fill("Bourse du travail, Saint-Denis")
    await staff.get_by_role("button", name="Vérifier les règles").click()
    await staff.get_by_role("button", name="Confirmer le déplacement").click()
    await status(staff, "Instance déplacée")
    await expect(staff.get_by_role("main")).to_contain_text("Bourse du travail, Saint-Denis")

    # documents: none to publish, a missing file, a wrong one removed, one replaced, published
    await staff.get_by_role("button", name="Publier le dossier").click()
    await alert(staff, "Déposez au moins un document")
    assert await focused_id(staff) == "publier"
    await staff.get_by_role("button", name="Déposer le document").click()
    await alert(staff, "Choisissez le fichier")
    assert await focused_id(staff) == "file"
    await staff.get_by_label("Document à déposer").set_input_files(files=txt("mauvais.txt"))
    await staff.get_by_role("button", name="Déposer le document").click()
    await status(staff, "mauvais.txt")
    await staff.get_by_role("button", name="Supprimer mauvais.txt").click()
    await status(staff, "Document retiré")
    await expect(staff.get_by_role("link", name="mauvais.txt")).to_have_count(0)
    await staff.get_by_label("Document à déposer").set_input_files(files=txt("ordre-du-jour.txt"))
    await staff.get_by_role("button", name="Déposer le document").click()
    await staff.get_by_label("Remplacer ordre-du-jour.txt par").set_input_files(
        files=txt("ordre-du-jour-v2.txt", b"ordre du jour, version 2")
    )
    await staff.get_by_role("button", name="Remplacer ordre-du-jour.txt", exact=True).click()
    await status(staff, "remplacé par « ordre-du-jour-v2.txt »")
    await expect(staff.get_by_role("link", name="ordre-du-jour.txt", exact=True)).to_have_count(0)
    await check_page(staff, "instance-documents")
    await staff.get_by_role("button", name="Publier le dossier").click()
    await status(staff, "Dossier publié")
    await staff.get_by_role("button", name="Publier le dossier").click()
    await alert(staff, "Rien de nouveau à publier")
    await staff.get_by_role("button", name="Annuler l'instance").click()
    await alert(staff, "motif")
    assert await focused_id(staff) == "reason"
    await check_page(staff, "instance-erreurs")

    await staff.get_by_role("link", name="Copier cette instance").click()
    await expect(staff.get_by_role("heading", name="Copier une instance")).to_be_visible()
    await expect(staff.get_by_label("Lieu", exact=True)).to_have_value("Bourse du travail, Saint-Denis")
    await expect(staff.get_by_label("Date", exact=True)).to_have_value("")

    filters = staff.get_by_role("form", name="Filtrer les instances")
    await filters.get_by_label("Type").select_option("comite-technique")
    await filters.get_by_label("Ville").select_option("93066")
    await filters.get_by_label("Thématique").select_option("emploi")
    await filters.get_by_label("Du").fill(date.today().isoformat())
    await filters.get_by_role("button", name="Filtrer").click()
    assert "type=comite-technique" in staff.url
    await expect(staff.get_by_role("link", name="Comité emploi des jeunes", exact=True)).to_be_visible()
    await check_page(staff, "instances-filtrees")
    await filters.get_by_label("Type").select_option("clip")
    await filters.get_by_role("button", name="Filtrer").click()
    await expect(staff.get_by_role("link", name="Comité emploi des jeunes", exact=True)).to_have_count(0)
    return instance_url


async def people_acts(staff: Page, base: str) -> None:
    await staff.goto(f"{base}/equipe/conseils")
    await staff.get_by_role("link", name="Créer un conseil").click()
    await staff.get_by_label("Nom du conseil").fill("Conseil citoyen Floréal Nord")
    await staff.get_by_label("Identifiant court").fill("Pas Bon")
    await staff.get_by_label("Quartier").select_option("QP093066B")
    await staff.get_by_role("button", name="Créer le conseil").click()
    await alert(staff, "Identifiant court")
    assert await focused_id(staff) == "slug"
    await expect(staff.get_by_label("Nom du conseil")).to_have_value("Conseil citoyen Floréal Nord")
    await check_page(staff, "conseil-erreur")
    await staff.get_by_label("Identifiant court").fill("saint-denis-floreal-nord")
    await staff.get_by_role("button", name="Créer le conseil").click()
    await status(staff, "Conseil « Conseil citoyen Floréal Nord » créé")
    council_url = staff.url

    await staff.get_by_role("link", name="Ajouter un membre").click()
    await staff.get_by_label("Nom", exact=True).fill("Samir Benali")
    await staff.get_by_label("Adresse électronique").fill("samir-sans-arobase")
    await staff.get_by_role("button", name="Ajouter le membre").click()
    await alert(staff, "adresse électronique valide")
    assert await focused_id(staff) == "email"
    await expect(staff.get_by_label("Nom", exact=True)).to_have_value("Samir Benali")
    await staff.get_by_label("Adresse électronique").fill("samir.benali@demo.example")
    await staff.get_by_label("Emploi, insertion et développement économique").check()
    await staff.get_by_role("button", name="Ajouter le membre").click()
    await status(staff, "Samir Benali ajouté·e")
    await check_page(staff, "membre")
    await staff.get_by_label("Téléphone (facultatif)").fill("06 12 34 56 78")
    await staff.get_by_label("Rôle").select_option("coordinator")
    await staff.get_by_role("button", name="Enregistrer la fiche").click()
    await status(staff, "Fiche du membre enregistrée")
    await expect(staff.get_by_label("Téléphone (facultatif)")).to_have_value("06 12 34 56 78")
    member_url = staff.url
    await staff.goto(council_url)
    await staff.get_by_label("Santé").select_option(label="Samir Benali")
    await staff.get_by_role("button", name="Enregistrer le ou la référente Santé").click()
    await status(staff, "Référent·e « Santé » enregistré·e")
    await expect(staff.get_by_label("Santé")).to_have_value(member_url.rsplit("/", 1)[1])
    await check_page(staff, "conseil-referent")
    await staff.goto(member_url)

    await staff.get_by_role("button", name="Changer de conseil").click()
    await alert(staff, "Choisissez le conseil")
    await staff.get_by_label("Conseil qu'elle ou il rejoint").select_option(
        label=f"{FRANC_MOISIN} (Saint-Denis)"
    )
    await staff.get_by_role("button", name="Changer de conseil").click()
    await status(staff, "Changement de conseil enregistré")
    await expect(staff.get_by_role("link", name=f"← {FRANC_MOISIN}")).to_be_visible()
    await staff.get_by_role("button", name="Enregistrer le départ").click()
    await status(staff, "Départ enregistré")
    await expect(staff.get_by_role("main")).to_contain_text("A quitté le conseil")
    await staff.get_by_role("link", name="Effacer les données de Samir Benali").click()
    await check_page(staff, "effacer")
    await staff.get_by_role("button", name="Effacer définitivement").click()
    await alert(staff, "Cochez la case")
    await staff.get_by_label("Je confirme l'effacement définitif").check()
    await staff.get_by_role("button", name="Effacer définitivement").click()
    await expect(staff.get_by_role("heading", level=1)).to_have_text("Données effacées")
    await status(staff, "Récépissé d'effacement")
    await expect(staff.get_by_role("main")).not_to_contain_text("samir.benali@demo.example")
    await check_page(staff, "effacement-recu")

    await staff.goto(council_url)
    await staff.get_by_role("link", name="Modifier ou dissoudre le conseil").click()
    await staff.get_by_label("Nom du conseil").fill("Conseil citoyen de Floréal Nord")
    await staff.get_by_role("button", name="Enregistrer").click()
    await status(staff, "Conseil modifié")
    await expect(staff.get_by_role("heading", level=1)).to_have_text("Conseil citoyen de Floréal Nord")
    await staff.get_by_role("link", name="Modifier ou dissoudre le conseil").click()
    await staff.get_by_label("Je confirme la dissolution de ce conseil").check()
    await staff.get_by_role("button", name="Dissoudre le conseil").click()
    await status(staff, "Conseil dissous")
    await expect(staff.get_by_role("main")).to_contain_text("dissous")


async def import_acts(staff: Page, base: str) -> None:
    await staff.goto(f"{base}/equipe/conseils")
    await staff.get_by_role("link", name="Importer des membres (CSV)").click()
    await check_page(staff, "import")
    template = await staff.request.get(f"{base}/equipe/membres/modele.csv")
    assert template.ok
    text = (await template.body()).decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("ville;conseil;nom;email")
    assert "acteurs locaux" in text
    filled = (
        header
        + "\r\nSaint-Denis;Franc-Moisin – Bel-Air;Nadia Haddad;nadia.haddad@demo.example;;fr;acteurs locaux;"
        "non;membre;;Santé|Habitat et cadre de vie;oui\r\n"
    )
    await staff.get_by_label("Fichier CSV").set_input_files(
        files=FilePayload(name="membres.csv", mimeType="text/csv", buffer=filled.encode("utf-8"))
    )
    await staff.get_by_role("button", name="Importer : vérifier le fichier").click()
    await status(staff, "rien n'est encore enregistré")
    await expect(staff.get_by_role("table")).to_contain_text("Nadia Haddad")
    await expect(staff.get_by_role("table")).to_contain_text(FRANC_MOISIN)
    export = await staff.request.get(f"{base}/equipe/membres/export.csv")
    assert "nadia.haddad@demo.example" not in await export.text()  # the preview wrote nothing
    await check_page(staff, "import-apercu")
    await staff.get_by_role("button", name="Confirmer l'import").click()
    await status(staff, "1 membre(s) importé(s)")
    export = await staff.request.get(f"{base}/equipe/membres/export.csv")
    assert "nadia.haddad@demo.example" in await export.text()

    wrong = header + "\r\nSaint-Denis;Nulle part;X Y;x@demo.example;;;élus;;;;;\r\n"
    await staff.get_by_label("Fichier CSV").set_input_files(
        files=FilePayload(name="membres.csv", mimeType="text/csv", buffer=wrong.encode("utf-8"))
    )
    await staff.get_by_role("button", name="Importer : vérifier le fichier").click()
    await status(staff, "aucun membre n'a été enregistré")
    await expect(staff.get_by_role("table")).to_contain_text("conseil inconnu « Nulle part »")
    await expect(staff.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
    await check_page(staff, "import-refuse")
    await staff.goto(f"{base}/equipe/conseils")
    await expect(staff.get_by_role("link", name="Exporter les membres (CSV)")).to_be_visible()


async def attendance_acts(staff: Page, instance_url: str) -> None:
    await staff.goto(instance_url)
    await staff.get_by_label("Catégorie, ligne 1").select_option("elected")
    await staff.get_by_label("Organisation, ligne 1").fill("Ville de Saint-Denis")
    await staff.get_by_label("Fonction, ligne 1").fill("adjointe au maire")
    await staff.get_by_label("Organisation, ligne 2").fill("Préfecture")
    await staff.get_by_label("Fonction, ligne 2").fill("déléguée du préfet")
    await staff.get_by_role("button", name="Enregistrer la présence").click()
    await alert(staff, "ligne 2 : choisissez la catégorie")
    assert await focused_id(staff) == "autre-1-categorie"
    await expect(staff.get_by_label("Organisation, ligne 2")).to_have_value("Préfecture")
    await staff.get_by_label("Catégorie, ligne 2").select_option("state")
    await staff.get_by_label("Nombre de personnes, ligne 2").fill("2")
    await staff.get_by_role("button", name="Enregistrer la présence").click()
    await status(staff, "Présence enregistrée : aucun·e présent·e et 3 autre(s) participant·e(s).")
    await expect(staff.get_by_label("Organisation, ligne 1")).to_have_value("Ville de Saint-Denis")
    await check_page(staff, "presence-autres")


async def test_staff_do_their_everyday_acts_on_the_site(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        async with services.service("registry") as registry:
            (account,) = (await registry.get("/staff-accounts", params={"email": STAFF})).json()
        cookie = new_session(platform.auth_secret, subject=str(account["id"]), role="staff")
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        try:
            await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
            staff = await context.new_page()
            instance_url = await instance_acts(staff, platform.url, services)
            await people_acts(staff, platform.url)
            await import_acts(staff, platform.url)
            starts = tuesday_evening(30)
            platform.apps["meetings"].state.service.clock = lambda: starts + timedelta(hours=3)
            await attendance_acts(staff, instance_url)
        finally:
            await context.close()
