"""The rules of lifting the barriers to attending, as plain Python (no I/O): the needs a
councillor declares (what each needs, by when it must be booked), the checks of a cost claim
(eligible, under the caps, after an instance she attended, with a receipt that really is an image
or a PDF), the easy-to-read documents' types, and the attestation's verification code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from conseils_runtime.errors import Conflict, DomainError
from conseils_runtime.territory_attending import NEED_KINDS, ClaimsSettings, NeedsSettings
from conseils_schemas.events.attending import NeedKind

NEED_LABELS: dict[str, str] = {
    "childcare": "Garde d'enfants",
    "sign_language": "Interprète en langue des signes (LSF)",
    "interpreting": "Autre interprétariat",
    "hearing_loop": "Boucle magnétique",
    "step_free": "Accès de plain-pied",
    "transport": "Aide au transport",
    "other": "Autre besoin",
}
CLAIM_LABELS: dict[str, str] = {"childcare": "Garde d'enfants", "transport": "Transport"}
CLAIM_STATUS_LABELS: dict[str, str] = {
    "submitted": "en attente de décision",
    "approved": "approuvée",
    "refused": "refusée",
    "paid": "payée",
}
MAX_DETAIL = 300
MAX_CHILDREN = 10


class NeedRefused(DomainError):
    code = "besoin_refuse"


class ClaimRefused(DomainError):
    code = "demande_refusee"


class ReceiptRefused(DomainError):
    code = "justificatif_refuse"


@dataclass(frozen=True)
class NeedRequest:
    """One need as she declares it: for childcare how many children and their ages; for
    interpreting or another need a few words (which language, what)."""

    kind: NeedKind
    children: int | None = None
    ages: tuple[int, ...] = ()
    detail: str | None = None


def clean_detail(text: str | None) -> str | None:
    """Free text of a need: at most 300 characters, no control characters (refused, not cut)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if len(value) > MAX_DETAIL:
        raise NeedRefused(f"Précisez votre besoin en {MAX_DETAIL} caractères au plus.")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise NeedRefused("Le texte contient des caractères de contrôle : écrivez-le sur une ligne.")
    return value


def check_needs(requests: list[NeedRequest]) -> list[NeedRequest]:
    """Her needs, checked: each kind once, childcare with 1 to 10 children of 0 to 17 years,
    "other" with its description."""
    kinds = [request.kind for request in requests]
    if len(set(kinds)) != len(kinds):
        raise NeedRefused("Chaque besoin ne se déclare qu'une fois.")
    checked = []
    for request in requests:
        if request.kind not in NEED_KINDS:
            raise NeedRefused("Besoin inconnu.")
        detail = clean_detail(request.detail)
        if request.kind == "childcare":
            children = request.children or 0
            if not 1 <= children <= MAX_CHILDREN:
                raise NeedRefused(f"Garde d'enfants : indiquez le nombre d'enfants (1 à {MAX_CHILDREN}).")
            if len(request.ages) != children or any(not 0 <= age <= 17 for age in request.ages):
                raise NeedRefused("Garde d'enfants : indiquez l'âge de chaque enfant (0 à 17 ans).")
            checked.append(NeedRequest("childcare", children, tuple(request.ages), detail))
        elif request.kind == "other" and detail is None:
            raise NeedRefused("Autre besoin : décrivez-le en quelques mots.")
        else:
            checked.append(NeedRequest(request.kind, None, (), detail))
    return checked


def parse_ages(text: str) -> tuple[int, ...]:
    """ "3, 7" -> (3, 7): the ages of her children as she types them."""
    parts = [part for part in re.split(r"[\s,;/et]+", text.strip()) if part]
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise NeedRefused(
            "Garde d'enfants : les âges s'écrivent en chiffres, séparés par des virgules."
        ) from None


def book_by(starts_at: datetime, kind: str, settings: NeedsSettings) -> datetime:
    """When the need must be booked at the latest: the start minus the need's lead time."""
    return starts_at - timedelta(days=settings.lead_days.of(kind))


def count_needs(rows: list[tuple[str, bool]]) -> tuple[dict[str, int], dict[str, int]]:
    """(kind, booked) rows -> requested and booked counts per kind (only the kinds asked)."""
    requested: dict[str, int] = {}
    booked: dict[str, int] = {}
    for kind, is_booked in rows:
        requested[kind] = requested.get(kind, 0) + 1
        if is_booked:
            booked[kind] = booked.get(kind, 0) + 1
    return requested, {kind: booked.get(kind, 0) for kind in requested}


# --------------------------------------------------------------------------- cost claims


def parse_euros(text: str) -> int:
    """ "12,50" or "12.5" -> 1250 cents (refused in French when it is no amount)."""
    value = text.strip().replace("\u202f", "").replace(" ", "").replace("€", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ClaimRefused("Indiquez le montant en euros, par exemple 12,50.") from None
    if not amount.is_finite() or amount <= 0:
        raise ClaimRefused("Le montant doit être supérieur à zéro.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ClaimRefused("Le montant s'écrit avec deux décimales au plus.")
    return int(amount * 100)


def euros(cents: int) -> str:
    """1250 -> "12,50 €"."""
    return f"{cents // 100},{cents % 100:02d} €"


def cap_cents(kind: str, hours: float | None, rules: ClaimsSettings) -> int:
    """The most she may claim: per instance, and for childcare per hour too."""
    cap = rules.caps.per_instance(kind)
    if kind == "childcare" and hours is not None:
        cap = min(cap, rules.caps.childcare_per_hour * Decimal(str(hours)))
    return int((cap * 100).to_integral_value())


def check_claim(
    kind: str,
    amount_cents: int,
    hours: float | None,
    rules: ClaimsSettings,
    *,
    attended: bool,
    already_claimed: bool,
    ended_at: datetime,
    now: datetime,
) -> None:
    """Why a claim is refused: kind not eligible, no hours for childcare, above the cap (422);
    an instance she did not attend, not over yet or too long ago, a second claim (409)."""
    if kind not in rules.eligible:
        raise ClaimRefused("Ce type de frais n'est pas remboursé sur ce territoire.")
    if now < ended_at:
        raise Conflict("L'instance n'est pas terminée : la demande se fait après.", code="pas_terminee")
    if not attended:
        raise Conflict(
            "Votre présence à cette instance n'est pas enregistrée : seuls les présents sont remboursés.",
            code="absente",
        )
    if now > ended_at + timedelta(days=rules.window_days):
        raise Conflict(f"La demande se fait dans les {rules.window_days} jours qui suivent l'instance.")
    if already_claimed:
        raise Conflict(
            "Vous avez déjà fait une demande pour ces frais à cette instance.", code="deja_demande"
        )
    if kind == "childcare" and (hours is None or not 0 < hours <= 24):
        raise ClaimRefused("Garde d'enfants : indiquez le nombre d'heures (par exemple 3 ou 2,5).")
    cap = cap_cents(kind, hours, rules)
    if amount_cents > cap:
        per_hour = (
            f" ({euros(int(rules.caps.childcare_per_hour * 100))} de l'heure)" if kind == "childcare" else ""
        )
        raise ClaimRefused(f"Le montant dépasse le plafond : {euros(cap)} au plus{per_hour}.", code="plafond")


def next_status(status: str, decision: str) -> str:
    """submitted -> approved | refused; approved -> paid. Anything else is refused (409)."""
    allowed = {("submitted", "approved"), ("submitted", "refused"), ("approved", "paid")}
    if (status, decision) not in allowed:
        raise Conflict(f"Cette demande est {CLAIM_STATUS_LABELS.get(status, status)} : impossible.")
    return decision


# --------------------------------------------------------------------------- files checked by content

RECEIPT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def receipt_type(head: bytes, size: int, max_bytes: int) -> str:
    """The media type of a receipt, by its first bytes: a photo (JPEG, PNG, WebP, HEIC) or a PDF."""
    if size == 0:
        raise ReceiptRefused("Le justificatif est vide.")
    if size > max_bytes:
        raise ReceiptRefused(f"Justificatif trop volumineux ({max_bytes // (1024 * 1024)} Mo au plus).")
    for media_type, signatures in RECEIPT_TYPES.items():
        if any(head.startswith(signature) for signature in signatures):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif"):
        return "image/heic"
    raise ReceiptRefused("Le justificatif doit être une photo (JPEG, PNG, WebP, HEIC) ou un PDF.")


def audio_type(head: bytes) -> str | None:
    """mp3, ogg or m4a by content, or None."""
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso", b"M4B"):
        return "audio/mp4"
    return None


# --------------------------------------------------------------------------- attestation


def attestation_code(key: bytes, instance_id: uuid.UUID, member_id: uuid.UUID, name: str) -> str:
    """The platform's signature of an attestation: an HMAC of the instance, the councillor and the
    name printed, 80 bits in base32, read aloud or typed as XXXX-XXXX-XXXX-XXXX."""
    message = f"attestation|{instance_id}|{member_id}|{normalise_name(name)}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:10]
    text = base64.b32encode(digest).decode()
    return "-".join(text[index : index + 4] for index in range(0, 16, 4))


def normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def normalise_code(code: str) -> str:
    text = re.sub(r"[^A-Za-z2-7]", "", code).upper()
    return "-".join(text[index : index + 4] for index in range(0, len(text), 4))
