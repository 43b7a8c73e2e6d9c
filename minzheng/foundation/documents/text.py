"""Read the text back out of a generated PDF, for tests and for checks before archiving.

    from minzheng.foundation.documents.text import pdf_text

    assert "张堃" in pdf_text(pdf, compact=True)

Extraction maps glyphs back to characters through each embedded font's ToUnicode table, which
reportlab writes for its TrueType subsets; without it Chinese would come back as nothing.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

_WHITESPACE = re.compile(r"\s+")


def pdf_text(data: bytes, *, compact: bool = False) -> str:
    """The text of every page, pages separated by a newline.

    Lines wrap wherever a Chinese line is full, so a name or number may come back split by a
    line break: ``compact=True`` removes all whitespace, and a test compares against its
    expected text with whitespace removed as well.
    """
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return _WHITESPACE.sub("", text) if compact else text
