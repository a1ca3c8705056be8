"""Dates as French people write them: « mardi 8 décembre 2026 à 18 h 30 »."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment


def day_fr(day: date) -> str:
    number = "1er" if day.day == 1 else str(day.day)
    return f"{DAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


def time_fr(moment: datetime) -> str:
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"


def datetime_fr(moment: datetime, timezone: str) -> str:
    moment = local(moment, timezone)
    return f"{day_fr(moment.date())} à {time_fr(moment)}"


def parse_iso(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
