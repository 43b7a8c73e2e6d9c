"""Money as people read it: ``3,540.00`` — thousands separators and two decimals, never
``3540.0000``. One helper for pages (the ``yuan`` template filter), messages and documents.

Display only: amounts are computed and stored as ``Decimal`` with the rounding rule named where
they are computed; a value with more places (a standard kept to four) is shown rounded half up to
the fen, as 《会计基础工作规范》 rounds amounts written out for people.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")


def as_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal (from Decimal, int or a numeric string), else None."""
    if value is None or isinstance(value, bool | float):
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def yuan(value) -> str:
    """``Decimal("3540.0000")`` → ``"3,540.00"``; ``None``/``""`` → ``""``; anything that is not
    a number is returned as text unchanged."""
    if value is None or value == "":
        return ""
    d = as_decimal(value)
    if d is None:
        return str(value)
    return f"{d.quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"


def is_money_label(label: str) -> bool:
    """A label that names yuan (``月保障金（元）``, ``预警线（元/月）``, ``救助金额（元）``)."""
    return "（元" in label or "(元" in label
