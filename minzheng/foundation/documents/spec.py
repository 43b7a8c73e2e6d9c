"""What an official document (文书) says: a declarative spec that ``render.render_pdf`` lays out.

The engine that issues a 受理通知书, 一次性告知书, 入户调查表, 审核确认表, 决定书 or 终止通知书
builds a ``Document`` from blocks; it never deals with fonts, pages or coordinates. All text is
plain text, never markup: ``<``, ``&`` and line breaks in a name or a reason print as typed.

This module imports nothing heavy, so a spec can be built and tested without reportlab.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

# What a form cell or table cell may hold; dates print as 2026年11月23日, None as blank.
Value = str | int | Decimal | dt.date | None


@dataclass(frozen=True)
class Heading:
    """A section heading, e.g. 一、家庭基本情况."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """Body text; ``indent`` gives the usual first-line indent of two characters (首行缩进两字)."""

    text: str
    indent: bool = True


@dataclass(frozen=True)
class Note:
    """Small grey text: a legal remedy notice (复议、诉讼告知), a footnote, a form's 填表说明."""

    text: str


@dataclass(frozen=True)
class Fields:
    """A bordered label–value form (登记表, 入户调查表): ``columns`` pairs side by side.

    A label in ``wide`` takes a row of its own (住址, 致贫原因); the last pair of a row that
    is not full stretches to the right edge.
    """

    items: Sequence[tuple[str, Value]]
    columns: int = 2
    wide: Collection[str] = ()

    def __post_init__(self):
        if self.columns < 1:
            raise ValueError("Fields.columns must be at least 1")


@dataclass(frozen=True)
class Table:
    """A ruled table; the header repeats on every page it runs onto.

    ``widths`` are relative weights (``[1, 2, 4]``), by default estimated from the content;
    ``align`` gives ``"left"``, ``"center"`` or ``"right"`` per column (money: right).
    """

    header: Sequence[str]
    rows: Sequence[Sequence[Value]]
    widths: Sequence[float] | None = None
    align: Sequence[str] | None = None

    def __post_init__(self):
        n = len(self.header)
        if n == 0:
            raise ValueError("Table.header must name at least one column")
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise ValueError(f"Table row {i} has {len(row)} cells, the header {n}")
        if self.widths is not None and (len(self.widths) != n or min(self.widths) <= 0):
            raise ValueError(f"Table.widths must be {n} positive weights")
        if self.align is not None and (len(self.align) != n or set(self.align) - {"left", "center", "right"}):
            raise ValueError(f"Table.align must be {n} of left/center/right")


@dataclass(frozen=True)
class Checklist:
    """Items with a tick box, e.g. the materials of a 一次性告知书: ``(text, done)``."""

    items: Sequence[tuple[str, bool]]


@dataclass(frozen=True)
class Signatures:
    """Signature lines, ``columns`` side by side, each with 年 月 日 under it when ``dated``.

    ``Signatures(["调查人（签字）", "调查人（签字）", "被调查人（签字）"])``
    """

    labels: Sequence[str]
    columns: int = 2
    dated: bool = True

    def __post_init__(self):
        if self.columns < 1:
            raise ValueError("Signatures.columns must be at least 1")


Block = Heading | Paragraph | Note | Fields | Table | Checklist | Signatures


@dataclass(frozen=True)
class Document:
    """One document: title, 文号, 主送 (addressee), body blocks, then issuer and date at the end.

    ``seal_text`` (e.g. "（盖章）") marks where the seal goes on the printed copy; this package
    never draws a seal: an electronic seal is applied by a seal service, not drawn.
    """

    title: str
    number: str = ""
    addressee: str = ""
    blocks: Sequence[Block] = field(default_factory=tuple)
    issuer: str = ""
    issued_on: dt.date | None = None
    seal_text: str = ""


def chinese_date(day: dt.date) -> str:
    """The date as printed on 民政 notices: 2026年11月23日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def value_text(value: Value, label: str = "") -> str:
    """A cell as printed: dates as 2026年11月23日; a Decimal, or a number under a label that names
    元 (``月保障金（元）``), as money: 3,540.00."""
    from minzheng.foundation.money import is_money_label, yuan

    if value is None:
        return ""
    if isinstance(value, dt.date):
        return chinese_date(value)
    if isinstance(value, Decimal) or (is_money_label(label) and isinstance(value, str | int)):
        return yuan(value)
    return str(value)
