"""The public directory of supervised bodies (机构查询) of the portal: a registry of the kinds a
business line makes findable, and which of the kind's declared attributes are public.

A line registers, at import time, one entry per kind::

    from minzheng.sites.portal.directory import Filter, directory_register

    directory_register(
        "care_home", title="养老机构查询",
        filters=(Filter("nature"), Filter("vacancies", "min"), Filter("price", "max")),
        columns=("nature", "beds", "vacancies", "price"),
        detail=("address_note", "medical"),
        grades=True,
    )

``filters``: attributes a visitor filters by — ``eq`` (a choice, a yes/no or a text), ``min`` (at
least: vacancies) or ``max`` (at most: a price); district (区县/乡镇) and, with ``grades``, the
current grade are filters of every entry. ``columns``: the attributes shown in the list; a body's
public page shows ``columns`` and ``detail``, its current grade (``gradings.grade_current``) and the
results of its inspections whose draw findings were published. Nothing else of a body is public:
attributes not named here, its representative's phone, its hazards. Only bodies in operation are
listed. Names no line.
"""

from __future__ import annotations

from dataclasses import dataclass

from minzheng.engines.supervision.kinds import KINDS
from minzheng.foundation.plugins import Registry

OPS = ("eq", "min", "max")


@dataclass(frozen=True)
class Filter:
    code: str
    op: str = "eq"
    label: str = ""  # default: the attribute's label (with 不少于/不高于)


@dataclass(frozen=True)
class DirectoryEntry:
    kind: str
    title: str
    filters: tuple[Filter, ...] = ()
    columns: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()
    grades: bool = True
    intro: str = ""

    @property
    def public(self) -> tuple[str, ...]:
        return self.columns + tuple(c for c in self.detail if c not in self.columns)


DIRECTORY: Registry = Registry("机构查询")


def directory_register(kind: str, *, title: str, filters=(), columns=(), detail=(), grades: bool = True,
                       intro: str = "") -> DirectoryEntry:  # fmt: skip
    """Make ``kind`` findable on the portal (see the module's text). The kind must be declared
    first; every named attribute must be one of its own."""
    declared = KINDS.get(kind)
    if declared is None:
        raise ValueError(f"机构查询：监管对象类别「{kind}」未声明")
    codes = {a.code for a in declared.attributes}
    filters = tuple(f if isinstance(f, Filter) else Filter(*f) if isinstance(f, tuple) else Filter(f) for f in filters)
    for name in [f.code for f in filters] + list(columns) + list(detail):
        if name not in codes:
            raise ValueError(f"机构查询：「{declared.label}」没有属性「{name}」")
    for f in filters:
        if f.op not in OPS:
            raise ValueError(f"机构查询：筛选方式「{f.op}」无效，应为 {', '.join(OPS)}")
    DIRECTORY[kind] = DirectoryEntry(kind, title, filters, tuple(columns), tuple(detail), grades, intro)
    return DIRECTORY[kind]
