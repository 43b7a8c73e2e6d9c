"""What the benefits engine adds to the policy parameters: each program's per-person monthly line.

The standard types themselves, their values and their lookup are foundation
(:mod:`minzheng.foundation.parameters.standards`, ADR 0017); a business line names which of its
types is a program's line (低保标准 for 低保) with :func:`program_line`, and the monthly statistics
report that line's average.
"""

from __future__ import annotations

from minzheng.foundation.parameters.standards import TYPES
from minzheng.foundation.plugins import Registry

PROGRAM_LINES: Registry = Registry("保障项目标准线")


def program_line(program: str, key: str) -> str:
    """Declare standard type ``key`` the per-person monthly line of ``program`` (at import time)."""
    if key not in TYPES:
        raise LookupError(f"标准类型 {key} 未登记，不能作为保障项目 {program} 的标准线")
    PROGRAM_LINES[program] = key
    return key


def program_lines() -> dict[str, str]:
    """``program → standard type`` of each program's per-person line."""
    return dict(PROGRAM_LINES.items())
