"""Lay out a ``Document`` as an A4 PDF with the fonts embedded.

The look follows the habits of printed 民政 notices (after GB/T 9704, simplified): centred title
in a larger, emboldened size, 文号 under it, addressee line ending in "：", body paragraphs with a
first-line indent of two characters, issuer and date right-aligned at the end, "第 1 页 共 2 页"
at the foot of every page when there is more than one.

    from minzheng.foundation.documents.render import Document, Paragraph, render_pdf

    pdf = render_pdf(Document(title="受理通知书", number="瑞民救〔2026〕15号", addressee="张堃",
                              blocks=[Paragraph("你于……提出的最低生活保障申请，我局已受理。")],
                              issuer="瑞安市民政局", issued_on=date(2026, 11, 23)))

Fonts and the ``MINZHENG_PDF_FONT`` setting: see ``fonts.py``.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterator
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

from .fonts import FontChain, font_chain
from .spec import (
    Block,
    Checklist,
    Document,
    Fields,
    Heading,
    Note,
    Paragraph,
    Signatures,
    Table,
    Value,
    chinese_date,
    value_text,
)

__all__ = [
    "Block",
    "Checklist",
    "Document",
    "Fields",
    "Heading",
    "Note",
    "Paragraph",
    "Signatures",
    "Table",
    "Value",
    "chinese_date",
    "render_pdf",
]

logger = logging.getLogger(__name__)

# Page: A4 with GB/T 9704-like margins; the foot keeps room for the page number.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 28 * mm, 26 * mm, 30 * mm, 25 * mm
FOOTER_Y = 13 * mm

# Sizes in points: 二号 title, 四号 body, 五号-ish forms and tables.
TITLE_SIZE, BODY_SIZE, FORM_SIZE, SIGN_SIZE, NOTE_SIZE, FOOTER_SIZE = 22, 14, 11, 12, 9.5, 10
GRID = 0.6
LABEL_SHADE = colors.HexColor("#f0f0f0")
NOTE_GREY = colors.HexColor("#555555")
CELL_PAD = 4
_RULED = [
    ("GRID", (0, 0), (-1, -1), GRID, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), CELL_PAD + 1),
    ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PAD + 1),
    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
]
_NO_PADDING = [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes: A4, fonts embedded as subsets, title and author set."""
    chain = font_chain()
    missing = chain.missing("".join(_texts(doc)))
    if missing:
        logger.warning(
            "文书 %r: no embedded font has %s; they print as empty boxes", doc.title, "".join(sorted(missing))
        )

    layout = _Layout(chain, A4[0] - MARGIN_LEFT - MARGIN_RIGHT)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=doc.title,
        author=doc.issuer,
        subject=doc.number,
        creator="民政综合业务平台 minzheng",
        lang="zh-CN",
        initialFontName=chain.primary,  # else every page names Helvetica, which is not embedded
    )
    template.build(layout.story(doc), canvasmaker=functools.partial(_NumberedCanvas, layout=layout))
    return buffer.getvalue()


class _Layout:
    """Turns spec blocks into reportlab flowables for one font chain and text width."""

    def __init__(self, chain: FontChain, width: float):
        self.chain = chain
        self.width = width
        self.title = self.style("title", TITLE_SIZE, 32, TA_CENTER)
        self.number = self.style("number", BODY_SIZE, 22, TA_CENTER, space_before=4)
        self.body = self.style("body", BODY_SIZE, 25, TA_JUSTIFY, first_indent=2 * BODY_SIZE)
        self.plain = self.style("plain", BODY_SIZE, 25, TA_JUSTIFY)
        self.heading = self.style("heading", BODY_SIZE, 25, TA_LEFT)
        self.heading.keepWithNext = True  # never the last line of a page
        self.note = self.style("note", NOTE_SIZE, 14, TA_JUSTIFY, color=NOTE_GREY)
        self.cell = {
            align: self.style(f"cell-{align}", FORM_SIZE, 15, enum)
            for align, enum in (("left", TA_LEFT), ("center", TA_CENTER), ("right", TA_RIGHT))
        }
        self.sign = self.style("sign", SIGN_SIZE, 17, TA_LEFT)
        self.issuer = self.style("issuer", BODY_SIZE, 24, TA_CENTER)
        self.footer = self.style("footer", FOOTER_SIZE, 12, TA_CENTER)

    def style(
        self, name, size, leading, alignment, *, first_indent=0, space_before=0, color=colors.black
    ) -> ParagraphStyle:
        return ParagraphStyle(
            name,
            fontName=self.chain.primary,
            fontSize=size,
            leading=leading,
            alignment=alignment,
            firstLineIndent=first_indent,
            spaceBefore=space_before,
            textColor=color,
            wordWrap="CJK",  # Chinese has no spaces to break at
        )

    # -- text ------------------------------------------------------------------------------

    def markup(self, text: str) -> str:
        """Plain text as reportlab markup: escaped, each run in a font that has its glyphs."""
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return "<br/>".join("".join(self._run(font, part) for font, part in self.chain.runs(line)) for line in lines)

    def _run(self, font: str, part: str) -> str:
        part = escape(part.replace("\t", " "))
        return part if font == self.chain.primary else f'<font face="{font}">{part}</font>'

    def para(self, text: str, style: ParagraphStyle, *, bold: bool = False) -> RLParagraph:
        cls = _BoldParagraph if bold else RLParagraph
        return cls(self.markup(text), style)

    def text_width(self, text: str, size: float) -> float:
        return sum(stringWidth(part, font, size) for font, part in self.chain.runs(text))

    # -- document --------------------------------------------------------------------------

    def story(self, doc: Document) -> list[Flowable]:
        story: list[Flowable] = [self.para(doc.title, self.title, bold=True)]
        if doc.number:
            story.append(self.para(doc.number, self.number))
        story.append(Spacer(1, 14))
        if doc.addressee:
            addressee = doc.addressee if doc.addressee.endswith(("：", ":")) else doc.addressee + "："
            story.append(self.para(addressee, self.plain))
        blocks = list(doc.blocks)
        # A page must never hold only the issuer and date (GB/T 9704 has the text adjusted
        # instead): they go with the last block, unless that is a form or table, which may be
        # long and is split across pages anyway.
        last = blocks.pop() if blocks and not isinstance(blocks[-1], Table | Fields) else None
        for block in blocks:
            story.extend(self.block(block))
        closing = self.closing(doc)
        tail = self.block(last) if last else []
        if closing:
            story.append(KeepTogether([*tail, *closing]))
        else:
            story.extend(tail)
        return story

    def block(self, block: Block) -> list[Flowable]:
        match block:
            case Heading():
                return [Spacer(1, 4), self.para(block.text, self.heading, bold=True)]
            case Paragraph():
                return [self.para(block.text, self.body if block.indent else self.plain)]
            case Note():
                return [Spacer(1, 4), self.para(block.text, self.note)]
            case Fields():
                return self.fields(block)
            case Table():
                return [Spacer(1, 6), self.table(block), Spacer(1, 6)]
            case Checklist():
                return self.checklist(block)
            case Signatures():
                return [Spacer(1, 10), self.signatures(block)] if block.labels else []
        raise TypeError(f"not a document block: {block!r}")

    def closing(self, doc: Document) -> list[Flowable]:
        """Issuer centred over the date, the pair right-aligned two characters in (GB/T 9704)."""
        lines = [doc.seal_text, doc.issuer, chinese_date(doc.issued_on) if doc.issued_on else ""]
        lines = [line for line in lines if line]
        if not lines:
            return []
        inner = max(self.text_width(line, BODY_SIZE) for line in lines) + 2 * BODY_SIZE
        right_gap = 2 * BODY_SIZE
        table = self.grid_table(
            [[self.para(line, self.issuer), ""] for line in lines], [inner, right_gap], _NO_PADDING, hAlign="RIGHT"
        )
        return [Spacer(1, 20), table]

    # -- forms and tables ------------------------------------------------------------------

    def fields(self, block: Fields) -> list[Flowable]:
        if not block.items:
            return []
        pairs = block.columns
        pair_width = self.width / pairs
        longest = max(self.text_width(label, FORM_SIZE) for label, _ in block.items)
        label_width = min(longest + 2 * CELL_PAD + 4, pair_width * 0.45)
        widths = [label_width, pair_width - label_width] * pairs

        rows: list[list] = []
        commands: list[tuple] = []
        current: list[tuple[str, Value]] = []

        def flush():
            if not current:
                return
            r = len(rows)
            cells: list = []
            for i, (label, value) in enumerate(current):
                commands.append(("BACKGROUND", (2 * i, r), (2 * i, r), LABEL_SHADE))
                cells += [self.para(label, self.cell["center"]), self.para(value_text(value, label), self.cell["left"])]
            if len(cells) < 2 * pairs:
                # the last value stretches to the right edge
                commands.append(("SPAN", (len(cells) - 1, r), (-1, r)))
                cells += [""] * (2 * pairs - len(cells))
            rows.append(cells)
            current.clear()

        for label, value in block.items:
            if label in block.wide:
                flush()
                current.append((label, value))
                flush()
            else:
                current.append((label, value))
                if len(current) == pairs:
                    flush()
        flush()
        table = self.grid_table(rows, widths, _RULED + commands)
        return [Spacer(1, 6), table, Spacer(1, 6)]

    def table(self, block: Table) -> RLTable:
        n = len(block.header)
        align = list(block.align or ["left"] * n)
        weights = list(block.widths) if block.widths else self._natural_widths(block)
        total = sum(weights)
        widths = [self.width * w / total for w in weights]
        header = [self.para(h, self.cell["center"], bold=True) for h in block.header]
        body = [
            [self.para(value_text(v, h), self.cell[a]) for v, a, h in zip(row, align, block.header, strict=True)]
            for row in block.rows
        ]
        return self.grid_table(
            [header, *body], widths, [*_RULED, ("BACKGROUND", (0, 0), (-1, 0), LABEL_SHADE)], repeatRows=1
        )

    def _natural_widths(self, block: Table) -> list[float]:
        """Each column as wide as its longest cell, within 2.5 and 16 characters."""
        lo, hi = 2.5 * FORM_SIZE, 16 * FORM_SIZE
        columns = zip(block.header, *block.rows, strict=True)
        return [
            min(hi, max(lo, *(self.text_width(value_text(v, col[0]), FORM_SIZE) for v in col))) + 2 * CELL_PAD
            for col in columns
        ]

    def grid_table(self, rows: list[list], widths: list[float], commands: list[tuple], **kwargs) -> RLTable:
        # Empty cells are drawn as strings in the table's font: without FONTNAME that is
        # Helvetica, which would then be listed (not embedded) in the PDF.
        style = TableStyle([("FONTNAME", (0, 0), (-1, -1), self.chain.primary), *commands])
        return RLTable(rows, colWidths=widths, style=style, **kwargs)

    def checklist(self, block: Checklist) -> list[Flowable]:
        if not block.items:
            return []
        rows = [
            [_TickBox(done, size=10, line_height=self.plain.leading), self.para(text, self.plain)]
            for text, done in block.items
        ]
        commands = [*_NO_PADDING, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 0)]
        return [self.grid_table(rows, [2 * BODY_SIZE, self.width - 2 * BODY_SIZE], commands, hAlign="LEFT")]

    def signatures(self, block: Signatures) -> RLTable:
        """Label, a ruled line to sign on and, under it, 年 月 日 to fill in by hand."""
        columns = block.columns
        gap = 2 * SIGN_SIZE
        slot = (self.width - gap * (columns - 1)) / columns
        longest = max((self.text_width(label + "：", SIGN_SIZE) for label in block.labels), default=0)
        label_width = min(longest + 2, slot * 0.6)
        widths: list[float] = []
        for c in range(columns):
            widths += [label_width, slot - label_width] + ([gap] if c < columns - 1 else [])
        stride = 3  # label, line, gap

        rows: list[list] = []
        commands: list[tuple] = [*_NO_PADDING, ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]
        for start in range(0, len(block.labels), columns):
            chunk = block.labels[start : start + columns]
            r = len(rows)
            sign_row = [""] * len(widths)
            commands.append(("TOPPADDING", (0, r), (-1, r), 18))  # room to write a name
            for i, label in enumerate(chunk):
                sign_row[i * stride] = self.para(label + "：", self.sign)
                commands.append(("LINEBELOW", (i * stride + 1, r), (i * stride + 1, r), GRID, colors.black))
            rows.append(sign_row)
            if block.dated:
                date_row = [""] * len(widths)
                for i in range(len(chunk)):
                    date_row[i * stride] = self.blank_date()
                    commands.append(("SPAN", (i * stride, r + 1), (i * stride + 1, r + 1)))
                    commands.append(("ALIGN", (i * stride, r + 1), (i * stride, r + 1), "RIGHT"))
                rows.append(date_row)
        return self.grid_table(rows, widths, commands, hAlign="LEFT")

    def blank_date(self) -> RLTable:
        """年　　月　　日 with room before each unit to write the figures (spaces would collapse)."""
        unit, room = SIGN_SIZE + 2, 2 * SIGN_SIZE
        cells = [["", self.para("年", self.sign), "", self.para("月", self.sign), "", self.para("日", self.sign)]]
        return self.grid_table(cells, [room, unit, room, unit, room, unit], _NO_PADDING, hAlign="RIGHT")

    # -- page furniture --------------------------------------------------------------------

    def draw_footer(self, canvas: Canvas, page: int, total: int):
        if total < 2:
            return  # a one-page notice carries no page number
        footer = self.para(f"第 {page} 页 共 {total} 页", self.footer)
        footer.wrapOn(canvas, A4[0], FOOTER_Y)
        footer.drawOn(canvas, 0, FOOTER_Y)


class _BoldParagraph(RLParagraph):
    """The Chinese font has no bold face: fill and stroke the outlines (text render mode 2)."""

    def draw(self):
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(self.style.fontSize / 40)
        canvas.addLiteral("2 Tr")  # text state set outside BT holds for the text objects that follow
        super().draw()
        canvas.restoreState()


class _TickBox(Flowable):
    """A square to tick, centred on the first line of the item beside it; ticked when done."""

    def __init__(self, done: bool, *, size: float, line_height: float):
        super().__init__()
        self.done, self.size, self.line_height = done, size, line_height

    def wrap(self, available_width, available_height):
        return self.size, self.line_height

    def draw(self):
        canvas, s = self.canv, self.size
        y = (self.line_height - s) / 2 - 1
        canvas.saveState()
        canvas.setLineWidth(0.8)
        canvas.rect(0, y, s, s)
        if self.done:
            canvas.setLineWidth(1.4)
            path = canvas.beginPath()
            path.moveTo(0.2 * s, y + 0.55 * s)
            path.lineTo(0.42 * s, y + 0.25 * s)
            path.lineTo(0.85 * s, y + 0.85 * s)
            canvas.drawPath(path, stroke=1, fill=0)
        canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Holds each page until the end, so the foot can say how many pages there are."""

    def __init__(self, *args, layout: _Layout, **kwargs):
        super().__init__(*args, **kwargs)
        self._layout = layout
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._layout.draw_footer(self, number, total)
            super().showPage()
        super().save()


def _texts(doc: Document) -> Iterator[str]:
    yield from (doc.title, doc.number, doc.addressee, doc.issuer, doc.seal_text)
    for block in doc.blocks:
        match block:
            case Heading() | Paragraph() | Note():
                yield block.text
            case Fields():
                for label, value in block.items:
                    yield label
                    yield value_text(value, label)
            case Table():
                yield from block.header
                for row in block.rows:
                    yield from (value_text(v, h) for v, h in zip(row, block.header, strict=True))
            case Checklist():
                yield from (text for text, _ in block.items)
            case Signatures():
                yield from block.labels
