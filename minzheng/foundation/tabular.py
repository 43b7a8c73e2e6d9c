"""Reading uploaded tables (``.xlsx``, CSV) bounded by what is read.

Every import (the registry's household workbook, partner data batches, bank result files at
payroll reconciliation) goes through here, so that a small file cannot make the server read without end:

* the file's size is checked before it is read (:func:`read_bounded`);
* an ``.xlsx`` is checked before it is opened: the sum of its parts unzipped (a few hundred KB of
  zip can hold gigabytes of XML: shared strings and styles are loaded whole by openpyxl, and the
  declared size is what :mod:`zipfile` will ever decompress) and the entries of its shared
  strings table, counted as it is unzipped (openpyxl loads it whole, slowly) — then streamed row by row
  (openpyxl ``read_only``) with the rows *and* columns bounded explicitly (data rows as wide as
  the header), so a missing, lying or huge ``<dimension>`` neither truncates the sheet nor widens
  every row to 16,384 cells;
* rows are counted as they are read, blank rows included, and reading stops at the first row past
  the cap (``cap + 1`` data rows read), likewise at a cell longer than the cap or a header wider;
  before that, the sheet's ``<row>`` elements are counted in its XML as it is unzipped (C speed,
  stopping past the cap), so a sheet of millions of blank rows is refused before openpyxl parses
  any (it parses ~50,000 rows a second);
* a CSV's lines are counted (blank lines included) before it is parsed.

A refusal is :class:`TooBig` (a Chinese message, the row where reading stopped, the rows read);
the callers refuse the whole file, so nothing is written. The caps are settings
(``MINZHENG_IMPORT_*``, ``MINZHENG_SOURCES_*``; README, Configuration).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

XLSX_MAX_ROWS = 1_048_576  # Excel's own limit; a sheet with more rows is not an Excel file


class TooBig(Exception):
    """The file exceeds a cap; reading stopped there."""

    def __init__(self, message: str, *, row: int | None = None, rows_read: int = 0):
        super().__init__(message)
        self.message, self.row, self.rows_read = message, row, rows_read


class Unreadable(Exception):
    """Not a readable ``.xlsx`` (a broken zip, malformed XML …)."""


@dataclass(frozen=True)
class Caps:
    max_bytes: int  # the file as uploaded
    max_rows: int  # data rows after the header, blank rows included
    max_columns: int  # cells read per row
    max_cell_chars: int  # characters of one cell
    max_unzipped_bytes: int  # an .xlsx: all its parts unzipped
    max_shared_strings: int  # an .xlsx: entries of its shared strings table


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f}MB" if n >= 1024 * 1024 else f"{n:,}字节"


def import_caps() -> Caps:
    """The registry's household import (and other workbench imports of a few thousand rows)."""
    return Caps(
        max_bytes=settings.MINZHENG_IMPORT_MAX_BYTES,
        max_rows=settings.MINZHENG_IMPORT_MAX_ROWS,
        max_columns=settings.MINZHENG_IMPORT_MAX_COLUMNS,
        max_cell_chars=settings.MINZHENG_IMPORT_MAX_CELL_CHARS,
        max_unzipped_bytes=settings.MINZHENG_IMPORT_MAX_UNZIPPED_BYTES,
        max_shared_strings=settings.MINZHENG_IMPORT_MAX_SHARED_STRINGS,
    )


def source_caps(*, xlsx: bool) -> Caps:
    """Partner data batches: millions of rows as CSV, an ``.xlsx`` far fewer (it is parsed row by
    row in Python: ``MINZHENG_SOURCES_MAX_XLSX_ROWS``)."""
    return Caps(
        max_bytes=settings.MINZHENG_SOURCES_MAX_BYTES,
        max_rows=settings.MINZHENG_SOURCES_MAX_XLSX_ROWS if xlsx else settings.MINZHENG_SOURCES_MAX_ROWS,
        max_columns=settings.MINZHENG_IMPORT_MAX_COLUMNS,
        max_cell_chars=settings.MINZHENG_IMPORT_MAX_CELL_CHARS,
        max_unzipped_bytes=settings.MINZHENG_IMPORT_MAX_UNZIPPED_BYTES,
        max_shared_strings=settings.MINZHENG_IMPORT_MAX_SHARED_STRINGS,
    )


def bank_result_caps() -> Caps:
    """A bank's result file (回盘文件) read at payroll reconciliation: one line per payment of a
    cycle (up to a city's whole roll), CSV or fixed-width text (``MINZHENG_BANK_RESULT_*``)."""
    return Caps(
        max_bytes=settings.MINZHENG_BANK_RESULT_MAX_BYTES,
        max_rows=settings.MINZHENG_BANK_RESULT_MAX_ROWS,
        max_columns=settings.MINZHENG_IMPORT_MAX_COLUMNS,
        max_cell_chars=settings.MINZHENG_IMPORT_MAX_CELL_CHARS,
        max_unzipped_bytes=settings.MINZHENG_IMPORT_MAX_UNZIPPED_BYTES,
        max_shared_strings=settings.MINZHENG_IMPORT_MAX_SHARED_STRINGS,
    )


def too_large_message(caps: Caps) -> str:
    return f"文件超过{_mib(caps.max_bytes)}，请分批导入"


def read_bounded(data, caps: Caps) -> bytes:
    """The bytes of ``data`` (bytes, a :class:`~pathlib.Path`, text, a Django ``UploadedFile`` or a
    file-like object), never more than ``caps.max_bytes`` of them read: :class:`TooBig` beyond."""
    if isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
        out = bytes(data)
    elif isinstance(data, str):
        out = data.encode()
        size = len(out)
    elif isinstance(data, Path):
        size = data.stat().st_size
        out = data.read_bytes() if size <= caps.max_bytes else b""
    else:
        size = getattr(data, "size", None)
        if size is not None and size > caps.max_bytes:
            raise TooBig(too_large_message(caps))
        if hasattr(data, "chunks"):  # a Django UploadedFile
            buf = io.BytesIO()
            for chunk in data.chunks():
                buf.write(chunk)
                if buf.tell() > caps.max_bytes:
                    break
            out = buf.getvalue()
        else:
            out = data.read(caps.max_bytes + 1)
        size = len(out)
    if size > caps.max_bytes:
        raise TooBig(too_large_message(caps))
    return out


def _check_zip(data: bytes, caps: Caps) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
            if unzipped > caps.max_unzipped_bytes:
                raise TooBig(f"Excel 文件解压后超过{_mib(caps.max_unzipped_bytes)}，请分批导入或另存为 CSV")
            strings = _shared_strings(zf, limit=caps.max_shared_strings)
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, SyntaxError):
        raise Unreadable from None
    if strings > caps.max_shared_strings:
        raise TooBig(f"Excel 文件的不重复文本超过{caps.max_shared_strings:,}项，请分批导入或另存为 CSV")


def _shared_strings(zf: zipfile.ZipFile, *, limit: int) -> int:
    """The entries (``<si>``) of the workbook's shared strings, counted in the XML as it is unzipped
    and stopping past ``limit``: openpyxl loads the table whole before the first row, at some
    10,000–30,000 entries a second, and a few KB of zip can hold millions of them."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    part = Manifest.from_tree(fromstring(zf.read(ARC_CONTENT_TYPES))).find(SHARED_STRINGS)
    if part is None:
        return 0
    count, tail = 0, b""
    with zf.open(part.PartName[1:]) as src:
        while chunk := src.read(1 << 18):
            data = tail + chunk
            for token in (b"<si>", b"<si "):
                count += data.count(token) - tail.count(token)
            if count > limit:
                break
            tail = data[-3:]
    return count


def _install_dimension_guard() -> None:
    """openpyxl looks for a sheet's ``<dimension>`` when it opens a read-only workbook, and when
    the element is missing it parses the whole sheet to find that out (every sheet, at
    ``load_workbook``: a 31 KB file of three million ``<row/>`` takes seconds before any row is
    read). Stop at ``<sheetData>``'s start instead: the same answer (no dimension), none of the
    reading. The dimension is not trusted anyway (:func:`xlsx_rows` bounds rows and columns)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    if getattr(ReadOnlyWorksheet._get_size, "bounded", False):
        return

    def _get_size(self):
        src = self._get_source()
        try:
            for _event, element in iterparse(src, events=("start",)):
                if element.tag == DIMENSION_TAG:
                    if element.get("ref"):
                        dims = SheetDimension.from_tree(element).boundaries
                        self._min_column, self._min_row, self._max_column, self._max_row = dims
                    return
                if element.tag == DATA_TAG:
                    return
        finally:
            src.close()

    _get_size.bounded = True
    ReadOnlyWorksheet._get_size = _get_size


def xlsx_rows(data: bytes, caps: Caps) -> Iterator[tuple[int, tuple]]:
    """``(row number, cell values)`` of the first sheet, header (row 1) first (its trailing empty
    cells dropped), then every data row as wide as the header, blank rows included. Raises
    :class:`TooBig` at the first row past ``caps.max_rows`` data rows, at a header wider than
    ``caps.max_columns`` or a cell longer than ``caps.max_cell_chars``, and :class:`Unreadable`
    for a file that is not an ``.xlsx``."""
    from openpyxl import load_workbook

    _check_zip(data, caps)
    _install_dimension_guard()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        sheet = wb.worksheets[0]
    except Exception:
        raise Unreadable from None
    max_rows = min(caps.max_rows, XLSX_MAX_ROWS - 1)
    try:
        try:
            elements = _row_elements(sheet, limit=max_rows + 1)
        except Exception:
            raise Unreadable from None
        if elements > max_rows + 1:
            raise TooBig(_rows_message(max_rows), row=max_rows + 2, rows_read=max_rows + 1)
        try:
            header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=caps.max_columns + 1, values_only=True), ())
        except Exception:
            raise Unreadable from None
        if len(header) > caps.max_columns and header[caps.max_columns] not in (None, ""):
            raise TooBig(f"表头超过{caps.max_columns}列", row=1)
        _check_cells(header, 1, 0, caps)
        width = len(header)
        while width and header[width - 1] in (None, ""):
            width -= 1
        yield 1, header[:width]
        # the data rows as wide as the header (cells beyond it have no column to go to), the
        # dimension ignored: at most the cap and one more row are read
        rows = sheet.iter_rows(min_row=2, max_row=max_rows + 2, max_col=max(width, 1), values_only=True)
        number = 1
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:
                raise Unreadable from None
            number += 1
            read = number - 1  # data rows read (the header is row 1)
            if read > max_rows:
                raise TooBig(_rows_message(max_rows), row=number, rows_read=read)
            if values.count(None) != len(values):  # a blank row costs no more than this
                _check_cells(values, number, read, caps)
            yield number, values
    finally:
        wb.close()


def _rows_message(max_rows: int) -> str:
    return f"数据超过{max_rows:,}行（空行也计入），请分批导入"


def _row_elements(sheet, *, limit: int) -> int:
    """The sheet's ``<row>`` elements counted in its XML as it is unzipped, stopping once there
    are more than ``limit`` data rows: at C speed (zlib, ``bytes.count``), where openpyxl parses
    ~50,000 rows a second — the three million blank rows of a 31 KB file are refused after a few
    hundred KB unzipped. A row element is one row, so more elements than rows allowed is a file
    over the cap; a producer that prefixes the element (``<x:row>``) is not counted here, and the
    row-by-row count still bounds it."""
    count, tail = 0, b""
    with sheet._get_source() as src:
        while chunk := src.read(1 << 18):
            data = tail + chunk
            count += data.count(b"<row") - tail.count(b"<row") - data.count(b"<rowBreaks") + tail.count(b"<rowBreaks")
            if count > limit + 1:  # the header row and more than ``limit`` data rows
                break
            tail = data[-9:]
    return count - 1


def _check_cells(values, number: int, read: int, caps: Caps) -> None:
    for value in values:
        if value.__class__ is str and len(value) > caps.max_cell_chars:
            raise TooBig(f"第{number}行有单元格超过{caps.max_cell_chars:,}个字", row=number, rows_read=read)


def csv_lines_check(data: bytes, caps: Caps) -> None:
    """Count a CSV's lines (blank lines too; a quoted value over several lines counts each) before
    parsing it: :class:`TooBig` when more than ``caps.max_rows`` follow the header."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if lines - 1 > caps.max_rows:
        raise TooBig(f"数据超过{caps.max_rows:,}行（空行也计入），请分批导入", rows_read=lines - 1)


def csv_rows(reader, caps: Caps) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of a :func:`csv.reader` after its header, blank rows included,
    bounded like :func:`xlsx_rows`."""
    for number, cells in enumerate(reader, start=2):
        if number - 1 > caps.max_rows:
            raise TooBig(f"数据超过{caps.max_rows:,}行（空行也计入），请分批导入", row=number, rows_read=number - 1)
        if len(cells) > caps.max_columns:
            raise TooBig(f"第{number}行超过{caps.max_columns}列", row=number, rows_read=number - 1)
        if any(len(c) > caps.max_cell_chars for c in cells):
            raise TooBig(f"第{number}行有单元格超过{caps.max_cell_chars:,}个字", row=number, rows_read=number - 1)
        yield number, cells
