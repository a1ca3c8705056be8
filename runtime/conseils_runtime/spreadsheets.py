"""CSV files that open safely in a spreadsheet (OWASP "CSV injection").

A cell typed by a person (a name, a title, a council's name) that starts with
``= + - @``, a tab or a carriage return would be run as a formula by
LibreOffice or Excel (``=HYPERLINK(...)``). `safe_text` prefixes such text
with an apostrophe, which spreadsheets show as text; `unsafe_text` undoes it
when the project reads its own export back. Plain Python, no framework.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def unsafe_text(value: str) -> str:
    """The text as typed, from a cell written by `safe_text`."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


class SafeWriter:
    """`csv.writer` whose text cells are neutralised (numbers and dates stay as they are)."""

    def __init__(self, buffer: Any, **options: Any) -> None:
        self._writer = csv.writer(buffer, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([safe_text(cell) if isinstance(cell, str) else cell for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
