"""Code prefixes as half-open ranges.

"Everything under 瑞安市" is the prefix 330381, queried as ``'330381' <= code < '330382'``: a
B-tree range scan on any collation, on SQLite and PostgreSQL alike (``LIKE '330381%'`` is not).
"""

from __future__ import annotations

from django.db.models import Q

from minzheng.foundation.validation import is_digits

# significant digits of a code at each level: province, city, county, township, village (统计用区划代码)
LEVEL_LENGTHS = (2, 4, 6, 9, 12)


def prefix_upper(prefix: str) -> str | None:
    """Smallest string greater than every code starting with ``prefix``. A prefix that is not all
    digits (a mistyped filter) gets a bound too, so it matches nothing instead of failing."""
    if not prefix or set(prefix) == {"9"}:
        return None
    if not is_digits(prefix):
        return prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return str(int(prefix) + 1).zfill(len(prefix))


def prefix_q(field: str, prefixes) -> Q:
    q = Q()
    for p in prefixes:
        upper = prefix_upper(p)
        part = Q(**{f"{field}__gte": p})
        if upper is not None:
            part &= Q(**{f"{field}__lt": upper})
        q |= part
    return q


def prefix_sql(column: str, prefixes, *, literal: bool = False) -> tuple[str, list[str]]:
    """The same rule as :func:`prefix_q` for hand-written SQL (PostgreSQL, SQLite, DuckDB):
    ``"((col >= %s AND col < %s) OR …)"`` with its parameters, or, with ``literal=True`` (DuckDB
    queries assembled as text), the codes inlined as literals, which are refused unless all digits.
    No prefixes select nothing (``"(1 = 0)"``), as ``prefix_q`` of none selects nothing in a filter
    with ``for_user``."""
    parts, params = [], []
    for p in prefixes:
        upper = prefix_upper(p)
        if literal:
            if not is_digits(p):
                raise ValueError(f"区划代码前缀须为数字：{p}")
            low, high = f"'{p}'", f"'{upper}'"
        else:
            low, high = "%s", "%s"
            params += [p, upper] if upper else [p]
        parts.append(f"({column} >= {low}" + (f" AND {column} < {high})" if upper else ")"))
    return ("(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"), params
