"""The benchmarks page (docs/benchmarks.md) is made of numbered sections ``## N. Title``; a bench
that runs on its own replaces its section in place, or appends it as the next number."""

from __future__ import annotations

import re
from collections.abc import Callable

HEADING = re.compile(r"^## (\d+)\. (.*)$", re.M)


def splice_section(text: str, marker: str, lines_for: Callable[[int], list[str]]) -> str:
    """``text`` with the section whose title contains ``marker`` replaced by ``lines_for(number)``
    (its own number kept), or appended with the next free number. ``lines_for`` returns the
    section's lines beginning with an empty line, then the ``## N. …`` heading."""
    found = [(m.start(), int(m.group(1)), marker in m.group(2)) for m in HEADING.finditer(text)]
    mine = next((i for i, (_, _, ours) in enumerate(found) if ours), None)
    if mine is None:
        number = max((n for _, n, _ in found), default=0) + 1
        return text.rstrip("\n") + "\n" + "\n".join(lines_for(number)) + "\n"
    start, number, _ = found[mine]
    end = found[mine + 1][0] if mine + 1 < len(found) else len(text)
    section = "\n".join(lines_for(number)[1:]) + "\n"
    return text[:start] + section + ("\n" + text[end:] if end < len(text) else "")
