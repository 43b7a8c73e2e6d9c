"""Cleaning text as it comes in: control characters never reach the database.

One function for every face that takes free text (the registry's person and household services,
which the workbench, the API and the portal all call; every imported cell): C0 control characters,
DEL, C1 controls and the code points XML cannot carry (lone surrogates, U+FFFE, U+FFFF) are
removed; in a single-line value (a name, an address) tab, CR and LF become a space. Exports clean
again on the way out (:mod:`minzheng.foundation.exports`), for data that came in before or around
this.
"""

from __future__ import annotations

import re

CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
LINE_BREAK_RE = re.compile("[\t\n\r\u2028\u2029]+")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` without control characters; single-line unless ``multiline`` (which keeps tab,
    CR and LF). Leading and trailing spaces are the caller's business."""
    if not value:
        return value
    if not multiline:
        value = LINE_BREAK_RE.sub(" ", value)
    return CONTROL_RE.sub("", value)
