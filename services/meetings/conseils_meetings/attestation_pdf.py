"""The attestation of presence as a PDF (fpdf2): the instance, its date and hours, the name of the
councillor (given at download time, never stored), and the platform's verification code with the
address of the public page that checks it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

_FONTS = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class AttestationText:
    territory: str
    name: str
    instance_title: str
    instance_type: str
    location: str
    day: str  # "mardi 6 avril 2027"
    hours: str  # "de 18 h 30 à 20 h 30 (2 h)"
    code: str
    verify_url: str
    issued_on: str


def attestation_pdf(text: AttestationText) -> bytes:
    # fpdf2 (with Pillow and fontTools) weighs about 30 MiB of the service's memory: imported when
    # the first attestation is asked for, not by every process that serves the API
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"Attestation de présence - {text.instance_title}")
    pdf.set_author(text.territory)
    pdf.set_subject(f"Code de vérification {text.code}")
    pdf.set_keywords(text.code)
    pdf.set_lang("fr")
    font = _font(pdf)
    if font == "helvetica":  # the core fonts know Latin-1 only: other letters become "?"
        text = AttestationText(
            *(value.encode("latin-1", "replace").decode("latin-1") for value in vars(text).values())
        )
    pdf.add_page()
    pdf.set_margins(20, 20, 20)
    pdf.set_font(font, size=11)
    pdf.cell(0, 8, text.territory, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font(font, size=18)
    pdf.multi_cell(0, 10, "Attestation de présence", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(font, size=12)
    body = (
        f"La plateforme des conseils citoyens de {text.territory} atteste que {text.name} était "
        f"présent·e, en qualité de membre d'un conseil citoyen, à l'instance suivante :"
    )
    pdf.multi_cell(0, 7, body, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in (
        ("Instance", text.instance_title),
        ("Type", text.instance_type),
        ("Date", text.day),
        ("Horaires", text.hours),
        ("Lieu", text.location),
    ):
        pdf.multi_cell(0, 7, f"{label} : {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(
        0,
        7,
        "La participation aux conseils citoyens est bénévole "
        "(loi n° 2014-173 du 21 février 2014, article 7).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(8)
    pdf.set_font(font, size=14)
    pdf.multi_cell(0, 8, f"Code de vérification : {text.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=11)
    pdf.multi_cell(
        0,
        6,
        f"Vérifiez cette attestation sur {text.verify_url} avec ce code et le nom ci-dessus.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.multi_cell(0, 6, f"Délivrée le {text.issued_on}.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _font(pdf: FPDF) -> str:
    """DejaVu Sans (every name's letters) when the system has it, else the core Helvetica."""
    regular = _FONTS / "DejaVuSans.ttf"
    if regular.is_file():
        pdf.add_font("dejavu", "", str(regular))
        return "dejavu"
    return "helvetica"
