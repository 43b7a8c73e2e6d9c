"""Entity kinds (监管对象类别) and their typed attribute schemas, declared by business lines.

The engine knows no line: a line declares each kind of body it supervises (养老机构, 社会组织,
公墓 …) with :func:`kind_declare` when its modules are imported, with the attributes the kind carries
(床位数, 机构性质, 消防验收日期 …) as typed, validated fields. Values are stored one row per attribute
value in a typed column (``models.AttributeValue``, ADR 0019) and every write goes through
:func:`attribute_clean`, which refuses what the declaration does not allow, in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from minzheng.foundation.plugins import Registry
from minzheng.foundation.text import clean_text

INT, DECIMAL, DATE, BOOL, CHOICE, TEXT = "int", "decimal", "date", "bool", "choice", "text"
TYPES = {INT: "整数", DECIMAL: "数值", DATE: "日期", BOOL: "是/否", CHOICE: "选项", TEXT: "文字"}
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_MAX = 500
DECIMAL_PLACES = 4
DECIMAL_MAX = Decimal("99999999999999")  # 14 integer digits: models.AttributeValue.value_decimal


@dataclass(frozen=True)
class Attribute:
    """One declared attribute of a kind: ``code`` (``[a-z][a-z0-9_]*``), Chinese ``label``, ``type``
    (one of :data:`TYPES`), whether it is ``required`` once the entity operates, ``choices`` (``(code,
    label)`` pairs, for ``choice``), ``min``/``max`` (for ``int``, ``decimal`` and ``date``; for
    ``text`` the length), a ``unit`` and a ``help`` shown next to the field."""

    code: str
    label: str
    type: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    min: int | Decimal | dt.date | None = None
    max: int | Decimal | dt.date | None = None
    unit: str = ""
    help: str = ""

    def __post_init__(self):
        if not CODE_RE.match(self.code):
            raise ValueError(f"属性代码「{self.code}」应为小写字母开头的字母、数字和下划线")
        if self.type not in TYPES:
            raise ValueError(f"属性「{self.code}」的类型「{self.type}」无效，应为 {', '.join(TYPES)}")
        if not self.label:
            raise ValueError(f"属性「{self.code}」须有中文名称")
        if self.type == CHOICE and not self.choices:
            raise ValueError(f"选项属性「{self.code}」须声明选项")
        if self.type != CHOICE and self.choices:
            raise ValueError(f"属性「{self.code}」不是选项类型，不能声明选项")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"属性「{self.code}」的下限大于上限")

    @property
    def type_label(self) -> str:
        return TYPES[self.type]

    def choice_label(self, value) -> str:
        return dict(self.choices).get(value, value)

    def display(self, value) -> str:
        """The value as people read it (choices by label, 是/否, dates as ISO, decimals without
        trailing zeros, the unit after numbers)."""
        if value is None or value == "":
            return ""
        if self.type == BOOL:
            return "是" if value else "否"
        if self.type == CHOICE:
            return self.choice_label(value)
        if self.type == DATE:
            return value.isoformat()
        if self.type == DECIMAL:
            text = f"{Decimal(value).normalize():f}"
            return f"{text}{self.unit}"
        if self.type == INT:
            return f"{value}{self.unit}"
        return str(value)


@dataclass(frozen=True)
class PermitType:
    """A filing or licence a kind holds (养老机构备案, 消防验收 …): ``category`` ``filing`` (备案) or
    ``licence`` (许可/批准), and whether it expires (``expires``)."""

    code: str
    label: str
    category: str  # "filing" | "licence"
    expires: bool = False


@dataclass(frozen=True)
class Kind:
    """An entity kind: its code (``care_home``), Chinese label, the attributes it carries, the
    filings and licences it may hold, and the region level of the competent office that is alerted
    and escalated to (``county`` or ``city``; the default county office, 县级民政部门)."""

    code: str
    label: str
    attributes: tuple[Attribute, ...] = ()
    permits: tuple[PermitType, ...] = ()
    help: str = ""
    _by_code: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if not CODE_RE.match(self.code):
            raise ValueError(f"监管对象类别代码「{self.code}」应为小写字母开头的字母、数字和下划线")
        seen: set[str] = set()
        for a in self.attributes:
            if a.code in seen:
                raise ValueError(f"监管对象类别「{self.code}」重复声明属性「{a.code}」")
            seen.add(a.code)
            self._by_code[a.code] = a
        permit_codes = [p.code for p in self.permits]
        if len(set(permit_codes)) != len(permit_codes):
            raise ValueError(f"监管对象类别「{self.code}」重复声明证照类型")
        for p in self.permits:
            if p.category not in ("filing", "licence"):
                raise ValueError(f"证照类型「{p.code}」的类别应为 filing 或 licence")

    def attribute(self, code: str) -> Attribute:
        try:
            return self._by_code[code]
        except KeyError:
            raise ValidationError({code: f"「{self.label}」没有属性「{code}」"}) from None

    def permit(self, code: str) -> PermitType:
        for p in self.permits:
            if p.code == code:
                return p
        raise ValidationError({"permit_type": f"「{self.label}」没有证照类型「{code}」"})


KINDS: Registry = Registry("监管对象类别")


def kind_declare(code: str, label: str, *, attributes=(), permits=(), help: str = "") -> Kind:
    """Declare an entity kind (a business line, at import time). A second, different declaration
    under the same code is refused (:class:`~minzheng.foundation.plugins.DuplicateRegistration`)."""
    KINDS[code] = Kind(code, label, tuple(attributes), tuple(permits), help)
    return KINDS[code]


def kind_get(code: str) -> Kind:
    """The declared kind, or a ``ValidationError`` in Chinese (a row of a kind no line declares any
    more is kept but can no longer be written)."""
    kind = KINDS.get(code)
    if kind is None:
        raise ValidationError({"kind": f"监管对象类别「{code}」未声明"})
    return kind


def attribute_clean(attribute: Attribute, raw):
    """The typed value of ``raw`` (a string from a form, or already typed) for ``attribute``;
    ``None`` for an empty value. Refuses (``ValidationError`` keyed by the code, in Chinese) what the
    declaration does not allow: wrong type, out of range, an undeclared choice, too long a text."""
    a = attribute
    if isinstance(raw, str):
        raw = clean_text(raw).strip()
    if raw is None or raw == "":
        return None

    def refuse(message: str):
        raise ValidationError({a.code: f"{a.label}{message}"})

    if a.type == INT:
        if isinstance(raw, bool):
            refuse("应为整数")
        if isinstance(raw, str):
            if not re.fullmatch(r"[+-]?[0-9]+", raw):
                refuse("应为整数")
            value = int(raw)
        elif isinstance(raw, int):
            value = raw
        elif isinstance(raw, Decimal) and raw == raw.to_integral_value():
            value = int(raw)
        else:
            refuse("应为整数")
        if abs(value) > 2**62:
            refuse("超出范围")
    elif a.type == DECIMAL:
        if isinstance(raw, (bool, float)):
            refuse("应为数值（请以文字或 Decimal 传入，不用浮点数）")
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            refuse("应为数值")
        if not value.is_finite():
            refuse("应为数值")
        if value.as_tuple().exponent < -DECIMAL_PLACES:
            refuse(f"最多保留{DECIMAL_PLACES}位小数")
        if abs(value) > DECIMAL_MAX:
            refuse("超出范围")
    elif a.type == DATE:
        if isinstance(raw, dt.datetime):
            refuse("应为日期")
        if isinstance(raw, dt.date):
            value = raw
        else:
            try:
                value = dt.date.fromisoformat(str(raw))
            except ValueError:
                refuse("应为日期（如 2024-01-31）")
    elif a.type == BOOL:
        if isinstance(raw, bool):
            value = raw
        elif str(raw) in ("1", "true", "True", "是", "on", "yes"):
            value = True
        elif str(raw) in ("0", "false", "False", "否", "off", "no"):
            value = False
        else:
            refuse("应为“是”或“否”")
    elif a.type == CHOICE:
        value = str(raw)
        if value not in dict(a.choices):
            refuse(f"的取值「{value}」不在可选范围内（{'、'.join(label for _c, label in a.choices)}）")
    else:  # TEXT
        value = str(raw)
        limit = int(a.max) if a.max is not None else TEXT_MAX
        if len(value) > min(limit, TEXT_MAX):
            refuse(f"不能超过{min(limit, TEXT_MAX)}个字")
        if a.min is not None and len(value) < int(a.min):
            refuse(f"不能少于{int(a.min)}个字")
        return value
    if a.type in (INT, DECIMAL, DATE):
        if a.min is not None and value < a.min:
            refuse(f"不能小于 {a.display(a.min) if a.type != DATE else a.min.isoformat()}")
        if a.max is not None and value > a.max:
            refuse(f"不能大于 {a.display(a.max) if a.type != DATE else a.max.isoformat()}")
    return value


def attributes_clean(kind: Kind, data: dict, *, partial: bool = True) -> dict:
    """Every value of ``data`` cleaned against ``kind``; all errors at once. ``partial=False`` also
    refuses a required attribute that is missing (checked when an entity starts operating)."""
    errors: dict[str, str] = {}
    out: dict = {}
    for code, raw in data.items():
        try:
            a = kind.attribute(code)
            out[code] = attribute_clean(a, raw)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if not partial:
        for a in kind.attributes:
            if a.required and out.get(a.code) is None and a.code not in errors:
                errors[a.code] = f"请填写{a.label}"
    if errors:
        raise ValidationError(errors)
    return out
