"""Standard types and their resolution for a place, hukou type and date.

A business line (or an engine) declares the standard types it reads with :func:`standard_type`;
the values are rows of :class:`~.models.Standard`. :func:`standards_for` returns a :class:`Standards` view that
looks a value up lazily and says in Chinese exactly what is missing when nothing is configured.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from minzheng.foundation.plugins import Registry

from .models import Standard

AMOUNT, MULTIPLE, RATE, COUNT, MONTHS, DAYS, FLAG, CHOICE = (
    "amount", "multiple", "rate", "count", "months", "days", "flag", "choice",
)  # fmt: skip


@dataclass(frozen=True)
class StandardType:
    key: str
    label: str
    kind: str  # one of the constants above
    unit: str  # shown next to the value, e.g. 元/人·月
    modes: tuple[tuple[str, str], ...] = ()  # allowed (mode, label); empty = no mode
    choices: tuple[tuple[str, str], ...] = ()  # for CHOICE
    program: str = ""  # the program (or other grouping) the type belongs to, for display
    help: str = ""


TYPES: Registry = Registry("标准类型")


def standard_type(key: str, label: str, kind: str, unit: str = "", **kw) -> StandardType:
    """Declare a standard type (called by business lines and engines at import time)."""
    TYPES[key] = StandardType(key, label, kind, unit, **kw)
    return TYPES[key]


class MissingStandard(LookupError):
    """No row of a standard type is in force for the place, hukou type and date."""

    def __init__(self, key: str, region_code: str, hukou_type: str, as_of: dt.date, mode: str = ""):
        self.key, self.region_code, self.hukou_type, self.as_of, self.mode = key, region_code, hukou_type, as_of, mode
        t = TYPES.get(key)
        label = f"{t.label}（{key}）" if t else key
        if mode:
            label += f"〔{dict(t.modes).get(mode, mode) if t else mode}〕"
        hukou = {"urban": "城镇", "rural": "农村"}.get(hukou_type, "")
        super().__init__(f"区划 {region_code} {hukou}户籍 在 {as_of.isoformat()} 未配置保障标准：{label}")


def ancestor_codes(region_code: str) -> list[str]:
    """The region itself and its ancestors' 12-digit codes, most specific first, then '' (全国)."""
    code = region_code.ljust(12, "0")
    # a code's ancestors are the code with its lower levels zeroed (2+2+2+3+3 digits)
    return [*dict.fromkeys(code[:n].ljust(12, "0") for n in (12, 9, 6, 4, 2)), ""]


def _specificity(row_region: str, row_hukou: str) -> tuple[int, int]:
    return (len(row_region.rstrip("0")) if row_region else -1, 1 if row_hukou else 0)


def value_of(row: Standard):
    t = TYPES.get(row.key)
    if t is not None and t.kind == CHOICE:
        return row.text_value
    return row.value


def display(value) -> str:
    """A standard's value for people: no trailing zeros (1180, 0.1, 1.5), choices as stored."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}"
        return text
    return str(value)


@dataclass
class Standards:
    """The standards in force for one place, hukou type and date, looked up lazily.

    ``overrides`` (what-if values, e.g. from an assessment request) win over the table; every
    value used is remembered in ``used`` with where it came from, for the explanation.
    """

    region_code: str
    hukou_type: str
    as_of: dt.date
    overrides: dict = field(default_factory=dict)
    used: dict = field(default_factory=dict)
    _rows: dict | None = None
    _exclusions: dict = field(default_factory=dict)

    def _load(self) -> dict:
        if self._rows is None:
            codes = ancestor_codes(self.region_code)
            rows = Standard.objects.filter(
                Q(effective_to__isnull=True) | Q(effective_to__gt=self.as_of),
                region_code__in=codes,
                hukou_type__in=["", self.hukou_type],
                effective_from__lte=self.as_of,
            )
            best: dict[tuple[str, str], Standard] = {}
            for row in rows:
                k = (row.key, row.mode)
                if k not in best or _specificity(row.region_code, row.hukou_type) > _specificity(
                    best[k].region_code, best[k].hukou_type
                ):
                    best[k] = row
            self._rows = best
        return self._rows

    def row(self, key: str, mode: str = "") -> Standard | None:
        return self._load().get((key, mode))

    def has(self, key: str, mode: str = "") -> bool:
        if key in self.overrides:
            ov = self.overrides[key]
            return not isinstance(ov, dict) or mode in ov
        return self.row(key, mode) is not None

    def get(self, key: str, mode: str = ""):
        """The value (Decimal, or str for choices); raises :class:`MissingStandard`."""
        if key in self.overrides:
            ov = self.overrides[key]
            if isinstance(ov, dict):
                if mode in ov:
                    self.used[(key, mode)] = ("override", ov[mode])
                    return ov[mode]
            else:
                self.used[(key, mode)] = ("override", ov)
                return ov
        row = self.row(key, mode)
        if row is None:
            raise MissingStandard(key, self.region_code, self.hukou_type, self.as_of, mode)
        value = value_of(row)
        self.used[(key, mode)] = (row, value)
        return value

    def decimal(self, key: str, mode: str = "") -> Decimal:
        return Decimal(str(self.get(key, mode)))

    def excluded_income(self, scope: str):
        """The income kinds rule ``scope`` leaves out here on this date
        (:func:`~.exclusions.exclusions_all`, every rule read at once per view)."""
        if scope not in self._exclusions:
            from .exclusions import Exclusions, exclusions_all

            if not self._exclusions:  # every rule at once: one query for the view
                self._exclusions.update(exclusions_all(region_code=self.region_code, as_of=self.as_of))
            if scope not in self._exclusions:
                empty = Exclusions(scope=scope, region_code=self.region_code, as_of=self.as_of, kinds=frozenset())
                self._exclusions[scope] = empty
        return self._exclusions[scope]


def standards_for(*, region_code: str, hukou_type: str, as_of: dt.date, overrides: dict | None = None) -> Standards:
    return Standards(region_code=region_code, hukou_type=hukou_type, as_of=as_of, overrides=dict(overrides or {}))
