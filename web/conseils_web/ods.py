"""OpenDocument spreadsheets (.ods) for the site's downloads, with odfpy.

LibreOffice, the office suite of French public services, opens a CSV through an
import dialog (separator, encoding, which column is a date); an .ods opens as it
is. Every cell is written as text (``office:value-type="string"``): a cell never
becomes a formula, whatever it starts with, so no neutralising apostrophe is
needed here (it is for CSV, see :mod:`conseils_runtime.spreadsheets`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableColumnProperties, TextProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P

ODS_MEDIA_TYPE = "application/vnd.oasis.opendocument.spreadsheet"


def ods_bytes(sheet: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """One sheet named ``sheet``: a bold header row, then ``rows``, every cell as text."""
    document = OpenDocumentSpreadsheet()
    bold = Style(name="entete", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    wide = Style(name="colonne", family="table-column")
    wide.addElement(TableColumnProperties(columnwidth="5cm"))
    document.automaticstyles.addElement(bold)
    document.automaticstyles.addElement(wide)
    table = Table(name=sheet[:31])  # spreadsheets cut sheet names at 31 characters
    table.addElement(TableColumn(stylename=wide, numbercolumnsrepeated=len(header)))
    table.addElement(_row(header, bold))
    for row in rows:
        table.addElement(_row(row, None))
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def _row(values: Sequence[str], style: Style | None) -> TableRow:
    row = TableRow()
    for value in values:
        cell = TableCell(valuetype="string", stylename=style) if style else TableCell(valuetype="string")
        for line in (value or "").split("\n"):
            cell.addElement(P(text=line))
        row.addElement(cell)
    return row
