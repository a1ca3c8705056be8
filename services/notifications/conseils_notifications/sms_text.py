"""The text of an SMS: GSM-7 only (GSM 03.38, the alphabet every French handset shows), one
segment (160 septets; a character of the extension table counts two), French accents kept
where GSM-7 has them and transliterated where it does not (ê -> e, ç -> c, œ -> oe, « » -> ").
Plain Python."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

SEGMENT = 160
"""Septets of one GSM-7 segment (coding=0): a longer text is split and billed twice."""

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
"""Sent as an escape and the character: two septets each."""

_TRANSLITERATION: Mapping[str, str] = {
    "â": "a",
    "á": "a",
    "ã": "a",
    "À": "A",
    "Â": "A",
    "ç": "c",
    "ê": "e",
    "ë": "e",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "î": "i",
    "ï": "i",
    "Î": "I",
    "Ï": "I",
    "ô": "o",
    "Ô": "O",
    "û": "u",
    "Û": "U",
    "Ù": "U",
    "ÿ": "y",
    "œ": "oe",
    "Œ": "OE",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "–": "-",
    "—": "-",
    "…": "...",
    "·": ".",
    "•": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\t": " ",
}

_DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def to_gsm7(text: str) -> str:
    """`text` with every character GSM-7 can carry; the others transliterated (or dropped)."""
    out: list[str] = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _TRANSLITERATION:
            out.append(_TRANSLITERATION[char])
        else:
            bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append("".join(c for c in bare if c in GSM7_BASIC))
    return "".join(out)


def septets(text: str) -> int:
    """Length of a GSM-7 text on the air (extension characters count two)."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _cut(text: str, room: int) -> str:
    if septets(text) <= room:
        return text
    if room <= 3:
        return ""
    kept = ""
    for char in text:
        if septets(kept + char) > room - 3:
            break
        kept += char
    return kept.rstrip(" ,.;:-") + "..."


def fit_segment(head: str, body: str, link: str, limit: int = SEGMENT) -> str:
    """`head body link` in GSM-7 within one segment: the body (title, place) is cut first,
    the head (what it is about) next; the link is never cut (it must stay valid)."""
    head, body, link = to_gsm7(head).strip(), to_gsm7(body).strip(), to_gsm7(link).strip()
    tail = f" {link}" if link else ""
    room = limit - septets(tail)
    if room <= 0:
        raise ValueError("link longer than one SMS segment")
    head = _cut(head, room)
    room_for_body = room - septets(head) - (1 if head and body else 0)
    body = _cut(body, room_for_body) if room_for_body > 0 else ""
    text = " ".join(part for part in (head, body) if part) + tail
    assert septets(text) <= limit
    assert is_gsm7(text)
    return text


_HEADS = {
    "scheduled": "Conseils citoyens - nouvelle instance :",
    "rescheduled": "Conseils citoyens - instance déplacée :",
    "cancelled": "Conseils citoyens - instance annulée :",
    "dossier": "Conseils citoyens - dossier disponible :",
    "reminder": "Rappel conseils citoyens :",
    "minutes": "Conseils citoyens - compte rendu :",
    "registered": "Inscription confirmée :",
    "waitlisted": "Liste d'attente :",
    "promoted": "Place confirmée :",
    "unregistered": "Inscription annulée :",
    "presence": "Étiez-vous présent·e ?",
}


def when(starts_at: str, timezone: str) -> str:
    """'mar. 3/3 18h30' in the territory's time zone."""
    local = datetime.fromisoformat(starts_at).astimezone(ZoneInfo(timezone))
    return f"{_DAYS[local.weekday()]} {local.day}/{local.month} {local.hour}h{local.minute:02d}"


def sms_body(kind: str, context: Mapping[str, Any], *, link: str, timezone: str) -> str:
    """The one-segment SMS of a delivery: what happens, when, where, and the short link."""
    head = _HEADS.get(kind, "Conseils citoyens :")
    instance = context.get("instance")
    if not isinstance(instance, Mapping):
        return fit_segment(head, str(context.get("title", "")), link)
    if kind == "reminder" and context.get("days_before") == 1:
        head = "Rappel : demain"
    elif kind == "reminder" and context.get("days_before") == 0:
        head = "Rappel : aujourd'hui"
    moment = when(str(instance["starts_at"]), timezone)
    body = f"{moment}, {instance.get('location', '')} - {instance['title']}"
    return fit_segment(head, body, link)
