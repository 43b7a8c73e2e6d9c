"""Every CSV and Excel export is written through here (:func:`export_row`), so that no cell can be
turned against whoever opens the file.

* **Formula injection** (OWASP "CSV injection"): a *text* cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a single quote in front (``'=HYPERLINK(…)``), so
  Excel and WPS show it as text instead of evaluating it (openpyxl would even write a text
  starting with ``=`` as a formula). Numbers written as numbers (``int``, ``Decimal``, ``float``)
  and dates are cells of their own type and never touched, so negative amounts stay numbers; a
  text that is a plain number (``-12.50``, ``+86``) is left as it is too — it cannot be a formula
  and a bank or statistics column may hold one as text.
* **Control characters**: C0 controls other than tab, CR and LF, DEL, C1 controls and the code
  points XML cannot carry are removed from every text cell, so an export never fails on them
  (openpyxl's ``IllegalCharacterError``) nor splits a CSV line. Input is cleaned too
  (:func:`minzheng.foundation.text.clean_text`); this is for data older than that or from
  elsewhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from minzheng.foundation.text import CONTROL_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
UNTOUCHED = (bool, int, float, Decimal, dt.date, dt.datetime, dt.time, dt.timedelta)


def export_text(text: str) -> str:
    """A text cell made safe for a spreadsheet (see the module's doc)."""
    text = CONTROL_RE.sub("", text)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


def export_cell(value):
    if value is None or isinstance(value, UNTOUCHED):
        return value
    return export_text(str(value))


def export_row(values: Iterable) -> list:
    """The one writer of export cells: every CSV and XLSX row passes here."""
    return [export_cell(v) for v in values]


def xlsx_bytes(*, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """An Excel workbook (write-only, streamed row by row) of ``headers`` and ``rows``."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=CONTROL_RE.sub("", title)[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for h in export_row(headers):
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append(export_row(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class CsvWriter:
    """:func:`csv.writer` whose rows pass through :func:`export_row`."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable):
        return self._writer.writerow(export_row(row))

    def writerows(self, rows: Iterable[Iterable]):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **kwargs) -> CsvWriter:
    return CsvWriter(stream, **kwargs)


def csv_bytes(*, headers: Sequence[str], rows: Iterable[Sequence], bom: bool = True) -> bytes:
    """A CSV export (UTF-8, with a byte-order mark so that Excel shows the Chinese; CRLF lines)."""
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode()
