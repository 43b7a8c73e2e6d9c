"""Bank file layouts (代发文件) as plugins, and the parallel decryption that feeds them.

A layout is a :class:`BankFormat` subclass registered with :func:`register` (the shape of Open
Forms' plugin registry): ``code`` and ``label`` for the picker, ``render(lines) -> bytes`` for the
payment file sent to the bank, ``parse_result(bytes) -> rows`` for the result file (回盘文件) the
bank sends back. Two ship here: the default CSV the issue asks for, and a fixed-width GB18030
record layout as the example of a bank-specific plugin; a bank with its own layout gets a class of
its own, nothing else changes.

Payment files carry ID numbers and account numbers in the clear (the bank needs them), so the
snapshot ciphertexts are decrypted here, in worker processes when there are many lines (SM4-GCM
costs ~10–20 µs a value; a million lines hold two million values), in chunks that also render
their own bytes, so the parent process only fetches ciphertext and joins bytes.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError

from minzheng.foundation.crypto import sm
from minzheng.foundation.crypto.keys import KeyError_
from minzheng.foundation.exports import csv_writer
from minzheng.foundation.plugins import Registry
from minzheng.foundation.tabular import TooBig, bank_result_caps, csv_rows
from minzheng.foundation.validation import is_digits

SUCCESS, FAILURE = "成功", "失败"


class BankLine(NamedTuple):
    """One line of a payment file, in the clear (a tuple: a million are made per export)."""

    memo: str  # 摘要: the line's reference first, e.g. "DB202612-330381-000123 2026年12月低保金"
    name: str  # 户主姓名 (the payee)
    id_number: str
    bank_name: str
    account: str
    amount: Decimal


@dataclass
class ResultRow:
    """One line of a bank's result file as read, not yet checked against the cycle."""

    row_no: int  # the line's number in the file, for the report (the header is line 1 in CSV)
    name: str
    id_number: str
    account: str
    amount: str
    memo: str
    result: str  # 成功 | 失败 (anything else is reported by the reconciliation)
    reason: str


class FileRefused(ValidationError):
    """A result file that cannot be read at all (wrong layout, encoding, missing columns)."""


class BankFormat:
    code = ""
    label = ""
    extension = "txt"
    content_type = "text/plain"

    def header(self, *, count: int, total: Decimal) -> bytes:
        """Bytes before the first line (column names, a control record with count and total)."""
        return b""

    def render_lines(self, lines: Iterable[BankLine]) -> bytes:
        raise NotImplementedError

    def render(self, lines: list[BankLine]) -> bytes:
        total = sum((line.amount for line in lines), Decimal("0.00"))
        return self.header(count=len(lines), total=total) + self.render_lines(lines)

    def parse_result(self, content: bytes) -> list[ResultRow]:
        raise NotImplementedError

    def looks_like(self, content: bytes) -> bool:
        """Whether ``content`` is a result file of this layout, from its first bytes (never the
        file name)."""
        raise NotImplementedError

    def result_help(self) -> str:
        """One sentence for the upload page: what a result file of this layout looks like."""
        return ""


FORMATS: dict[str, BankFormat] = Registry("银行文件格式")


def register(cls: type[BankFormat]) -> type[BankFormat]:
    FORMATS[cls.code] = cls()
    return cls


def bank_format(code: str) -> BankFormat:
    fmt = FORMATS.get(code or "")
    if fmt is None:
        known = "、".join(f"{c}（{f.label}）" for c, f in FORMATS.items())
        raise ValidationError({"format": f"不认识的银行文件格式：{code}；可选：{known}"})
    return fmt


def detect_result_format(content: bytes, exported: list[str]) -> BankFormat:
    """The layout of a bank's result file, recognised from its content among the layouts the
    cycle was exported in; a Chinese refusal naming the expected layouts otherwise."""
    known = [FORMATS[c] for c in exported if c in FORMATS] or [FORMATS["csv"]]
    expected = "或".join(f"“{f.label}”" for f in known)
    if not content.strip():
        raise FileRefused("回盘文件是空的")
    for fmt in known:
        if fmt.looks_like(content):
            return fmt
    other = next((f for c, f in FORMATS.items() if f not in known and f.looks_like(content)), None)
    if other is not None:
        raise FileRefused(
            f"回盘文件是“{other.label}”格式，但本批次没有按此格式导出过银行文件；请上传{expected}格式的回盘文件"
        )
    raise FileRefused(f"无法识别回盘文件的格式：本批次导出的是{expected}，回盘文件应为同一格式加上处理结果")


def fen(amount: Decimal) -> int:
    """Yuan with two places → fen; exact (the amounts are quantized to the fen already)."""
    return int((amount * 100).to_integral_value())


# ---------------------------------------------------------------- default CSV

CSV_COLUMNS = ["户主姓名", "身份证号", "银行账号", "金额", "摘要"]
CSV_RESULT_COLUMNS = [*CSV_COLUMNS, "处理结果", "失败原因"]


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM, as exported) or GB18030 (what a bank's Windows tool saves)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            raise FileRefused("回盘文件编码无法识别（应为 UTF-8 或 GB18030）") from None


@register
class CsvFormat(BankFormat):
    """户主姓名, 身份证号, 银行账号, 金额, 摘要 — UTF-8 with a byte-order mark so Excel shows the
    Chinese correctly. (Saving it back from Excel turns 18-digit numbers into 1.2E+17: send the
    file to the bank as exported.)"""

    code = "csv"
    label = "CSV（通用，UTF-8）"
    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def header(self, *, count: int, total: Decimal) -> bytes:
        return "\ufeff".encode() + (",".join(CSV_COLUMNS) + "\r\n").encode()

    def render_lines(self, lines: Iterable[BankLine]) -> bytes:
        buf = io.StringIO()
        w = csv_writer(buf, lineterminator="\r\n")  # formula-safe, control characters removed
        for line in lines:
            w.writerow([line.name, line.id_number, line.account, f"{line.amount:.2f}", line.memo])
        return buf.getvalue().encode()

    def looks_like(self, content: bytes) -> bool:
        first = content.lstrip(b"\r\n").split(b"\n", 1)[0][:4096]
        try:
            header = _decode(first)
        except FileRefused:
            return False
        # a comma-separated header line (the columns themselves are checked by parse_result)
        return "," in header or "摘要" in header

    def result_help(self) -> str:
        return "CSV：导出文件的各列（户主姓名、身份证号、银行账号、金额、摘要）加上“处理结果”（成功/失败）和“失败原因”"

    def parse_result(self, content: bytes) -> list[ResultRow]:
        text = _decode(content)
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [c.strip() for c in next(reader, [])]
        missing = [c for c in CSV_RESULT_COLUMNS if c not in header and c != "失败原因"]
        if missing:
            raise FileRefused(f"回盘文件缺少列：{'、'.join(missing)}（应为导出文件的列加上 处理结果、失败原因）")
        at = {c: header.index(c) for c in CSV_RESULT_COLUMNS if c in header}
        rows = []
        try:
            for n, cells in csv_rows(reader, bank_result_caps()):
                if any(c.strip() for c in cells):
                    rows.append(_csv_row(n, cells, at))
        except TooBig as exc:
            raise FileRefused(f"回盘文件过大：{exc.message}") from None
        return rows


def _csv_row(n: int, cells: list[str], at: dict[str, int]) -> ResultRow:
    def cell(col):
        i = at.get(col)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    return ResultRow(n, cell("户主姓名"), cell("身份证号"), cell("银行账号"), cell("金额"), cell("摘要"), cell("处理结果"),
                     cell("失败原因"))  # fmt: skip


# ---------------------------------------------------------------- fixed width, GB18030

# (field, width in bytes): a typical 代发 record layout of a Chinese bank's batch interface
FIXED_FIELDS = [("name", 20), ("id_number", 18), ("account", 32), ("amount_fen", 15), ("memo", 60)]
FIXED_RESULT_FIELDS = [*FIXED_FIELDS, ("result", 4), ("reason", 60)]


def _cut(text: str, width: int, encoding: str) -> bytes:
    """``text`` in ``encoding``, cut to ``width`` bytes at a character boundary, space-padded."""
    out = text.encode(encoding)
    if len(out) <= width:
        return out.ljust(width, b" ")
    out = b""
    for ch in text:
        b = ch.encode(encoding)
        if len(out) + len(b) > width:
            break
        out += b
    return out.ljust(width, b" ")


@register
class FixedWidthGb18030(BankFormat):
    """Fixed-width records in GB18030, CRLF-terminated: a control record ``H`` + line count (8) +
    total in fen (15), then one ``D`` record per line: name (20 bytes), ID number (18), account
    (32), amount in fen (15, zero-padded), 摘要 (60). The result file repeats each ``D`` record and
    appends 处理结果 (4 bytes: 成功/失败) and 失败原因 (60)."""

    code = "fixed_gb18030"
    label = "定长文本（GB18030，示例银行格式）"
    extension = "txt"
    content_type = "text/plain; charset=gb18030"
    encoding = "gb18030"

    def header(self, *, count: int, total: Decimal) -> bytes:
        return f"H{count:08d}{fen(total):015d}\r\n".encode("ascii")

    def render_lines(self, lines: Iterable[BankLine]) -> bytes:
        parts = []
        for line in lines:
            parts += [
                b"D",
                _cut(line.name, 20, self.encoding),
                _cut(line.id_number, 18, self.encoding),
                _cut(line.account, 32, self.encoding),
                f"{fen(line.amount):015d}".encode("ascii"),
                _cut(line.memo, 60, self.encoding),
                b"\r\n",
            ]
        return b"".join(parts)

    def looks_like(self, content: bytes) -> bool:
        first = content.lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r")
        if first[:1] == b"H":
            return is_digits(first[1:24]) and len(first) == 24
        return first[:1] == b"D" and len(first) >= 1 + sum(w for _, w in FIXED_FIELDS)

    def result_help(self) -> str:
        return (
            "定长文本（GB18030）：控制记录 H 行之后，每笔一条 D 记录，即导出的定长记录后加“处理结果”"
            "（4字节：成功/失败）和“失败原因”（60字节）"
        )

    def parse_result(self, content: bytes) -> list[ResultRow]:
        rows = []
        width = 1 + sum(w for _, w in FIXED_RESULT_FIELDS)
        for n, record in enumerate(content.split(b"\n"), start=1):
            record = record.rstrip(b"\r")
            if not record.strip() or record.startswith(b"H"):
                continue
            if not record.startswith(b"D") or len(record) < width - 60:
                raise FileRefused(f"第{n}行不是明细记录（应以 D 开头，至少 {width - 60} 字节）")
            values, pos = {}, 1
            for field, w in FIXED_RESULT_FIELDS:
                try:
                    values[field] = record[pos : pos + w].decode(self.encoding).strip()
                except UnicodeDecodeError:
                    raise FileRefused(f"第{n}行第{pos + 1}字节起的“{field}”不是 GB18030 文本") from None
                pos += w
            amount = values["amount_fen"]
            amount = f"{Decimal(amount) / 100:.2f}" if is_digits(amount) else amount
            rows.append(
                ResultRow(
                    n,
                    values["name"],
                    values["id_number"],
                    values["account"],
                    amount,
                    values["memo"],
                    values["result"],
                    values["reason"],
                )
            )
        return rows


# ---------------------------------------------------------------- 摘要


@dataclass(frozen=True)
class Memo:
    """The 摘要 of a cycle's lines: ``<reference prefix><line no, 6 digits>[-B<n>] <text>[（补发）]``,
    e.g. ``DB202612-330381-000123 2026年12月低保金``; the reference (up to the space) identifies
    the line when the bank's result file comes back."""

    reference_prefix: str  # e.g. "DB202612-330381-"
    text: str  # e.g. "2026年12月低保金"

    def reference(self, line_no: int, reissues: int = 0) -> str:
        ref = f"{self.reference_prefix}{line_no:06d}"
        return f"{ref}-B{reissues}" if reissues else ref

    def memo(self, line_no: int, reissues: int = 0) -> str:
        return f"{self.reference(line_no, reissues)} {self.text}" + ("（补发）" if reissues else "")


# ---------------------------------------------------------------- decryption in worker processes

PARALLEL_FROM = 20_000  # below this, forking costs more than it saves
CHUNK = 10_000  # lines per task
CHUNK_BYTES = 2_000_000  # bytes of COPY text per task (~10,000 lines)
CENT = Decimal("0.01")


def _copy_unescape(field: str) -> str:
    """PostgreSQL COPY text format: backslash escapes (names and ciphertexts never have any;
    a bank name might)."""
    out, i = [], 0
    table = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "b": "\b", "f": "\f", "v": "\v"}
    while i < len(field):
        ch = field[i]
        if ch == "\\" and i + 1 < len(field):
            out.append(table.get(field[i + 1], field[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _copy_rows(block: bytes) -> Iterator[tuple]:
    for line in block.decode().split("\n"):
        if not line:
            continue
        f = line.split("\t")
        if "\\" in line:
            f = [_copy_unescape(x) for x in f]
        yield int(f[0]), int(f[1]), f[2], f[3], f[4], f[5], f[6]


def _render_chunk(task: tuple[str, Memo, list[tuple] | bytes]) -> bytes:
    """(format code, memo style, rows) → rendered bytes; runs in a worker process. Rows are
    ``(line_no, reissues, name, id_cipher, bank_name, account_cipher, amount)`` tuples, or the same
    columns as PostgreSQL ``COPY … TO STDOUT`` text (so the parent never builds a Python object per
    value)."""
    code, memo, rows = task
    if isinstance(rows, bytes | bytearray | memoryview):
        rows = _copy_rows(bytes(rows))
    rows = list(rows)
    try:
        ids = sm.decrypt_many([r[3] for r in rows])
        accounts = sm.decrypt_many([r[5] for r in rows])
    except (sm.DecryptionError, KeyError_):
        raise sm.DecryptionError(_undecryptable(rows)) from None
    lines = [
        BankLine(
            memo.memo(line_no, reissues), name, id_plain, bank_name, acct_plain, Decimal(str(amount)).quantize(CENT)
        )
        for (line_no, reissues, name, _, bank_name, _, amount), id_plain, acct_plain in zip(
            rows, ids, accounts, strict=True
        )
    ]
    return FORMATS[code].render_lines(lines)


def _undecryptable(rows: list[tuple]) -> str:
    """Which line of a chunk holds a value that does not decrypt, and why (looked for value by
    value once the chunk has failed; the message crosses the process boundary as a string)."""
    for row in rows:
        for label, token in (("身份证号", row[3]), ("银行账号", row[5])):
            try:
                sm.decrypt_many([token])
            except (sm.DecryptionError, KeyError_) as exc:
                return f"第 {row[0]} 行的{label}无法解密：{exc}"
    return "有一行无法解密"


def _decrypt_chunk(tokens: list[str]) -> list[str]:
    return sm.decrypt_many(tokens)


def _workers(workers: int | None) -> int:
    return workers if workers is not None else (os.cpu_count() or 1)


def _pool(workers: int):
    if workers <= 1:
        return None
    sm.encrypt("warm-up")  # load the key ring before forking: the children inherit it
    return multiprocessing.get_context("fork").Pool(workers)


def row_chunks(rows: Iterable, size: int | None = None) -> Iterator[list]:
    size = size or CHUNK
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def line_chunks(blocks: Iterable[bytes], size: int | None = None) -> Iterator[bytes]:
    """Blocks of a text stream (e.g. ``COPY … TO STDOUT``) regrouped into chunks of about ``size``
    bytes that end at a line end."""
    size = size or CHUNK_BYTES
    buf = bytearray()
    for block in blocks:
        buf += block
        if len(buf) >= size:
            cut = buf.rfind(b"\n") + 1
            if cut:
                yield bytes(buf[:cut])
                del buf[:cut]
    if buf:
        yield bytes(buf)


def render_encrypted(
    fmt: BankFormat,
    chunks: Iterable[list[tuple] | bytes],
    *,
    memo: Memo,
    count: int,
    total: Decimal,
    workers: int | None = None,
) -> bytes:
    """A whole payment file from chunks of ciphertext rows (see :func:`_render_chunk`), decrypting
    and rendering the chunks in a pool of one process per core when there are many lines; they
    come back in order. ``chunks`` may be a generator over a database cursor: it is consumed here,
    in the calling thread (a cursor belongs to its thread), with a few chunks in flight at a time."""
    parts = [fmt.header(count=count, total=total)]
    tasks = ((fmt.code, memo, chunk) for chunk in chunks)
    workers = _workers(workers)
    pool = _pool(workers) if count >= PARALLEL_FROM else None
    try:
        if pool is None:
            parts += [_render_chunk(t) for t in tasks]
            return b"".join(parts)
        in_flight: deque = deque()
        with pool:
            for task in tasks:
                in_flight.append(pool.apply_async(_render_chunk, (task,)))
                while len(in_flight) > 2 * workers:
                    parts.append(in_flight.popleft().get())
            parts += [r.get() for r in in_flight]
        return b"".join(parts)
    finally:
        # a chunk that failed leaves ``chunks`` suspended: closed here, a COPY it reads from is
        # cancelled now, not left open on the connection the caller is about to roll back
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def decrypt_many(tokens: list[str], *, workers: int | None = None) -> list[str]:
    """Plain values of many ciphertexts, in order (in a pool when there are many)."""
    pool = _pool(_workers(workers)) if len(tokens) >= PARALLEL_FROM else None
    if pool is None:
        return _decrypt_chunk(tokens)
    out: list[str] = []
    with pool:
        for part in pool.imap(_decrypt_chunk, row_chunks(tokens)):
            out.extend(part)
    return out
