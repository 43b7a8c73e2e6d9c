"""Partner data batches as immutable Parquet files (ADR 0008).

:func:`batch_load` takes a partner's file (CSV in UTF-8 with or without BOM or in GB18030, or
``.xlsx``), checks it against the source's declared columns a whole column at a time (pyarrow
compute kernels and numpy, never a Python loop per cell: an ID number's checksum is a matrix
product over its digits, a date is parsed and printed back and compared), and either refuses it
whole — a :class:`SourceBatch` with the errors (row, column, Chinese message; the first 1000) and
no file — or writes ``MINZHENG_VAR_DIR/sources/<code>/<batch id>.parquet``:

==============  ==============================================================================
``row_no``      row number in the submitted file (header = 1, first data row = 2)
``id_index``    HMAC-SM3 blind index of the ID number (``Person.id_number_index``)
``id_masked``   ``330381********1234``
``id_enc``      the ID number as an SM4 token, decrypted only by :func:`batch_reveal`
other columns   typed: string/choice/region_code VARCHAR, date DATE, decimal DECIMAL(16,2),
                integer BIGINT, boolean BOOLEAN; a ``sensitive`` column is an SM4 token with a
                ``<name>_masked`` companion
==============  ==============================================================================

Rows are sorted by ``id_index`` so that a lookup of a few persons reads only the row groups whose
statistics cover them. The crypto is computed once per distinct value (a person with twelve
monthly rows is encrypted once), in worker processes when there are many.

This module knows no source by name: the catalog is data (``DataSource.columns``), seeded by the
business line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from minzheng.foundation.accounts.reveals import reveal_audit
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.codes import UsccError, validate_id_number, validate_uscc
from minzheng.foundation.codes.idnumbers import CHECK_CHARS, FOREIGNER_MARK, PROVINCES, WEIGHTS
from minzheng.foundation.crypto import sm
from minzheng.foundation.crypto.keys import keyring
from minzheng.foundation.exports import csv_bytes
from minzheng.foundation.jobs.services import job_kind
from minzheng.foundation.olap.partners import PartnerTable, partner_data_register, partner_views
from minzheng.foundation.registry.models import Person
from minzheng.foundation.tabular import TooBig, Unreadable, csv_lines_check, read_bounded, source_caps, xlsx_rows
from minzheng.foundation.text import clean_text
from minzheng.foundation.validation import Refused

from .models import BatchChannel, BatchState, DataSource, SourceBatch

MAX_ERRORS = 1000  # errors kept on a refused batch; error_count has them all
ROW_GROUP = 131_072  # rows per Parquet row group: a person lookup reads one group of ~10 MB
POOL_MIN = 40_000  # distinct values below which forking workers costs more than it saves
DEFAULT_MAX_LENGTH = 200
SENSITIVE_MASK = "****"
TYPES = ("id_number", "string", "date", "decimal", "integer", "boolean", "region_code", "choice")
DECIMAL = pa.decimal128(16, 2)
ARROW_TYPES = {
    "string": pa.string(),
    "choice": pa.string(),
    "region_code": pa.string(),
    "date": pa.date32(),
    "decimal": DECIMAL,
    "integer": pa.int64(),
    "boolean": pa.bool_(),
}
DUCK_TYPES = {
    "string": "VARCHAR",
    "choice": "VARCHAR",
    "region_code": "VARCHAR",
    "date": "DATE",
    "decimal": "DECIMAL(16,2)",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}
TRUE_WORDS = ("true", "1", "是", "y", "yes", "t")
FALSE_WORDS = ("false", "0", "否", "n", "no", "f")
TYPE_LABELS = {
    "id_number": "身份证号",
    "string": "文本",
    "date": "日期",
    "decimal": "金额/数值",
    "integer": "整数",
    "boolean": "是/否",
    "region_code": "区划代码",
    "choice": "选项",
}


class BatchRefusal(Exception):
    """Raised inside the load when the file is refused; carries the errors and the row count."""

    def __init__(self, errors: list[dict], error_count: int, rows: int = 0):
        super().__init__(f"{error_count} errors")
        self.errors, self.error_count, self.rows = errors, error_count, rows


# ------------------------------------------------------------------------------------------ schema


def column_label(col: dict) -> str:
    return f"{col['label']}（{col['name']}）"


def batch_columns(source: DataSource) -> list[tuple[str, str]]:
    """``(column, DuckDB type)`` of a batch file of ``source``, in file order."""
    out = [("row_no", "BIGINT"), ("id_index", "VARCHAR"), ("id_masked", "VARCHAR"), ("id_enc", "VARCHAR")]
    for col in source.columns:
        if col["name"] == source.id_column:
            continue
        if col.get("sensitive"):
            out += [(col["name"], "VARCHAR"), (f"{col['name']}_masked", "VARCHAR")]
        else:
            out.append((col["name"], DUCK_TYPES[col["type"]]))
    return out


def _arrow_schema(source: DataSource) -> pa.Schema:
    fields = [
        pa.field("row_no", pa.int64()),
        pa.field("id_index", pa.string()),
        pa.field("id_masked", pa.string()),
        pa.field("id_enc", pa.string()),
    ]
    for col in source.columns:
        if col["name"] == source.id_column:
            continue
        if col.get("sensitive"):
            fields += [pa.field(col["name"], pa.string()), pa.field(f"{col['name']}_masked", pa.string())]
        else:
            fields.append(pa.field(col["name"], ARROW_TYPES[col["type"]]))
    return pa.schema(fields)


def template_csv(source: DataSource) -> bytes:
    """A header-only CSV (UTF-8 with BOM, so that Excel shows the Chinese) partners can fill."""
    return csv_bytes(headers=[c["name"] for c in source.columns], rows=[])


# ------------------------------------------------------------------------------------------ reading


def _bytes_of(data) -> bytes:
    """The file's bytes, never more than ``MINZHENG_SOURCES_MAX_BYTES`` of them read."""
    return read_bounded(data, source_caps(xlsx=False))


def _too_big(exc: TooBig) -> BatchRefusal:
    return BatchRefusal([{"row": exc.row, "column": "", "message": exc.message}], 1, exc.rows_read)


def _cell(value) -> str:
    """An Excel cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10f}".rstrip("0").rstrip(".")  # binary noise of Excel's doubles dropped
    return clean_text(str(value))


def _read_xlsx(data: bytes) -> tuple[list[str], pa.Table]:
    """The first sheet as text columns, read row by row within the caps (foundation/tabular.py:
    ``MINZHENG_SOURCES_MAX_XLSX_ROWS`` rows read, blank ones too; reading stops past it)."""
    try:
        rows = xlsx_rows(data, source_caps(xlsx=True))
        header = [_cell(v).strip() for v in next(rows, (1, ()))[1]]
        while header and not header[-1]:
            header.pop()
        columns: list[list[str]] = [[] for _ in header]
        pending = 0  # empty rows seen since the last row with content (kept only when more follows)
        width = len(header)
        for _number, row in rows:
            if row.count(None) == len(row):
                pending += 1
                continue
            cells = [_cell(v) for v in row[:width]]
            if not any(c.strip() for c in cells):
                pending += 1
                continue
            for _ in range(pending):
                for col in columns:
                    col.append("")
            pending = 0
            cells += [""] * (width - len(cells))
            for col, value in zip(columns, cells, strict=True):
                col.append(value)
    except TooBig as exc:
        raise _too_big(exc) from None
    except Unreadable:
        raise BatchRefusal([{"row": None, "column": "", "message": "不是有效的 Excel (.xlsx) 文件"}], 1) from None
    return header, pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})


def _decode_header(data: bytes) -> tuple[bytes, list[str]]:
    """The file as UTF-8 (GB18030 transcoded) and its header fields."""
    import csv

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)]
    try:
        line = first.decode("utf-8")
    except UnicodeDecodeError:
        data = _transcode(data)
        end = data.find(b"\n")
        line = data[: end if end >= 0 else len(data)].decode("utf-8")
    header = next(csv.reader([line.rstrip("\r")]), [])
    return data, [h.strip().lstrip("\ufeff") for h in header]


def _transcode(data: bytes) -> bytes:
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise BatchRefusal(
            [{"row": None, "column": "", "message": "无法识别文件编码：请保存为 UTF-8 或 GB18030 编码的 CSV"}], 1
        ) from None


def _read_csv(data: bytes, width: int) -> pa.Table:
    names = [f"c{i}" for i in range(width)]
    bad: list = []

    def on_invalid(row):
        bad.append(row)
        return "skip"

    def read(blob: bytes, threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(blob),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        try:
            table = read(data, True)
        except pa.ArrowInvalid as exc:
            if "UTF8" not in str(exc) and "utf8" not in str(exc).lower():
                raise
            data = _transcode(data)
            bad.clear()
            table = read(data, True)
        if bad:  # the row numbers are known only to a single-threaded read: do it again for them
            bad.clear()
            read(data, False)
    except pa.ArrowInvalid as exc:
        raise BatchRefusal([{"row": None, "column": "", "message": f"CSV 格式错误：{exc}"}], 1) from None
    if bad:
        errors = [
            {
                "row": r.number,  # the file's line, header = 1
                "column": "",
                "message": f"该行有 {r.actual_columns} 列，表头有 {r.expected_columns} 列",
            }
            for r in bad[:MAX_ERRORS]
        ]
        raise BatchRefusal(errors, len(bad), table.num_rows + len(bad))
    return table


def _read(data: bytes, source: DataSource) -> pa.Table:
    """The file as a table of trimmed strings named by the source's columns (header checked)."""
    if data.startswith(b"PK\x03\x04"):
        header, table = _read_xlsx(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BatchRefusal([{"row": None, "column": "", "message": "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV"}], 1)
    else:
        try:
            csv_lines_check(data, source_caps(xlsx=False))
        except TooBig as exc:
            raise _too_big(exc) from None
        data, header = _decode_header(data)
        table = None
    by_label = {}
    for col in source.columns:
        by_label[col["name"]] = col["name"]
        by_label[col["label"]] = col["name"]
        by_label[column_label(col)] = col["name"]
    names = [by_label.get(h, h) for h in header]
    declared = [c["name"] for c in source.columns]
    missing = [c for c in source.columns if c["name"] not in names]
    unknown = [h for h, n in zip(header, names, strict=True) if n not in declared]
    repeated = sorted({n for n in names if names.count(n) > 1 and n in declared})
    problems = []
    if missing:
        problems.append("缺少列：" + "、".join(column_label(c) for c in missing))
    if unknown:
        problems.append("不认识的列：" + "、".join(h or "（空列名）" for h in unknown))
    if repeated:
        problems.append("重复的列：" + "、".join(repeated))
    if problems:
        expected = ",".join(declared)
        message = "；".join(problems) + f"。表头应为：{expected}（可下载模板）"
        raise BatchRefusal([{"row": 1, "column": "表头", "message": message}], 1)
    if table is None:
        table = _read_csv(data, len(header))
    table = table.rename_columns(names).select(declared)
    if table.num_rows == 0:
        raise BatchRefusal([{"row": None, "column": "", "message": "文件没有数据行"}], 1)
    return table


# ------------------------------------------------------------------------------------------ checking


@dataclass
class _Checked:
    values: pa.Array | None  # typed, null where empty; None for the ID column
    bad: np.ndarray  # bool per row
    raw: pa.Array  # the trimmed text, for messages
    encoded: pa.DictionaryArray | None = None  # the ID column's distinct values, reused for the crypto


def _np(mask) -> np.ndarray:
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _regex(arr: pa.Array, pattern: str) -> np.ndarray:
    return _np(pc.match_substring_regex(arr, pattern))


def id_numbers_valid(values: pa.Array, *, today: dt.date | None = None) -> np.ndarray:
    """GB 11643 over a whole array (normalised: upper case, no spaces): 18 characters, 17 digits
    then a digit or X, a known province code (positions 2–3 after a foreigner's leading 9), a real
    birth date not after today and not before 1880, and the ISO 7064 MOD 11-2 check character as
    ``(digits · weights) mod 11`` over a matrix of the digits: :func:`parse_id_number`'s rules."""
    today = today or timezone.localdate()
    ok = _regex(values, r"^\d{17}[\dX]$")
    idx = np.flatnonzero(ok)
    if not len(idx):
        return ok
    sub = values.take(pa.array(idx)) if len(idx) < len(values) else values
    sub = pa.array(sub.to_pylist(), pa.string()) if sub.offset or sub.null_count else sub  # contiguous
    offsets = np.frombuffer(sub.buffers()[1], dtype=np.int32)
    start = int(offsets[0])
    mat = np.frombuffer(sub.buffers()[2], dtype=np.uint8)[start : start + 18 * len(sub)].reshape(-1, 18)
    sums = (mat[:, :17].astype(np.int64) - 48) @ np.array(WEIGHTS, dtype=np.int64)
    check_ok = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)[sums % 11] == mat[:, 17]
    # the birth date: a real day (leap years counted), not after today, not before 1880
    d = mat[:, 6:14].astype(np.int64) - 48
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    last = month_days[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    date_ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    date_ok &= (ymd >= 18800101) & (ymd <= today.year * 10000 + today.month * 100 + today.day)
    d_all = mat[:, :3].astype(np.int64) - 48
    foreigner = d_all[:, 0] == int(FOREIGNER_MARK)
    province = np.where(foreigner, d_all[:, 1] * 10 + d_all[:, 2], d_all[:, 0] * 10 + d_all[:, 1])
    province_ok = _PROVINCE_TABLE[province]
    ok[idx] = check_ok & date_ok & province_ok
    return ok


_PROVINCE_TABLE = np.array([f"{i:02d}" in PROVINCES for i in range(100)], dtype=bool)


def _normalise_date(arr: pa.Array, *, month: bool) -> pa.Array:
    arr = pc.replace_substring_regex(arr, r"[/.年月]", "-")
    arr = pc.replace_substring_regex(arr, r"日$", "")
    arr = pc.replace_substring_regex(arr, r"-$", "")
    arr = pc.replace_substring_regex(arr, r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3")
    if month:
        arr = pc.replace_substring_regex(arr, r"^(\d{4})(\d{2})$", r"\1-\2")
        arr = pc.replace_substring_regex(arr, r"^(\d{4})-(\d)$", r"\1-0\2")
        arr = pc.replace_substring_regex(arr, r"^(\d{4})-(\d{2})$", r"\1-\2-01")
    arr = pc.replace_substring_regex(arr, r"^(\d{4})-(\d)-", r"\1-0\2-")
    return pc.replace_substring_regex(arr, r"-(\d)$", r"-0\1")


def _parse_dates(arr: pa.Array, *, month: bool) -> tuple[pa.Array, np.ndarray]:
    """(DATE array, ok mask) for non-empty text; a date is parsed and printed back, so 2024-02-30
    is an error rather than 2024-03-01."""
    norm = _normalise_date(arr, month=month)
    shaped = _regex(norm, r"^\d{4}-\d{2}-\d{2}$")
    parsed = pc.strptime(norm, format="%Y-%m-%d", unit="s", error_is_null=True)
    ok = shaped & _np(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), norm))
    days = pc.cast(parsed, pa.date32())
    ok &= _np(pc.greater_equal(days, pa.scalar(dt.date(1880, 1, 1), pa.date32())))
    ok &= _np(pc.less_equal(days, pa.scalar(dt.date(2100, 12, 31), pa.date32())))
    if month:
        ok &= _np(pc.equal(pc.day(days), 1))
    return days, ok


def _choice_pairs(col: dict) -> list[tuple[str, str]]:
    return [(str(c[0]), str(c[1])) if isinstance(c, list | tuple) else (str(c), str(c)) for c in col.get("choices", [])]


def _null_where(arr: pa.Array, mask: np.ndarray, type_: pa.DataType) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(arr), type_), arr)


def _check_column(col: dict, raw: pa.Array, today: dt.date) -> _Checked:
    """Check one column set-based; returns the typed values and the rows in error."""
    kind = col["type"]
    empty = _np(pc.equal(raw, ""))
    bad = empty.copy() if col.get("required") else np.zeros(len(raw), dtype=bool)
    filled = ~empty
    values = None
    if kind == "id_number":
        norm = pc.utf8_upper(pc.replace_substring(raw, " ", ""))
        encoded = norm.dictionary_encode()
        ok_distinct = id_numbers_valid(encoded.dictionary, today=today)
        ok = ok_distinct[encoded.indices.to_numpy(zero_copy_only=False)]
        bad |= filled & ~ok
        return _Checked(None, bad, norm, encoded)
    elif kind == "date":  # few distinct days: each parsed once
        encoded = raw.dictionary_encode()
        distinct_days, distinct_ok = _parse_dates(encoded.dictionary, month=col.get("format") == "month")
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        ok = distinct_ok[indices]
        bad |= filled & ~ok
        values = _null_where(distinct_days.take(encoded.indices), ~(filled & ok), pa.date32())
    elif kind in ("decimal", "integer"):
        clean = pc.replace_substring_regex(raw, r"[,，\s]", "")
        pattern = r"^[+-]?\d{1,14}(\.\d{1,2})?$" if kind == "decimal" else r"^[+-]?\d{1,18}$"
        ok = _regex(clean, pattern)
        type_ = DECIMAL if kind == "decimal" else pa.int64()
        values = pc.cast(pc.if_else(pa.array(ok), clean, "0"), type_)
        for bound, cmp in (("min", pc.less), ("max", pc.greater)):
            if col.get(bound) is not None:
                limit = pa.scalar(Decimal(str(col[bound])), DECIMAL) if kind == "decimal" else col[bound]
                ok &= ~_np(cmp(values, limit))
        bad |= filled & ~ok
        values = _null_where(values, ~(filled & ok), type_)
    elif kind == "boolean":
        found = pc.index_in(pc.utf8_lower(raw), value_set=pa.array([*TRUE_WORDS, *FALSE_WORDS]))
        ok = _np(pc.is_valid(found))
        bad |= filled & ~ok
        values = _null_where(pc.less(pc.fill_null(found, 0), len(TRUE_WORDS)), ~(filled & ok), pa.bool_())
    elif kind == "choice":
        pairs = _choice_pairs(col)
        codes = [v for v, _ in pairs]
        found = pc.index_in(raw, value_set=pa.array(codes + [label for _, label in pairs]))
        ok = _np(pc.is_valid(found))
        bad |= filled & ~ok
        picked = pc.take(pa.array(codes + codes), pc.fill_null(found, 0))
        values = _null_where(picked, ~(filled & ok), pa.string())
    elif kind == "region_code":
        ok = _regex(raw, r"^\d{6}(\d{6})?$")
        bad |= filled & ~ok
        padded = pc.if_else(pc.equal(pc.utf8_length(raw), 6), pc.binary_join_element_wise(raw, "000000", ""), raw)
        values = _null_where(padded, ~(filled & ok), pa.string())
    else:  # string
        ok = ~_np(pc.greater(pc.utf8_length(raw), col.get("max_length", DEFAULT_MAX_LENGTH)))
        if col.get("format") == "uscc":
            raw = pc.utf8_upper(raw)
            distinct = pc.unique(raw).to_pylist()
            invalid = [v for v in distinct if v and _uscc_error(v)]
            if invalid:
                ok &= ~_np(pc.is_in(raw, value_set=pa.array(invalid, pa.string())))
        bad |= filled & ~ok
        values = _null_where(raw, empty, pa.string())
    return _Checked(values, bad, raw)


def _uscc_error(value: str) -> str | None:
    try:
        validate_uscc(value)
    except UsccError as exc:
        return str(exc)
    return None


def _why(col: dict, value: str) -> str:
    """The Chinese reason one cell is in error (called for reported cells only)."""
    kind = col["type"]
    if value == "":
        return "必填，不能为空"
    shown = value if len(value) <= 40 else value[:40] + "…"
    if kind == "id_number":
        return validate_id_number(value) or "身份证号无效"
    if kind == "date":
        if col.get("format") == "month":
            return f"月份格式应为 YYYY-MM（如 2024-05）：{shown}"
        return f"不是有效日期，应为 YYYY-MM-DD（如 2024-05-31）：{shown}"
    if kind in ("decimal", "integer"):
        clean = "".join(ch for ch in value if ch not in ",， ")
        if kind == "decimal" and not _is_number(clean, places=2):
            if _is_number(clean, places=None):
                return f"小数位数不能超过 2 位（金额以元计）：{shown}"
            return f"须为数字：{shown}"
        if kind == "integer" and not _is_number(clean, places=0):
            return f"须为整数：{shown}"
        number = Decimal(clean)
        if col.get("min") is not None and number < Decimal(str(col["min"])):
            return f"不能小于 {col['min']}：{shown}"
        if col.get("max") is not None and number > Decimal(str(col["max"])):
            return f"不能大于 {col['max']}：{shown}"
        return f"数值超出范围：{shown}"
    if kind == "boolean":
        return f"须为 是/否（或 true/false、1/0）：{shown}"
    if kind == "choice":
        allowed = "、".join(f"{v}（{label}）" for v, label in _choice_pairs(col))
        return f"「{shown}」不是可选值；可选：{allowed}"
    if kind == "region_code":
        return f"区划代码应为 12 位（或 6 位）数字：{shown}"
    if col.get("format") == "uscc" and (reason := _uscc_error(value)):
        return reason
    return f"不能超过 {col.get('max_length', DEFAULT_MAX_LENGTH)} 个字"


def _is_number(text: str, *, places: int | None) -> bool:
    import re

    if places is None:
        return bool(re.fullmatch(r"[+-]?\d+(\.\d+)?", text))
    if places == 0:
        return bool(re.fullmatch(r"[+-]?\d{1,18}", text))
    return bool(re.fullmatch(r"[+-]?\d{1,14}(\.\d{1,2})?", text))


def _errors(source: DataSource, checked: dict[str, _Checked]) -> tuple[list[dict], int]:
    any_bad = None
    found = []
    for order, col in enumerate(source.columns):
        c = checked[col["name"]]
        if not c.bad.any():
            continue
        any_bad = c.bad if any_bad is None else (any_bad | c.bad)
        rows = np.flatnonzero(c.bad)[:MAX_ERRORS]
        texts = c.raw.take(pa.array(rows)).to_pylist()
        found += [(int(r), order, col, t) for r, t in zip(rows, texts, strict=True)]
    if any_bad is None:
        return [], 0
    found.sort(key=lambda f: (f[0], f[1]))
    errors = [
        {"row": r + 2, "column": column_label(col), "message": _why(col, t)} for r, _, col, t in found[:MAX_ERRORS]
    ]
    return errors, int(any_bad.sum())


# ------------------------------------------------------------------------------------------ crypto


def _crypto_chunk(values: pa.Array, index: bool) -> tuple[pa.Array | None, pa.Array]:
    """Blind indexes (purpose ``id_number``, as the registry) and SM4 tokens of distinct values;
    runs in worker processes too (forked: they inherit the key ring loaded before the fork). Arrow
    arrays in and out: they cross the process boundary as flat buffers, not millions of objects."""
    with sm.gc_paused():
        plain = values.to_pylist()
        indexes = pa.array(sm.blind_indexes(plain, purpose="id_number"), pa.string()) if index else None
        return indexes, pa.array(sm.encrypt_many(plain), pa.string())


def _crypto(values: pa.Array, *, index: bool, workers: int | None = None) -> tuple[pa.Array | None, pa.Array]:
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(values) < POOL_MIN:
        return _crypto_chunk(values, index)
    keyring()  # loaded before the fork, so the workers have it
    size = -(-len(values) // workers)
    parts = [values.slice(i, size) for i in range(0, len(values), size)]
    # this process does the first part while the workers do the others
    with ProcessPoolExecutor(max_workers=len(parts) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_crypto_chunk, part, index) for part in parts[1:]]
        results = [_crypto_chunk(parts[0], index), *(f.result() for f in futures)]
    indexes = pa.concat_arrays([r[0] for r in results]) if index else None
    return indexes, pa.concat_arrays([r[1] for r in results])


def _mask_values(values: list[str]) -> list[str]:
    return [v[:4] + SENSITIVE_MASK + v[-4:] if len(v) > 8 else "*" * len(v) for v in values]


# ------------------------------------------------------------------------------------------ loading


class _Steps:
    """Progress in percent through the stages of a load (a job's ``Progress`` or None)."""

    def __init__(self, progress):
        self.progress = progress
        if progress is not None:
            progress.total(100)

    def __call__(self, percent: int, message: str) -> None:
        if self.progress is not None:
            self.progress.advance(percent, message)


def batch_load(
    *,
    source: str,
    data,
    file_name: str,
    user,
    channel: str,
    as_of: dt.date | None = None,
    progress=None,
) -> SourceBatch:
    """Check a partner's file and keep it as the source's next version, or refuse it whole.

    ``data``: bytes, a :class:`~pathlib.Path`, the file's text (``str``) or a file-like object.
    Returns the :class:`SourceBatch` either way (``state`` accepted or refused); raises
    :class:`Refused` only for an unknown or disabled source or a future ``as_of``.
    """
    started = time.perf_counter()
    ds = DataSource.objects.filter(pk=source).first()
    if ds is None:
        raise Refused(f"未知数据源 {source}")
    if not ds.enabled:
        raise Refused(f"数据源「{ds.name}」已停用")
    if channel not in BatchChannel.values:
        raise Refused(f"未知的提交方式 {channel}")
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        raise Refused("数据日期不能晚于今天")
    step = _Steps(progress)
    user = user if getattr(user, "pk", None) else None
    try:
        raw = _bytes_of(data)
    except TooBig as exc:  # not read: no checksum
        common = {"source": ds, "channel": channel, "file_name": file_name[:255], "as_of": as_of}
        return _refuse(common, _too_big(exc), user=user, started=started)
    sha = hashlib.sha256(raw).hexdigest()
    common = {"source": ds, "channel": channel, "file_name": file_name[:255], "file_sha256": sha, "as_of": as_of}
    try:
        step(5, "读取文件")
        table = _read(raw, ds)
        del raw
        step(20, f"检查 {table.num_rows:,} 行")
        checked = {
            col["name"]: _check_column(col, pc.utf8_trim_whitespace(table.column(col["name"]).combine_chunks()), today)
            for col in ds.columns
        }
        errors, error_count = _errors(ds, checked)
        if error_count:
            raise BatchRefusal(errors, error_count, table.num_rows)
    except BatchRefusal as refusal:
        return _refuse(common, refusal, user=user, started=started)
    step(40, "加密身份证号并计算盲索引")
    rows = table.num_rows
    del table
    tmp, persons, matched = _write(ds, checked, rows, step)
    step(95, "登记批次")
    try:
        with transaction.atomic():
            DataSource.objects.select_for_update().filter(pk=ds.pk).first()  # versions of a source one at a time
            last = SourceBatch.objects.filter(source=ds, state=BatchState.ACCEPTED).aggregate(v=Max("version"))["v"]
            batch = SourceBatch.objects.create(
                **common,
                state=BatchState.ACCEPTED,
                version=(last or 0) + 1,
                rows=rows,
                persons=persons,
                matched=matched,
                loaded_by=user,
            )
            relative = f"sources/{ds.code}/{batch.pk}.parquet"
            os.replace(tmp, Path(settings.VAR_DIR) / relative)
            batch.path = relative
            batch.seconds = round(time.perf_counter() - started, 3)
            batch.save(update_fields=["path", "seconds"])
            audit_record(
                action="import",
                object_type="verification.sourcebatch",
                object_id=batch.pk,
                summary=f"接收{ds.department}·{ds.name} 第 {batch.version} 版：{rows:,} 行，{persons:,} 人",
                changes=_audit_changes(batch),
            )
    except BaseException:
        tmp.unlink(missing_ok=True)
        if batch_path_of := locals().get("relative"):
            (Path(settings.VAR_DIR) / batch_path_of).unlink(missing_ok=True)
        raise
    step(100, "完成")
    return batch


def _audit_changes(batch: SourceBatch) -> dict:
    return {
        "source": batch.source_id,
        "state": batch.state,
        "version": batch.version,
        "channel": batch.channel,
        "file_name": batch.file_name,
        "file_sha256": batch.file_sha256,
        "as_of": batch.as_of.isoformat() if batch.as_of else None,
        "rows": batch.rows,
        "persons": batch.persons,
        "matched": batch.matched,
        "error_count": batch.error_count,
    }


def _refuse(common: dict, refusal: BatchRefusal, *, user, started: float) -> SourceBatch:
    ds = common["source"]
    with transaction.atomic():
        batch = SourceBatch.objects.create(
            **common,
            state=BatchState.REFUSED,
            rows=refusal.rows,
            errors=refusal.errors[:MAX_ERRORS],
            error_count=refusal.error_count,
            loaded_by=user,
            seconds=round(time.perf_counter() - started, 3),
        )
        audit_record(
            action="import",
            object_type="verification.sourcebatch",
            object_id=batch.pk,
            summary=f"拒收{ds.department}·{ds.name} 的文件 {batch.file_name}：{refusal.error_count:,} 处错误",
            changes=_audit_changes(batch),
        )
    return batch


def _write(ds: DataSource, checked: dict[str, _Checked], rows: int, step) -> tuple[Path, int, int]:
    """Encrypt, sort by blind index and write the Parquet file to a temporary name; returns
    (path, distinct persons, persons matched to the registry)."""
    ids = checked[ds.id_column].encoded
    distinct = ids.dictionary
    index_arr, tokens = _crypto(distinct, index=True)
    step(70, "排序并写入 Parquet")
    order = _index_order(index_arr)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    row_rank = rank[ids.indices.to_numpy(zero_copy_only=False)]
    row_order = np.argsort(row_rank, kind="stable")
    take_rows = pa.array(row_order)
    take_ids = pa.array(order[row_rank[row_order]]) if len(order) else pa.array([], pa.int64())
    masked = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(distinct, 0, 6), "********", pc.utf8_slice_codeunits(distinct, 14, 18), ""
    )
    columns = {
        "row_no": pa.array(row_order + 2, pa.int64()),
        "id_index": index_arr.take(take_ids),
        "id_masked": masked.take(take_ids),
        "id_enc": tokens.take(take_ids),
    }
    for col in ds.columns:
        if col["name"] == ds.id_column:
            continue
        values = checked[col["name"]].values.take(take_rows)
        if col.get("sensitive"):
            enc = values.dictionary_encode()
            _, sealed = _crypto(enc.dictionary, index=False)
            columns[col["name"]] = sealed.take(enc.indices)
            masked_plain = _mask_values(enc.dictionary.to_pylist())
            columns[f"{col['name']}_masked"] = pa.array(masked_plain, pa.string()).take(enc.indices)
        else:
            columns[col["name"]] = values
    table = pa.table(columns, schema=_arrow_schema(ds))
    directory = Path(settings.VAR_DIR) / "sources" / ds.code
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{uuid.uuid4().hex}.parquet.tmp"
    try:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP, compression="zstd", compression_level=1)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    step(90, "匹配本平台人员")
    return tmp, len(distinct), _matched(index_arr)


_HEX = np.full(256, 0, dtype=np.uint64)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint64)


def _index_order(indexes: pa.Array) -> np.ndarray:
    """The order of 64-hex-digit blind indexes, as numbers: the first 128 bits as two integer sort
    keys (a string sort of millions of values costs several times more); exact unless two indexes
    share their first 128 bits, which HMAC-SM3 makes as good as impossible."""
    if not len(indexes):
        return np.arange(0)
    flat = pa.concat_arrays([indexes]) if indexes.offset else indexes
    start = int(np.frombuffer(flat.buffers()[1], dtype=np.int32)[0])
    mat = np.frombuffer(flat.buffers()[2], dtype=np.uint8)[start : start + 64 * len(flat)].reshape(-1, 64)
    keys = []
    for part in (mat[:, :16], mat[:, 16:32]):
        key = np.zeros(len(mat), dtype=np.uint64)
        for i in range(16):
            key = (key << np.uint64(4)) | _HEX[part[:, i]]
        keys.append(key)
    return np.lexsort((keys[1], keys[0]))


def _matched(indexes: pa.Array) -> int:
    """Distinct persons of the batch who are registry persons (equal blind index)."""
    n = len(indexes)
    if n <= 50_000:
        values = indexes.to_pylist()
        return sum(Person.objects.filter(id_number_index__in=values[i : i + 2000]).count() for i in range(0, n, 2000))
    registry = pa.array(
        Person.objects.values_list("id_number_index", flat=True).iterator(chunk_size=50_000), pa.string()
    )
    if not len(registry):
        return 0
    if len(registry) < n:
        return int(pc.sum(pc.is_in(registry, value_set=indexes)).as_py() or 0)
    return int(pc.sum(pc.is_in(indexes, value_set=registry)).as_py() or 0)


# ------------------------------------------------------------------------------------------ reading batches


def batch_path(batch: SourceBatch) -> Path:
    return Path(settings.VAR_DIR) / batch.path


def current_batches(codes=None) -> dict[str, SourceBatch]:
    """The latest accepted batch of each source (of ``codes``, or all) that has one."""
    qs = SourceBatch.objects.filter(state=BatchState.ACCEPTED).exclude(path="").select_related("source")
    if codes is not None:
        qs = qs.filter(source_id__in=list(codes))
    latest = qs.values("source_id").annotate(v=Max("version"))
    wanted = {(row["source_id"], row["v"]) for row in latest}
    if not wanted:
        return {}
    out = {}
    for batch in qs.filter(version__in={v for _, v in wanted}):
        if (batch.source_id, batch.version) in wanted:
            out[batch.source_id] = batch
    return out


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Sources:
    """The partner data of this engine as the foundation reads it (:mod:`minzheng.foundation.olap.partners`)."""

    def current(self, codes=None) -> dict[str, SourceBatch]:
        return current_batches(codes)

    def tables(self, codes=None, batches: dict[str, SourceBatch] | None = None) -> list[PartnerTable]:
        sources = DataSource.objects.all()
        if codes is not None:
            codes = list(codes)
            sources = sources.filter(code__in=codes)
        sources = list(sources)
        if codes is not None and len(sources) != len(set(codes)):
            unknown = sorted(set(codes) - {s.code for s in sources})
            raise ValueError(f"未知数据源：{'、'.join(unknown)}")
        if batches is None:
            batches = current_batches([s.code for s in sources])
        out = []
        for ds in sources:
            batch = batches.get(ds.code)
            path = batch_path(batch) if batch is not None and batch.path else None
            out.append(PartnerTable(ds.code, batch_columns(ds), path, batch if path is not None else None))
        return out


SOURCES_DATA = partner_data_register(_Sources())


def duck_sources(con, batches: dict[str, SourceBatch] | None = None, codes=None) -> dict[str, SourceBatch | None]:
    """The views ``src_<code>`` of the sources (see :func:`minzheng.foundation.olap.partners.partner_views`)."""
    return partner_views(con, batches=batches, codes=codes)


def batch_rows(batch: SourceBatch, *, offset: int = 0, limit: int = 50, id_indexes=None) -> list[dict]:
    """Rows of a batch as shown to staff: masked ID, plain columns, masked sensitive columns (never
    a token). ``id_indexes``: only these persons (reads only the row groups that cover them)."""
    import duckdb

    if not batch.path:
        return []
    ds = batch.source
    shown = ["row_no", "id_masked"] + [
        f"{c['name']}_masked" if c.get("sensitive") else c["name"] for c in ds.columns if c["name"] != ds.id_column
    ]
    con = duckdb.connect()
    try:
        where, params = "", []
        if id_indexes is not None:
            where, params = "WHERE id_index IN (SELECT unnest(?))", [list(id_indexes)]
        sql = (
            f"SELECT {', '.join(shown)} FROM read_parquet({_sql_text(str(batch_path(batch)))}) {where} "  # noqa: S608
            f"ORDER BY row_no LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def batch_reveal(user, batch: SourceBatch, row_no: int, column: str | None = None) -> str:
    """The plain ID number (or a ``sensitive`` column) of one row, audited; ``sources.view``."""
    import duckdb

    if not has_permission(user, "sources.view"):
        raise PermissionDenied("您没有查看部门共享数据的权限")
    ds = batch.source
    if column in (None, "", ds.id_column):
        field, label = "id_enc", "身份证号"
    else:
        col = next((c for c in ds.columns if c["name"] == column and c.get("sensitive")), None)
        if col is None:
            raise Refused(f"字段 {column} 不是加密字段")
        field, label = col["name"], col["label"]
    if not batch.path:
        raise Refused("该批次没有数据文件（已拒收或已清理）")
    con = duckdb.connect()
    try:
        row = con.execute(
            f"SELECT {field} FROM read_parquet({_sql_text(str(batch_path(batch)))}) WHERE row_no = ?",  # noqa: S608
            [int(row_no)],
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise Refused(f"该批次没有第 {row_no} 行")
    value = sm.decrypt(row[0]) if row[0] else ""
    reveal_audit(  # refused (RevealLimited) past N reveals in M minutes
        user=user,
        object_type="verification.sourcebatch",
        object_id=batch.pk,
        summary=f"查看{ds.name} 第 {batch.version} 版第 {row_no} 行的{label}明文",
        changes={"source": ds.code, "row_no": int(row_no), "field": column or ds.id_column},
    )
    return value


def batches_prune(keep: int, protected_ids: set[int]) -> list[int]:
    """Delete the files of accepted batches older than the newest ``keep`` of each source, except
    ``protected_ids`` (batches a report read). The rows stay (with an empty path) as history.
    Returns the ids pruned."""
    if keep < 1:
        raise Refused("至少保留 1 个版本（当前数据）")
    pruned = []
    for code in DataSource.objects.values_list("code", flat=True):
        old = (
            SourceBatch.objects.filter(source_id=code, state=BatchState.ACCEPTED)
            .exclude(path="")
            .order_by("-version")[keep:]
        )
        for batch in list(old):
            if batch.pk in protected_ids:
                continue
            batch_path(batch).unlink(missing_ok=True)
            SourceBatch.objects.filter(pk=batch.pk).update(path="")
            pruned.append(batch.pk)
    if pruned:
        audit_record(
            action="delete",
            object_type="verification.sourcebatch",
            summary=f"清理 {len(pruned)} 个旧数据批次的文件（每个数据源保留最新 {keep} 版）",
            changes={"pruned": pruned, "keep": keep},
        )
    return pruned


def batch_result(batch: SourceBatch) -> dict:
    """What the CLI prints and the API returns for a load."""
    return {
        "source": batch.source_id,
        "batch": batch.pk,
        "rows": batch.rows,
        "accepted": batch.state == BatchState.ACCEPTED,
        "errors": batch.errors,
    }


def is_stale(batch: SourceBatch | None, source: DataSource, today: dt.date | None = None) -> bool:
    """Older than the source's freshness (by its data date), or never loaded."""
    if batch is None:
        return True
    today = today or timezone.localdate()
    day = batch.as_of or timezone.localtime(batch.loaded_at).date()
    return (today - day).days > source.freshness_days


# ------------------------------------------------------------------------------------------ job


LOAD_JOB = "sources.load"


@job_kind(LOAD_JOB)
def load_job(job, progress):
    """A workbench upload: the file was saved under ``MEDIA_ROOT``; loaded, then removed."""
    path = Path(settings.MEDIA_ROOT) / job.params["path"]
    as_of = dt.date.fromisoformat(job.params["as_of"]) if job.params.get("as_of") else None
    try:
        batch = batch_load(
            source=job.params["source"],
            data=path,
            file_name=job.params.get("file_name", ""),
            user=job.created_by,
            channel=BatchChannel.UPLOAD,
            as_of=as_of,
            progress=progress,
        )
    finally:
        path.unlink(missing_ok=True)
    return {**batch_result(batch), "errors": batch.errors[:20], "error_count": batch.error_count}
