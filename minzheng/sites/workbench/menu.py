"""The workbench's navigation, declared by the areas and assembled at start-up.

Each area declares its menu entries (:class:`MenuEntry`: label, URL name, permission, section,
order) in its ``area.py``; the sections (:class:`Section`) group them in the bar — one per field
of work (社会救助, 养老服务, 儿童福利 …) plus the shared ones (办件, 统计, 系统 …). A section shows only
when the user may open at least one of its entries, and an entry only when the user holds its
permission somewhere. Both registries refuse a second, different declaration under a name taken
(:class:`minzheng.foundation.plugins.Registry`): an entry is keyed by its URL name (one entry per
page), a section by its code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class Section:
    code: str
    label: str
    order: int


@dataclass(frozen=True)
class MenuEntry:
    """One link of the navigation.

    ``url``: the URL name (``"workbench:cases:inbox"``), reversed without arguments.
    ``permission``: the permission the user must hold in some region; a tuple means any one of them;
    ``None`` means every signed-in member of staff.
    """

    label: str
    url: str
    section: str
    order: int = 100
    permission: str | tuple[str, ...] | None = None

    def allows(self, user) -> bool:
        if self.permission is None:
            return True
        wanted = (self.permission,) if isinstance(self.permission, str) else self.permission
        return any(has_permission(user, p) for p in wanted)


SECTIONS = Registry("导航分组")
ENTRIES = Registry("导航菜单项")


def section_register(section: Section) -> Section:
    SECTIONS[section.code] = section
    return section


def menu_register(entry: MenuEntry) -> MenuEntry:
    ENTRIES[entry.url] = entry
    return entry


# The sections of the bar, in order. A business line that needs another one registers it from its
# own ``area.py``; a section without entries a user may open is not shown.
for _code, _label, _order in (
    ("cases", "办件", 10),
    ("registry", "人口家庭", 20),
    ("assistance", "社会救助", 30),
    ("elderly", "养老服务", 40),
    ("children", "儿童福利", 50),
    ("organisations", "社会组织", 60),
    ("affairs", "社会事务", 70),
    ("placenames", "区划地名", 80),
    ("governance", "基层治理", 90),
    ("statistics", "统计", 100),
    ("system", "系统", 110),
    ("mine", "我的", 120),
):
    section_register(Section(_code, _label, _order))


def menu_check() -> None:
    """Every entry names a declared section (called when the menu is assembled)."""
    unknown = sorted({e.section for e in ENTRIES.values()} - set(SECTIONS))
    if unknown:
        raise ImproperlyConfigured(f"导航菜单项引用了未声明的分组：{'、'.join(unknown)}")


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class Group:
    code: str
    label: str
    links: tuple[Link, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def menu_for(user, path: str = "") -> list[Group]:
    """The sections and entries ``user`` may open, in order; the entry whose page ``path`` is (the
    longest URL that ``path`` starts with) is marked current."""
    if user is None or not user.is_authenticated:
        return []
    menu_check()
    visible = sorted(
        (e for e in ENTRIES.values() if e.allows(user)), key=lambda e: (SECTIONS[e.section].order, e.order, e.label)
    )
    hrefs = {e.url: reverse(e.url) for e in visible}
    best = max((h for h in hrefs.values() if path.startswith(h) and h != "/"), key=len, default="")
    groups: dict[str, list[Link]] = {}
    for e in visible:
        groups.setdefault(e.section, []).append(Link(e.label, hrefs[e.url], hrefs[e.url] == best))
    return [Group(code, SECTIONS[code].label, tuple(links)) for code, links in groups.items()]
