"""Issue 18: every staff form answers a wrong or missing field with 4xx, the French reason
next to the field (linked from the summary at the top, the first invalid field focused) and
what was typed kept; the acts reach the services with the right body (a fake registry and a
fake meetings service record what the site sends, answering as the real APIs serialise)."""

from __future__ import annotations

import html as entities
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_meetings.api import InstanceOut
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from conseils_web.staff import forms
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, build_site, csrf_for, session_for
from tests.web.staff_list_fake import STAFF_LIST, staff_list_answer
from tests.web.test_instance_states import INSTANCE_ID, STARTS, stored_row

MEMBER = uuid.UUID("00000000-0000-0000-0000-0000000018a1")
MOVED = uuid.UUID("00000000-0000-0000-0000-0000000018a2")
OTHER_COUNCIL = uuid.UUID("00000000-0000-0000-0000-0000000000c2")
DOC = uuid.UUID("00000000-0000-0000-0000-0000000018d1")
NOW = STARTS - timedelta(days=20)


def council(council_id: uuid.UUID, name: str) -> dict[str, Any]:
    return {
        "id": str(council_id),
        "slug": name.lower().replace(" ", "-"),
        "name": name,
        "city": "Saint-Denis",
        "city_code": "93066",
        "neighbourhood": "Franc-Moisin",
        "neighbourhood_code": "QP093066A",
        "status": "active",
        "created_on": "2024-01-01",
        "dissolved_on": None,
    }


def member(member_id: uuid.UUID = MEMBER, council_id: uuid.UUID = COUNCIL_ID) -> dict[str, Any]:
    return {
        "id": str(member_id),
        "council_id": str(council_id),
        "display_name": "Léa Petit",
        "email": "lea.petit@demo.example",
        "phone": None,
        "language": "fr",
        "college": "habitants",
        "role": "member",
        "drawn_by_lot": False,
        "joined_on": "2025-01-01",
        "left_on": None,
        "themes_followed": ["emploi"],
        "erased_at": None,
        "consent_given_at": None,
    }


REPORT_OK = {
    "detail": "Aperçu : 1 membre(s) à importer ; rien n'est encore enregistré.",
    "code": "apercu_valide",
    "lignes": [{"ligne": 2, "statut": "ok", "messages": [], "nom": "Léa Petit", "conseil": "Conseil A"}],
    "membres_crees": [],
}
REPORT_REFUSED = {
    "detail": "Import refusé : 1 ligne(s) en erreur sur 1 ; aucun membre n'a été enregistré.",
    "code": "import_refuse",
    "lignes": [{"ligne": 2, "statut": "erreur", "messages": ["conseil inconnu « Nulle part »"], "nom": "X"}],
    "membres_crees": [],
}


class Fake:
    """The registry and meetings as the site calls them; `sent` keeps (method, path, body)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []
        docs = [
            {
                "id": str(DOC),
                "kind": "dossier",
                "filename": "mauvais.pdf",
                "media_type": "application/pdf",
                "size_bytes": 10,
                "sha256": "0" * 64,
                "version": 1,
                "uploaded_at": NOW.isoformat(),
                "published_at": None,
            }
        ]
        self.instance = InstanceOut.of(
            stored_row("scheduled", dossier_documents=docs), staff=True, timezone="Europe/Paris"
        ).model_dump(mode="json")
        self.refusals: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body: Any = None
        if request.content and request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(request.content)
        self.sent.append(
            (method, path + (f"?{request.url.query.decode()}" if request.url.query else ""), body)
        )
        if (method, path) in self.refusals:
            status, answer = self.refusals[(method, path)]
            return httpx.Response(status, json=answer)
        councils = [council(COUNCIL_ID, "Conseil A"), council(OTHER_COUNCIL, "Conseil B")]
        answers: dict[tuple[str, str], Any] = {
            ("GET", "/councils"): councils,
            ("GET", f"/councils/{COUNCIL_ID}"): councils[0],
            ("GET", "/members"): [member()],
            ("GET", f"/members/{MEMBER}"): member(),
            ("POST", "/members"): member(),
            ("PUT", f"/members/{MEMBER}/contact"): member(),
            ("PATCH", f"/members/{MEMBER}"): member(),
            ("POST", f"/members/{MEMBER}/move"): member(MOVED, OTHER_COUNCIL),
            ("POST", f"/members/{MEMBER}/leave"): member(),
            ("POST", "/members/import"): REPORT_OK,
            ("GET", STAFF_LIST): staff_list_answer([self.instance], request.url.params),
            ("GET", f"/instances/{INSTANCE_ID}"): self.instance,
            ("PATCH", f"/instances/{INSTANCE_ID}"): self.instance,
            ("POST", "/instances"): self.instance,
            ("POST", f"/instances/{INSTANCE_ID}/attendance"): self.instance,
            ("POST", f"/instances/{INSTANCE_ID}/dossier/publish"): self.instance,
            ("GET", f"/instances/{INSTANCE_ID}/registrations"): [],
            ("GET", f"/instances/{INSTANCE_ID}/attendance"): [],
            ("GET", "/notifications/deliveries"): [],
        }
        if (method, path) in {
            ("DELETE", f"/members/{MEMBER}"),
            ("DELETE", f"/instances/{INSTANCE_ID}/documents/{DOC}"),
        }:
            return httpx.Response(204)
        if (method, path) not in answers:
            return httpx.Response(404, json={"detail": f"Introuvable : {method} {path}"})
        return httpx.Response(201 if method == "POST" else 200, json=answers[(method, path)])


@pytest.fixture
async def staff(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Fake]]:
    fake = Fake()
    app = build_site(tmp_path, fake)
    app.state.site.clock = lambda: NOW
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("staff"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client, fake


def post(client: httpx.AsyncClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(url, data={"csrf": csrf_for(), **data}, **kwargs)


def main(page: httpx.Response) -> str:
    return entities.unescape(page.text.split("<main", 1)[1].split("</main>", 1)[0])


def field_error_of(page: httpx.Response, field: str) -> str:
    """The error shown next to `field`, after checking the summary links to it and the field
    itself is marked invalid (and focused when it is the first)."""
    html = main(page)
    assert f'href="#{field}"' in html, html
    found = re.search(rf'<p class="erreur-champ" id="{re.escape(field)}-erreur">([^<]+)</p>', html)
    assert found, html
    assert re.search(rf'id="{re.escape(field)}"[^>]*aria-describedby="{re.escape(field)}-erreur"', html), html
    return found.group(1)


def first_focused(page: httpx.Response) -> str:
    found = re.findall(r'id="([^"]+)"[^>]*autofocus', main(page))
    assert len(found) == 1, found
    return found[0]


SCHEDULE = {
    "instance_type": "comite-technique",
    "title": "Comité emploi",
    "theme": "emploi",
    "city_code": "",
    "council_id": "",
    "day": (NOW - timedelta(days=2)).date().isoformat(),
    "start": "18:30",
    "end": "20:30",
    "location": "Maison de quartier",
}


async def test_an_instance_in_the_past_is_refused_at_the_date_field(staff: Any) -> None:
    client, fake = staff
    page = await post(client, "/equipe/instances", SCHEDULE)
    assert page.status_code == 400
    assert "dans le passé" in field_error_of(page, "day")
    assert first_focused(page) == "day"
    assert 'value="Maison de quartier"' in main(page)  # what was typed is kept
    assert not [s for s in fake.sent if s[0] == "POST"]


async def test_a_draft_is_saved_without_a_preview(staff: Any) -> None:
    client, fake = staff
    future = {**SCHEDULE, "day": (NOW + timedelta(days=30)).date().isoformat(), "brouillon": "oui"}
    page = await post(client, "/equipe/instances", future)
    assert page.status_code == 303
    (body,) = [s[2] for s in fake.sent if s[:2] == ("POST", "/instances")]
    assert body["as_draft"] is True
    assert "dry_run" not in body


async def test_the_list_is_filtered_by_a_get_form(staff: Any) -> None:
    client, _ = staff
    shown = await client.get("/equipe/instances", params={"type": "comite-technique", "etat": "scheduled"})
    assert "Comité technique mobilités" in main(shown)
    hidden = await client.get("/equipe/instances", params={"type": "clip"})
    assert "Comité technique mobilités" not in main(hidden).split('id="brouillons"')[0].split("Filtrer")[1]
    copied = await client.get("/equipe/instances", params={"copier": str(INSTANCE_ID)})
    assert 'value="Maison de quartier"' in main(copied)
    assert "choisissez la date" in main(copied)


async def test_cancel_minutes_and_upload_without_their_field_answer_400_next_to_it(staff: Any) -> None:
    client, _ = staff
    url = f"/equipe/instances/{INSTANCE_ID}"
    cancel = await post(client, f"{url}/annuler", {"reason": ""})
    assert cancel.status_code == 400
    assert "motif" in field_error_of(cancel, "reason")
    minutes = await post(client, f"{url}/compte-rendu", {"summary": " "})
    assert minutes.status_code == 400
    assert "résumé" in field_error_of(minutes, "summary")
    upload = await post(
        client, f"{url}/documents", {"kind": "dossier"}, files={"file": ("", b"", "text/plain")}
    )
    assert upload.status_code == 400
    assert "fichier" in field_error_of(upload, "file")
    assert first_focused(upload) == "file"


async def test_publishing_nothing_is_refused_in_french_at_the_button(staff: Any) -> None:
    client, fake = staff
    fake.refusals[("POST", f"/instances/{INSTANCE_ID}/dossier/publish")] = (
        409,
        {
            "detail": "Aucun document nouveau à publier : déposez d'abord le dossier.",
            "code": "rien_a_publier",
        },
    )
    page = await post(client, f"/equipe/instances/{INSTANCE_ID}/dossier/publier", {})
    assert page.status_code == 400
    assert "Aucun document nouveau" in field_error_of(page, "publier")


async def test_a_document_is_removed_before_publication(staff: Any) -> None:
    client, fake = staff
    page = await client.get(f"/equipe/instances/{INSTANCE_ID}")
    assert f"/documents/{DOC}/supprimer" in page.text
    removed = await post(client, f"/equipe/instances/{INSTANCE_ID}/documents/{DOC}/supprimer", {})
    assert removed.status_code == 303
    assert ("DELETE", f"/instances/{INSTANCE_ID}/documents/{DOC}", None) in fake.sent


async def test_attendance_counts_other_participants_and_agrees_in_number(staff: Any) -> None:
    client, fake = staff
    data = {
        "present": [str(MEMBER)],
        "autre-0-categorie": "elected",
        "autre-0-organisation": "Ville de Saint-Denis",
        "autre-0-fonction": "adjointe au maire",
        "autre-0-nombre": "",
        "autre-1-categorie": "",
        "autre-1-organisation": "",
        "autre-1-fonction": "",
        "autre-1-nombre": "",
    }
    page = await post(client, f"/equipe/instances/{INSTANCE_ID}/presence", data)
    assert page.status_code == 303
    assert "1%20pr%C3%A9sent%C2%B7e%20et%201" in page.headers["set-cookie"]
    (body,) = [s[2] for s in fake.sent if s[:2] == ("POST", f"/instances/{INSTANCE_ID}/attendance")]
    assert body["others"] == [
        {
            "category": "elected",
            "organisation": "Ville de Saint-Denis",
            "role": "adjointe au maire",
            "count": 1,
        }
    ]
    wrong = await post(client, f"/equipe/instances/{INSTANCE_ID}/presence", {**data, "autre-0-categorie": ""})
    assert wrong.status_code == 400
    assert "catégorie" in field_error_of(wrong, "autre-0-categorie")
    assert 'value="Ville de Saint-Denis"' in main(wrong)
    assert forms.present_label(1) == "1 présent·e"
    assert forms.present_label(3) == "3 présent·es"


async def test_the_edit_form_keeps_what_was_typed(staff: Any) -> None:
    client, fake = staff
    page = await post(
        client,
        f"/equipe/instances/{INSTANCE_ID}/modifier",
        {"title": "x", "theme": "emploi", "description": "Ordre du jour", "location": ""},
    )
    assert page.status_code == 400
    assert "intitulé" in field_error_of(page, "title")
    assert "Ordre du jour" in main(page)
    done = await post(
        client,
        f"/equipe/instances/{INSTANCE_ID}/modifier",
        {"title": "Comité emploi", "theme": "emploi", "description": "Ordre du jour", "location": "Ailleurs"},
    )
    assert done.status_code == 303
    (body,) = [s[2] for s in fake.sent if s[0] == "PATCH"]
    assert body == {"title": "Comité emploi", "theme": "emploi", "description": "Ordre du jour"}  # no place


async def test_a_member_form_shows_each_error_next_to_its_field(staff: Any) -> None:
    client, fake = staff
    page = await post(
        client,
        "/equipe/membres",
        {
            "council_id": "",
            "display_name": "Léa",
            "email": "pas-une-adresse",
            "college": "acteurs_locaux",
            "role": "member",
            "drawn_by_lot": "oui",
        },
    )
    assert page.status_code == 400
    assert "conseil" in field_error_of(page, "council_id")
    assert "adresse électronique" in field_error_of(page, "email")
    assert "tirés au sort" in field_error_of(page, "college")
    assert first_focused(page) == "council_id"
    assert 'value="pas-une-adresse"' in main(page)
    fake.refusals[("POST", "/members")] = (
        409,
        {"detail": "lea.petit@demo.example est déjà membre actif de ce conseil."},
    )
    again = await post(
        client,
        "/equipe/membres",
        {
            "council_id": str(COUNCIL_ID),
            "display_name": "Léa Petit",
            "email": "lea.petit@demo.example",
            "college": "habitants",
            "role": "member",
        },
    )
    assert again.status_code == 400
    assert "déjà membre actif" in field_error_of(again, "email")


async def test_a_member_is_moved_and_erased_with_a_receipt(staff: Any) -> None:
    client, fake = staff
    missing = await post(client, f"/equipe/membres/{MEMBER}/changer-de-conseil", {"to_council_id": ""})
    assert missing.status_code == 400
    assert "conseil" in field_error_of(missing, "to_council_id")
    moved = await post(
        client, f"/equipe/membres/{MEMBER}/changer-de-conseil", {"to_council_id": str(OTHER_COUNCIL)}
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/equipe/membres/{MOVED}"
    assert ("POST", f"/members/{MEMBER}/move", {"council_id": str(OTHER_COUNCIL)}) in fake.sent

    confirm = await client.get(f"/equipe/membres/{MEMBER}/effacer")
    assert "définitif" in main(confirm)
    unconfirmed = await post(client, f"/equipe/membres/{MEMBER}/effacer", {})
    assert unconfirmed.status_code == 400
    assert "confirmer" in field_error_of(unconfirmed, "confirmer")
    assert not [s for s in fake.sent if s[0] == "DELETE"]
    receipt = await post(client, f"/equipe/membres/{MEMBER}/effacer", {"confirmer": "oui"})
    assert receipt.status_code == 200
    assert "Récépissé d'effacement" in main(receipt)
    assert "lea.petit@demo.example" not in main(receipt)
    assert ("DELETE", f"/members/{MEMBER}", None) in fake.sent


async def test_a_council_form_refuses_a_bad_slug_and_dissolving_needs_confirmation(staff: Any) -> None:
    client, fake = staff
    page = await post(
        client, "/equipe/conseils/nouveau", {"name": "Conseil C", "slug": "Pas Bon", "neighbourhood_code": ""}
    )
    assert page.status_code == 400
    assert "minuscules" in field_error_of(page, "slug")
    assert "quartier" in field_error_of(page, "neighbourhood_code")
    dissolve = await post(client, f"/equipe/conseils/{COUNCIL_ID}/dissoudre", {})
    assert dissolve.status_code == 400
    assert "Cochez" in field_error_of(dissolve, "confirmer")
    assert not [s for s in fake.sent if "dissolution" in s[1]]


async def test_the_import_previews_then_applies_and_a_refusal_says_which_rows(staff: Any) -> None:
    client, fake = staff
    csv = "ville;conseil;nom;email\r\nSaint-Denis;Conseil A;Léa Petit;lea@demo.example\r\n".encode()
    preview = await post(
        client, "/equipe/membres/import", {}, files={"file": ("membres.csv", csv, "text/csv")}
    )
    assert preview.status_code == 200
    assert "rien n'est encore enregistré" in main(preview)
    assert "Confirmer l'import" in main(preview)
    assert [s[1] for s in fake.sent if s[1].startswith("/members/import")] == ["/members/import?dry_run=true"]
    kept = re.search(r'<input type="hidden" name="contenu" value="([^"]*)">', main(preview))
    assert kept
    assert "Léa Petit" in kept.group(1)
    applied = await post(client, "/equipe/membres/import", {"confirmer": "oui", "contenu": kept.group(1)})
    assert applied.status_code == 200
    assert [s[1] for s in fake.sent if s[1].startswith("/members/import")][
        -1
    ] == "/members/import?dry_run=false"

    fake.refusals[("POST", "/members/import")] = (422, REPORT_REFUSED)
    refused = await post(
        client, "/equipe/membres/import", {}, files={"file": ("membres.csv", csv, "text/csv")}
    )
    assert refused.status_code == 400
    assert "conseil inconnu « Nulle part »" in main(refused)
    assert "Confirmer l'import" not in main(refused)
    empty = await post(client, "/equipe/membres/import", {}, files={"file": ("", b"", "text/csv")})
    assert empty.status_code == 400
    assert "fichier CSV" in field_error_of(empty, "file")
