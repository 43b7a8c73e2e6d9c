"""The public directory of supervised bodies (机构查询) of the portal: a registry of the kinds a
business line makes findable, and which of the kind's declared attributes are public.

A line registers, at import time, one entry per kind::

    from minzheng.sites.portal.directory import Filter, directory_register

    directory_register(
        "care_home", title="养老机构查询",
        filters=(Filter("nature"), Filter("vacancies", "min"), Filter("monthly_fee_min", "max", "月收费不高于")),
        columns=("nature", "beds_total", "vacancies", "monthly_fee_min", "monthly_fee_max"),
        detail=("level", "fee_schedule"),
        grades=True,
        computed=(Computed("vacancies", "空余床位", values=vacancies_of, narrow=vacancies_narrow, unit="张"),),
    )

``filters``: attributes a visitor filters by — ``eq`` (a choice, a yes/no or a text), ``min`` (at
least: vacancies) or ``max`` (at most: a price); district (区县/乡镇) and, with ``grades``, the
current grade are filters of every entry. ``columns``: the attributes shown in the list; a body's
public page shows ``columns`` and ``detail``, its current grade (``gradings.grade_current``) and the
results of its inspections whose draw findings were published. Nothing else of a body is public:
attributes not named here, its representative's phone, its hazards. Only bodies in operation are
listed. Names no line.

A public value that is no attribute of the kind (the vacancies of a home: its beds less its
residents today) is a ``Computed`` the line passes in ``computed=``; its code is then named in
``filters``/``columns``/``detail`` like an attribute's. ``values(ids, on)`` gives ``{body id: value}``
for a page of rows in one go; ``narrow(qs, op, value, on)`` narrows a queryset of bodies by it (needed
when it is a filter)::

    Computed("vacancies", "空余床位", values=vacancies_of, narrow=vacancies_narrow, unit="张")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from minzheng.engines.supervision.kinds import INT, KINDS, Attribute
from minzheng.foundation.plugins import Registry

OPS = ("eq", "min", "max")


@dataclass(frozen=True)
class Filter:
    code: str
    op: str = "eq"
    label: str = ""  # default: the attribute's label (with 不少于/不高于)


@dataclass(frozen=True)
class Computed:
    """A public value a line computes for a page of bodies (see the module's text)."""

    code: str
    label: str
    values: Callable  # (ids, on) -> {id: value}
    narrow: Callable | None = None  # (qs, op, value, on) -> qs
    type: str = INT  # how a filter's value is read: int or decimal
    unit: str = ""

    @property
    def attribute(self) -> Attribute:
        """An attribute-like view of it: the filter reads and the pages show it the same way."""
        return Attribute(self.code, self.label, self.type, min=0, unit=self.unit)


@dataclass(frozen=True)
class DirectoryEntry:
    kind: str
    title: str
    filters: tuple[Filter, ...] = ()
    columns: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()
    grades: bool = True
    intro: str = ""
    computed: tuple[Computed, ...] = ()

    def computed_get(self, code: str) -> Computed | None:
        return next((c for c in self.computed if c.code == code), None)

    @property
    def public(self) -> tuple[str, ...]:
        return self.columns + tuple(c for c in self.detail if c not in self.columns)


DIRECTORY: Registry = Registry("机构查询")


def directory_register(kind: str, *, title: str, filters=(), columns=(), detail=(), grades: bool = True,
                       intro: str = "", computed=()) -> DirectoryEntry:  # fmt: skip
    """Make ``kind`` findable on the portal (see the module's text). The kind must be declared
    first; every named attribute must be one of its own."""
    declared = KINDS.get(kind)
    if declared is None:
        raise ValueError(f"机构查询：监管对象类别「{kind}」未声明")
    computed = tuple(computed)
    codes = {a.code for a in declared.attributes}
    for c in computed:
        if c.code in codes:
            raise ValueError(f"机构查询：计算值「{c.code}」与「{declared.label}」的属性同名")
        if c.type not in ("int", "decimal"):
            raise ValueError(f"机构查询：计算值「{c.code}」应为整数或金额")
    codes |= {c.code for c in computed}
    filters = tuple(f if isinstance(f, Filter) else Filter(*f) if isinstance(f, tuple) else Filter(f) for f in filters)
    for name in [f.code for f in filters] + list(columns) + list(detail):
        if name not in codes:
            raise ValueError(f"机构查询：「{declared.label}」没有属性「{name}」")
    for f in filters:
        if f.op not in OPS:
            raise ValueError(f"机构查询：筛选方式「{f.op}」无效，应为 {', '.join(OPS)}")
        c = next((c for c in computed if c.code == f.code), None)
        if c is not None and c.narrow is None:
            raise ValueError(f"机构查询：计算值「{c.code}」没有筛选方法（narrow），不能作为筛选条件")
    DIRECTORY[kind] = DirectoryEntry(kind, title, filters, tuple(columns), tuple(detail), grades, intro, computed)
    return DIRECTORY[kind]
