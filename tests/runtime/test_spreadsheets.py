"""CSV exports never run a formula when opened in a spreadsheet (issue 15, item 6)."""

from __future__ import annotations

import csv
import io

import pytest

from conseils_runtime.spreadsheets import SafeWriter, safe_text, unsafe_text


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("https://evil.example","clic")', "+33 6 12 34 56 78", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_text_that_starts_like_a_formula_is_written_as_text_and_read_back_as_typed(typed: str) -> None:
    assert safe_text(typed) == "'" + typed
    assert unsafe_text(safe_text(typed)) == typed


def test_plain_text_and_numbers_are_untouched() -> None:
    buffer = io.StringIO()
    SafeWriter(buffer, delimiter=";").writerow(["Léa Petit", "=1+1", 3, -2.5, None])
    assert next(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";")) == [
        "Léa Petit",
        "'=1+1",
        "3",
        "-2.5",
        "",
    ]
    assert unsafe_text("'bonjour") == "'bonjour"  # an apostrophe typed by a person stays
