"""Dates as French people write them: « mardi 8 décembre 2026 à 18 h 30 », with non-breaking
spaces (U+00A0) inside « 8 décembre 2026 » and « 18 h 30 », so that a phone never splits
them across two lines (the line may break around « à » and after the weekday)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from conseils_runtime.times import FRENCH_DAYS, FRENCH_MONTHS

DAYS = FRENCH_DAYS
MONTHS = FRENCH_MONTHS


NBSP = "\u00a0"


def plain(text: str) -> str:
    """The same words with ordinary spaces (a spreadsheet cell, a search)."""
    return text.replace(NBSP, " ")


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment


def day_fr(day: date) -> str:
    number = "1er" if day.day == 1 else str(day.day)
    return f"{DAYS[day.weekday()]} {number}{NBSP}{MONTHS[day.month - 1]}{NBSP}{day.year}"


def time_fr(moment: datetime) -> str:
    if moment.minute == 0:
        return f"{moment.hour}{NBSP}h"
    return f"{moment.hour}{NBSP}h{NBSP}{moment.minute:02d}"


def datetime_fr(moment: datetime, timezone: str) -> str:
    moment = local(moment, timezone)
    return f"{day_fr(moment.date())} à {time_fr(moment)}"


def parse_iso(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def span_fr(starts: datetime, ends: datetime, timezone: str) -> str:
    """« mardi 8 décembre 2026, de 18 h 30 à 20 h 30 » (both days when it runs past midnight)."""
    starts, ends = local(starts, timezone), local(ends, timezone)
    if starts.date() == ends.date():
        return f"{day_fr(starts.date())}, de {time_fr(starts)} à {time_fr(ends)}"
    return f"du {datetime_fr(starts, timezone)} au {datetime_fr(ends, timezone)}"


def count_fr(number: int, singular: str, plural: str) -> str:
    """« 0 fiche », « 1 fiche », « 2 fiches » (French: 0 and 1 take the singular)."""
    return f"{number} {singular if number < 2 else plural}"


def size_fr(size: int) -> str:
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} Ko".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")
