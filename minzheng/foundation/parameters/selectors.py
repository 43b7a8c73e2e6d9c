"""Reads of the policy parameters for people: every declared type with the row in force."""

from __future__ import annotations

import datetime as dt

from . import standards as st
from .models import Standard


def standards_in_force(
    *, region_code: str, hukou_type: str, as_of: dt.date
) -> list[tuple[st.StandardType, str, object, Standard]]:
    """Every declared standard type with the row in force (or None) for display."""
    std = st.standards_for(region_code=region_code, hukou_type=hukou_type, as_of=as_of)
    out = []
    for t in st.TYPES.values():
        for mode, _label in t.modes or (("", ""),):
            row = std.row(t.key, mode)
            out.append((t, mode, st.value_of(row) if row else None, row))
    return out
