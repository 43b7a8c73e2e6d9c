"""Hostile imports refused in time: a workbook of three million blank rows (a few dozen KB of zip;
also with numbered ``<row r="N"/>`` elements, ~7 MB, and without a ``<dimension>``) and a CSV of
three million blank lines, each through the reader the imports use, with the default caps.
Prints the seconds to refusal and the rows read (no database needed).

    MINZHENG_VAR_DIR=/tmp/bench_var .venv/bin/python bench/import_caps_bench.py
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")

import django

django.setup()

from openpyxl import Workbook  # noqa: E402

from minzheng.foundation.registry.imports import COLUMNS, read_workbook  # noqa: E402
from minzheng.foundation.tabular import TooBig, csv_lines_check, source_caps, xlsx_rows  # noqa: E402

BLANK = 3_000_000


def bomb(numbered: bool) -> bytes:
    wb = Workbook()
    wb.active.append([label for _, label, _, _ in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, data)
                continue
            text = re.sub(r"<dimension [^>]*/>", "", data.decode())
            end = text.index("</sheetData>")
            with z.open(info.filename, "w") as fh:
                fh.write(text[:end].encode())
                for start in range(2, BLANK + 2, 100_000):
                    stop = min(start + 100_000, BLANK + 2)
                    fh.write(
                        b"".join(b'<row r="%d"/>' % r for r in range(start, stop))
                        if numbered
                        else b"<row/>" * (stop - start)
                    )
                fh.write(text[end:].encode())
    return out.getvalue()


def main() -> None:
    for numbered in (False, True):
        data = bomb(numbered)
        t0 = time.perf_counter()
        parsed = read_workbook(data)
        seconds = time.perf_counter() - t0
        print(f"household import, {BLANK:,} blank rows ({'numbered' if numbered else '<row/>'}), {len(data) / 1024:,.0f} KB: "
              f"refused in {seconds:.3f} s — {parsed.errors[0]['message']} (row {parsed.errors[0]['row']})")  # fmt: skip
        t0 = time.perf_counter()
        try:
            for _ in xlsx_rows(data, source_caps(xlsx=True)):
                pass
        except TooBig as exc:
            print(f"partner .xlsx, same file: refused in {time.perf_counter() - t0:.3f} s after {exc.rows_read:,} rows")
    csv = b"id_number,name\n" + b"\n" * BLANK
    caps = source_caps(xlsx=False)
    caps = type(caps)(**{**caps.__dict__, "max_rows": 1_000_000})
    t0 = time.perf_counter()
    try:
        csv_lines_check(csv, caps)
    except TooBig as exc:
        print(f"partner CSV, {BLANK:,} blank lines ({len(csv) / 1024:,.0f} KB), cap 1,000,000: refused in "
              f"{time.perf_counter() - t0:.4f} s — {exc.message}")  # fmt: skip


if __name__ == "__main__":
    main()
