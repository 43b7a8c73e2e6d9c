"""Fonts for generated PDF documents: a chain of embedded TrueType fonts.

A PDF from this package must print the same on a government PC with no Chinese font installed,
so every glyph is embedded (reportlab embeds a subset of each TrueType font: only the glyphs a
document uses). The vendored files are described in ``fonts/README.md``:

- ``DroidSansFallbackFull.ttf`` (Apache-2.0) draws Chinese: every CJK Unified Ideograph
  U+4E00–U+9FA5 and most of Extension A, which names with rare characters need;
- ``Arimo-Regular.ttf`` (OFL-1.1) draws what the Chinese font lacks: Latin letters, digits,
  ASCII punctuation and curly quotes.

Each character is drawn with the first font of the chain that has it.

Setting (read here, not required):

``MINZHENG_PDF_FONT``
    Path to a TrueType-outline font (``.ttf``, or ``.ttc`` whose first face is used) that draws
    Chinese instead of the vendored Droid Sans Fallback, e.g. a licensed 仿宋 for a bureau
    that owns one. Default: unset, the vendored font. Arimo stays in the chain behind it for
    characters it lacks. CFF-outline fonts (Noto Sans CJK ``.otf``/``.ttc``) cannot be
    embedded by reportlab and are refused with ``ImproperlyConfigured``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
CJK_FONT = FONT_DIR / "DroidSansFallbackFull.ttf"
LATIN_FONT = FONT_DIR / "Arimo-Regular.ttf"


@dataclass(frozen=True)
class FontChain:
    """Registered reportlab font names, first the one that draws Chinese, and what each covers."""

    names: tuple[str, ...]
    cmaps: tuple[frozenset[int], ...]

    @property
    def primary(self) -> str:
        return self.names[0]

    def font_for(self, char: str) -> str:
        code = ord(char)
        for name, cmap in zip(self.names, self.cmaps, strict=True):
            if code in cmap:
                return name
        return self.primary  # drawn as the primary font's empty box; see missing()

    def runs(self, text: str) -> list[tuple[str, str]]:
        """Split ``text`` into ``(font name, text)`` runs, each drawable with one font."""
        runs: list[tuple[str, str]] = []
        for char in text:
            name = self.font_for(char)
            if runs and runs[-1][0] == name:
                runs[-1] = (name, runs[-1][1] + char)
            else:
                runs.append((name, char))
        return runs

    def missing(self, text: str) -> set[str]:
        """Characters of ``text`` that no font of the chain has (whitespace aside)."""
        return {c for c in text if not c.isspace() and not any(ord(c) in cmap for cmap in self.cmaps)}


def font_chain() -> FontChain:
    """The chain for the current settings; fonts are parsed and registered once per path."""
    override = getattr(settings, "MINZHENG_PDF_FONT", None)
    return _chain(str(override) if override else str(CJK_FONT))


def missing_glyphs(text: str) -> set[str]:
    """Characters that would print as an empty box, e.g. a name in CJK Extension B.

    Engines can call this before issuing a document that carries a person's name.
    """
    return font_chain().missing(text)


@functools.cache
def _chain(cjk_path: str) -> FontChain:
    fonts = [_register(cjk_path), _register(str(LATIN_FONT))]
    return FontChain(
        names=tuple(f.fontName for f in fonts),
        cmaps=tuple(frozenset(f.face.charToGlyph) for f in fonts),
    )


def _register(path: str) -> TTFont:
    # The name is unique per path, so an override never collides with the vendored font.
    name = f"MZ-{Path(path).stem}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
    try:
        font = TTFont(name, path, subfontIndex=0)
    except (OSError, TTFError) as exc:
        raise ImproperlyConfigured(
            f"cannot embed the PDF font {path} ({exc}); MINZHENG_PDF_FONT must name a TrueType-outline font"
        ) from exc
    pdfmetrics.registerFont(font)
    return font
