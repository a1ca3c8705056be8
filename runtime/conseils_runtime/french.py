"""French grammar the platform's generated sentences need: « de » before a place's name,
elided before a vowel or a mute h (« CLIP d'Aubervilliers »), contracted with the article
« le » / « les » (« du Bourget », « des Lilas »), kept before « La » and « L' »."""

from __future__ import annotations

import unicodedata

# Place names are read with their h mute (« d'Hérouville », « d'Haubourdin »); the few with an
# aspirated h keep « de » (« de Hautmont » is also written: no list is exhaustive).
_ASPIRATED_H = ("hautmont", "hallu", "ham ", "ham-", "hem", "hendaye", "honfleur", "houilles")


def _bare(letter: str) -> str:
    return unicodedata.normalize("NFD", letter)[0].lower()


def of_place(name: str) -> str:
    """« de Saint-Denis », « d'Aubervilliers », « d'Épinay-sur-Seine », « du Bourget »,
    « des Lilas », « de La Courneuve », « de L'Île-Saint-Denis »."""
    name = name.strip()
    if not name:
        return "de"
    if name.startswith(("Le ", "le ")):
        return f"du {name[3:]}"
    if name.startswith(("Les ", "les ")):
        return f"des {name[4:]}"
    first = _bare(name[0])
    if first in "aeiouy" or (first == "h" and not name.lower().startswith(_ASPIRATED_H)):
        return f"d'{name}"
    return f"de {name}"
