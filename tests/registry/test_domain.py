"""Rules of the registry, without I/O: referents, leaving, colleges, contact
cards, the CSV import and directory search normalisation."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from conseils_registry.domain import (
    CouncilState,
    MemberState,
    ReferentAssignment,
    check_college,
    check_dissolution,
    check_join,
    check_leave,
    check_themes,
    check_withdrawal,
    council_id_for,
    normalise_contact,
    normalise_search,
    plan_designation,
    referent_roles_lost_on_leave,
    search_terms,
    themes_column,
)
from conseils_registry.members_csv import parse_members_csv
from conseils_runtime.http import Conflict, DomainError

TODAY = date(2026, 11, 26)
THEMES = ["education", "emploi", "habitat", "sante", "tranquillite", "animation"]
COUNCIL = CouncilState(id=uuid.uuid4(), status="active")
OTHER_COUNCIL = CouncilState(id=uuid.uuid4(), status="active")
DISSOLVED = CouncilState(id=uuid.uuid4(), status="active", dissolved_on=date(2026, 1, 1))


def member(council: CouncilState = COUNCIL, **changes: object) -> MemberState:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "council_id": council.id,
        "college": "habitants",
        "drawn_by_lot": False,
        "role": "member",
        "joined_on": date(2025, 1, 1),
    }
    values.update(changes)
    return MemberState(**values)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- ids


def test_council_ids_are_derived_from_territory_and_council_slugs() -> None:
    first = council_id_for("plaine-commune", "courneuve-4000")
    assert first == council_id_for("plaine-commune", "courneuve-4000")
    assert first != council_id_for("plaine-commune", "stains-clos")
    assert first != council_id_for("est-ensemble", "courneuve-4000")
    assert first.version == 5


# --------------------------------------------------------------------------- referents


def test_designating_the_first_referent_of_a_theme() -> None:
    candidate = member()
    plan = plan_designation(COUNCIL, candidate, "emploi", THEMES, current_referent=None)
    assert plan.designate
    assert plan.replaced_member_id is None


def test_designating_someone_else_replaces_the_current_referent() -> None:
    current, candidate = member(), member()
    plan = plan_designation(COUNCIL, candidate, "emploi", THEMES, current_referent=current.id)
    assert plan.designate
    assert plan.replaced_member_id == current.id


def test_designating_the_current_referent_again_changes_nothing() -> None:
    current = member()
    plan = plan_designation(COUNCIL, current, "emploi", THEMES, current_referent=current.id)
    assert not plan.designate
    assert plan.replaced_member_id is None


@pytest.mark.parametrize(
    ("council", "candidate", "theme", "message"),
    [
        (COUNCIL, member(OTHER_COUNCIL), "emploi", "doit être membre de ce conseil"),
        (COUNCIL, member(left_on=date(2026, 2, 1)), "emploi", "membre actif"),
        (COUNCIL, member(erased=True), "emploi", "membre actif"),
        (COUNCIL, member(), "culture", "Thématique inconnue « culture »"),
        (DISSOLVED, member(DISSOLVED), "emploi", "dissous"),
    ],
    ids=["other-council", "left", "erased", "unknown-theme", "dissolved-council"],
)
def test_designation_refused(council: CouncilState, candidate: MemberState, theme: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        plan_designation(council, candidate, theme, THEMES, current_referent=None)
    assert message in refused.value.message


def test_withdrawing_a_theme_without_referent_is_refused_in_french() -> None:
    with pytest.raises(DomainError) as refused:
        check_withdrawal(None, "sante")
    assert refused.value.status_code == 404
    assert "pas de référent" in refused.value.message
    someone = uuid.uuid4()
    assert check_withdrawal(someone, "sante") == someone


def test_a_member_who_leaves_loses_every_referent_role_and_only_theirs() -> None:
    leaving, staying = uuid.uuid4(), uuid.uuid4()
    active = [
        ReferentAssignment(COUNCIL.id, "emploi", leaving),
        ReferentAssignment(COUNCIL.id, "sante", staying),
        ReferentAssignment(COUNCIL.id, "education", leaving),
    ]
    lost = referent_roles_lost_on_leave(leaving, active)
    assert [assignment.theme for assignment in lost] == ["emploi", "education"]
    assert referent_roles_lost_on_leave(uuid.uuid4(), active) == []


# --------------------------------------------------------------------------- members


@pytest.mark.parametrize(
    ("college", "drawn_by_lot", "accepted"),
    [
        ("habitants", True, True),
        ("habitants", False, True),
        ("acteurs_locaux", False, True),
        ("acteurs_locaux", True, False),
        ("elus", False, False),
    ],
)
def test_colleges_and_drawing_by_lot(college: str, drawn_by_lot: bool, accepted: bool) -> None:
    if accepted:
        check_college(college, drawn_by_lot)
    else:
        with pytest.raises(DomainError):
            check_college(college, drawn_by_lot)


def test_joining_a_dissolved_council_or_in_the_future_is_refused() -> None:
    with pytest.raises(Conflict, match="dissous"):
        check_join(DISSOLVED, "habitants", False, TODAY, TODAY)
    with pytest.raises(DomainError, match="futur"):
        check_join(COUNCIL, "habitants", False, date(2027, 1, 1), TODAY)
    check_join(COUNCIL, "habitants", True, TODAY, TODAY)


@pytest.mark.parametrize(
    ("state", "left_on", "message"),
    [
        (member(left_on=date(2026, 3, 1)), TODAY, "a quitté le conseil le 01/03/2026"),
        (member(erased=True), TODAY, "effacées"),
        (member(joined_on=date(2026, 5, 1)), date(2026, 4, 30), "précéder la date d'entrée"),
        (member(), date(2027, 1, 1), "futur"),
    ],
    ids=["already-left", "erased", "before-joining", "future"],
)
def test_leaving_refused(state: MemberState, left_on: date, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_leave(state, left_on, TODAY)
    assert message in refused.value.message


def test_dissolution_rules() -> None:
    with pytest.raises(Conflict, match="dissous"):
        check_dissolution(DISSOLVED, TODAY, None)
    with pytest.raises(DomainError, match="précéder la création"):
        check_dissolution(COUNCIL, date(2024, 12, 31), date(2025, 1, 1))
    check_dissolution(COUNCIL, date(2025, 1, 1), date(2025, 1, 1))


def test_leaving_on_the_day_of_joining_is_allowed() -> None:
    check_leave(member(joined_on=TODAY), TODAY, TODAY)


def test_themes_are_checked_and_deduplicated_in_order() -> None:
    assert check_themes(["sante", "emploi", "sante"], THEMES) == ["sante", "emploi"]
    with pytest.raises(DomainError, match="Thématique inconnue « sport »"):
        check_themes(["sport"], THEMES)


@pytest.mark.parametrize(
    ("name", "email", "phone", "language", "problem"),
    [
        ("A", "a@b.fr", None, "fr", "deux caractères"),
        ("Aïcha", "pas-une-adresse", None, "fr", "Adresse électronique invalide"),
        ("Aïcha", "a@b.fr", "appelez-moi", "fr", "téléphone invalide"),
        ("Aïcha", "a@b.fr", None, "Français", "langue invalide"),
    ],
)
def test_contact_cards_refused(name: str, email: str, phone: str | None, language: str, problem: str) -> None:
    with pytest.raises(DomainError, match=problem):
        normalise_contact(name, email, phone, language)


def test_contact_cards_are_normalised() -> None:
    card = normalise_contact("  Aïcha   Diallo ", " Aicha.Diallo@Demo.Example ", " ", "")
    assert card.display_name == "Aïcha Diallo"
    assert card.email == "aicha.diallo@demo.example"
    assert card.phone is None
    assert card.language == "fr"


# --------------------------------------------------------------------------- CSV import

HEADER = "conseil;nom;email;telephone;college;tirage_au_sort;role;date_entree;thematiques;consentement\n"


def parse(text: str, taken: dict[uuid.UUID, set[str]] | None = None):  # type: ignore[no-untyped-def]
    councils = {"franc-moisin": COUNCIL, str(COUNCIL.id): COUNCIL, "ancien": DISSOLVED}
    return parse_members_csv(text, councils=councils, known_themes=THEMES, taken=taken or {}, today=TODAY)


def test_a_valid_file_gives_one_member_per_row() -> None:
    report = parse(
        HEADER + "franc-moisin;Aïcha Diallo;aicha@demo.example;06 12 34 56 78;habitants;oui;coordinateur;"
        "2025-09-01;emploi|education;oui\n"
        + f"{COUNCIL.id};Marc Lefèvre;MARC@demo.example;;acteurs_locaux;non;membre;01/10/2025;;non\n"
    )
    assert report.ok, report.rows
    first, second = report.members
    assert (first.line, first.role, first.drawn_by_lot, first.consent) == (2, "coordinator", True, True)
    assert first.themes_followed == ["emploi", "education"]
    assert first.contact.phone == "06 12 34 56 78"
    assert (second.college, second.joined_on, second.contact.email) == (
        "acteurs_locaux",
        date(2025, 10, 1),
        "marc@demo.example",
    )
    assert report.summary_fr() == "2 membre(s) importé(s)."


def test_an_unreadable_csv_is_refused_in_french() -> None:
    """Found by the OpenAPI fuzzer: a stray carriage return inside a field was a 500."""
    report = parse("\x1b}`\u00cd\r\u00d0B\r\n")  # a lone CR: read as a line end, not an error
    assert not report.ok
    with pytest.raises(DomainError, match="Fichier CSV illisible"):
        parse(HEADER + "franc-moisin;" + "x" * 200_000 + ";a@demo.example\n")  # over the csv field limit


def test_a_cell_protected_by_our_export_reads_back_as_typed() -> None:
    report = parse(
        HEADER + "franc-moisin;Léa Petit;lea@demo.example;'+33 6 12 34 56 78;habitants;non;membre;;;non\n"
    )
    assert report.ok, report.rows
    assert report.members[0].contact.phone == "+33 6 12 34 56 78"


def test_comma_separated_files_and_defaults_are_accepted() -> None:
    report = parse("\ufeffconseil,nom,email\nfranc-moisin,Fatou Sow,fatou@demo.example\n")
    assert report.ok
    (imported,) = report.members
    assert (imported.college, imported.role, imported.joined_on, imported.drawn_by_lot) == (
        "habitants",
        "member",
        TODAY,
        False,
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("inconnu;Fatou Sow;fatou@demo.example;;;;;;;", "conseil inconnu « inconnu »"),
        (";Fatou Sow;fatou@demo.example;;;;;;;", "conseil : champ obligatoire manquant"),
        ("franc-moisin;Fatou Sow;fatou-at-demo;;;;;;;", "Adresse électronique invalide"),
        ("franc-moisin;Fatou Sow;fatou@demo.example;;acteurs_locaux;oui;;;;", "tirés au sort"),
        ("franc-moisin;Fatou Sow;fatou@demo.example;;;peut-être;;;;", "ni oui ni non"),
        ("franc-moisin;Fatou Sow;fatou@demo.example;;;;président;;;", "rôle inconnu"),
        ("franc-moisin;Fatou Sow;fatou@demo.example;;;;;31/02/2025;;", "n'est pas une date"),
        ("franc-moisin;Fatou Sow;fatou@demo.example;;;;;;sport;", "Thématique inconnue"),
        ("ancien;Fatou Sow;fatou@demo.example;;;;;;;", "dissous"),
        ("franc-moisin;Fatou Sow;fatou@demo.example;;;;;2027-01-01;;", "dans le futur"),
        ("franc-moisin;Fatou Sow;deja@demo.example;;;;;;;", "déjà membre actif"),
    ],
    ids=[
        "unknown-council",
        "no-council",
        "bad-email",
        "lot-for-local-actor",
        "bad-boolean",
        "bad-role",
        "bad-date",
        "unknown-theme",
        "dissolved",
        "future",
        "already-member",
    ],
)
def test_one_bad_row_refuses_the_whole_file_with_its_line(row: str, message: str) -> None:
    good = "franc-moisin;Aïcha Diallo;aicha@demo.example;;;;;;;\n"
    report = parse(HEADER + good + row + "\n", taken={COUNCIL.id: {"deja@demo.example"}})
    assert not report.ok
    assert [r.ok for r in report.rows] == [True, False]
    bad = report.rows[1]
    assert bad.line == 3
    assert any(message in text for text in bad.messages), bad.messages
    assert "aucun membre n'a été enregistré" in report.summary_fr()


def test_a_row_collects_every_problem_it_has() -> None:
    report = parse(HEADER + "inconnu;Xavier;pas-une-adresse;;;peut-être;;;sport;\n")
    messages = report.rows[0].messages
    assert len(messages) == 4
    assert messages[0] == "conseil inconnu « inconnu »"
    assert messages[1].startswith("Adresse électronique invalide")
    assert "ni oui ni non" in messages[2]
    assert "Thématique inconnue" in messages[3]


def test_the_same_person_twice_in_one_file_is_refused() -> None:
    row = "franc-moisin;Aïcha Diallo;aicha@demo.example;;;;;;;\n"
    report = parse(HEADER + row + row.replace("aicha@", "AICHA@"))
    assert not report.ok
    assert "figure déjà ligne 2" in report.rows[1].messages[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "vide"),
        ("nom;email\nX;x@y.fr\n", "manquante(s) : conseil"),
        ("conseil;nom;email;age\n", "inconnue(s) : age"),
    ],
)
def test_a_file_with_wrong_columns_is_refused(text: str, problem: str) -> None:
    report = parse(text)
    assert not report.ok
    assert problem in report.summary_fr()


def test_a_file_with_only_a_header_imports_nothing() -> None:
    report = parse(HEADER)
    assert not report.ok
    assert "aucune ligne" in report.summary_fr()


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Épinay-sur-Seine", "epinay sur seine"),
        ("L'Île-Saint-Denis", "l ile saint denis"),
        ("CHARGÉ DE MISSION Emploi", "charge de mission emploi"),
        ("Cœur de quartier", "coeur de quartier"),
        ("  Maison   des  Projets ", "maison des projets"),
    ],
)
def test_search_text_ignores_case_accents_and_punctuation(text: str, normalised: str) -> None:
    assert normalise_search(text) == normalised


def test_search_terms_never_carry_like_wildcards() -> None:
    assert search_terms("100% _emploi_") == ["100", "emploi"]
    assert themes_column(["emploi", "sante"]) == " emploi sante "
    assert themes_column([]) == " "
