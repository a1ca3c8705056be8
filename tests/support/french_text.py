"""What a French reader must never see in a page or an email: ISO dates, "None", raw status
codes, English words, double punctuation, "(s)" plurals, a singular count with a plural noun
("1 observateur·rices"), « à venirs », « de Aubervilliers ». `problems(text)` lists them;
`visible(html)` is the text a reader sees (no tags, scripts, styles or attribute values)."""

from __future__ import annotations

import re
from html import unescape

RAW_CODES = (
    "scheduled", "rescheduled", "cancelled", "confirmed", "waitlisted", "held",
    "minutes_published", "in_progress", "proposal", "commitment", "councillor", "coordinator",
    "told_before", "own_registration", "theme_referent", "follows_theme",
)  # fmt: skip
# ("observer" is a raw code and a French verb, "vous pouvez observer": it is left out.)
ENGLISH = (
    "Submit",
    "Cancel",
    "Save",
    "Error",
    "Loading",
    "Download",
    "Sign in",
    "Not found",
    "Forbidden",
    "UTC",
)
SINGULAR_S = {
    "fois",
    "mois",
    "temps",
    "pas",
    "plus",
    "sans",
    "dans",
    "vers",
    "sous",
    "après",
    "depuis",
    "très",
    "jamais",
}
_CHECKS = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "date ISO"),
    (re.compile(r"\b\d{2}:\d{2}(:\d{2})?\b"), "heure à l'anglaise"),
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\b(" + "|".join(RAW_CODES) + r")\b"), "code brut"),
    (re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH) + r")\b"), "mot anglais"),
    (re.compile(r"(?<!\.)\.\.(?!\.)|\s,|,,|\s\.(?!\w)|[!?:;]\s*[.,]"), "double ponctuation"),
    (re.compile(r"\w\(s\)"), "pluriel « (s) »"),
    (re.compile(r"\bà venirs\b"), "« à venir » est invariable"),
    # « CLIP de Aubervilliers »: « de » is elided before a vowel (« onze » and « Y » are not).
    (re.compile(r"\b[Dd]e (?!onze\b)[AEIOUÉÈÊÂÎÔÛaeiouéèêâîôû]\w"), "élision « d' »"),
]
_COUNT = re.compile(r"\b([01])\s+([a-zàâçéèêëîïôûù]+(?:·[a-zé]+)?)\b(?![.\w])")  # not a topic name


_BLOCK = re.compile(
    r"</?(p|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|div|section|header|footer|nav|main|table|tr|td|th|caption"
    r"|form|label|option|select|button|details|summary|input|textarea|fieldset|legend|img)\b[^>]*>",
    re.I,
)


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    html = re.sub(_BLOCK, " ", html)  # a block ends a line of text; an inline tag (<strong>) does not
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def problems(text: str) -> list[str]:
    """Each problem with the words around it (URLs are not text: left out)."""
    text = re.sub(r"\b(?:https?|webcal|mailto):\S+", " ", text)
    found = []
    for pattern, name in _CHECKS:
        for match in pattern.finditer(text):
            found.append(f"{name} : …{text[max(0, match.start() - 30) : match.end() + 30]}…")
    for match in _COUNT.finditer(text):
        noun = match.group(2)
        if noun.endswith("s") and noun not in SINGULAR_S:
            found.append(f"accord : …{text[max(0, match.start() - 20) : match.end() + 20]}…")
    return found
