"""The workbench's areas and grouped navigation: declared by each area, assembled at start-up,
shown per the user's roles (minzheng/sites/workbench/areas.py, menu.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import resolve, reverse

from minzheng.foundation.plugins import DuplicateRegistration
from minzheng.sites.workbench import menu
from minzheng.sites.workbench.areas import AREAS, Area, area_register, autodiscover
from minzheng.sites.workbench.menu import ENTRIES, SECTIONS, MenuEntry, Section, menu_for
from tests.conftest import ANYANG, RUIAN


def _nav(client) -> str:
    html = client.get("/").content.decode()
    return html.split("<nav>")[1].split("</nav>")[0]


def _labels(nav_html: str) -> set[str]:
    return set(re.findall(r'<a href="[^"]+"(?: aria-current="page")?>([^<]+)</a>', nav_html))


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# the flat bar before the areas declared their entries: every link stays reachable
FLAT_BAR = {
    "待办", "办件", "公示", "督办", "人员", "家庭", "测算", "保障对象", "保障标准", "发放", "一次性发放",
    "统计", "提标测算", "核对", "预警", "数据源", "导入", "任务", "消息", "工作日历", "审计",
}  # fmt: skip


def test_every_area_is_found_and_registered_under_its_own_namespace():
    areas = {a.namespace for a in autodiscover()}
    assert {"registry", "cases", "benefits", "assistance", "verification", "sources", "monitoring", "system"} <= areas
    # a page keeps its path; its name is namespaced by its area
    assert reverse("workbench:cases:detail", args=["DB-1"]) == "/cases/DB-1/"
    assert resolve("/benefits/assess/").namespace == "workbench:assistance"
    assert resolve("/households/1/chain/").url_name == "household_chain"


def test_every_menu_entry_resolves_and_names_a_declared_section():
    assert FLAT_BAR <= {e.label for e in ENTRIES.values()}
    for entry in ENTRIES.values():
        assert entry.section in SECTIONS, entry
        assert resolve(reverse(entry.url)).url_name, entry  # reversible without arguments, and served


def test_the_registries_refuse_a_second_declaration_under_a_taken_name():
    taken = next(iter(ENTRIES.values()))
    with pytest.raises(DuplicateRegistration):
        menu.menu_register(MenuEntry("另一个", taken.url, "system"))
    with pytest.raises(DuplicateRegistration):
        menu.section_register(Section("assistance", "救助（重复）", 1))
    with pytest.raises(DuplicateRegistration):
        area_register(Area("cases", "minzheng.sites.workbench.system.urls", "办件（重复）"))
    # the same declaration again (a module imported twice) is harmless
    menu.menu_register(taken)
    area_register(AREAS["cases"])


def test_an_entry_in_an_undeclared_section_fails_at_assembly(anyang_user):
    from django.core.exceptions import ImproperlyConfigured

    with ENTRIES.temporarily("workbench:home", MenuEntry("首页", "workbench:home", "nowhere")):
        with pytest.raises(ImproperlyConfigured, match="nowhere"):
            menu_for(anyang_user)


@pytest.mark.django_db
def test_a_user_sees_only_the_entries_their_roles_allow(make_user):
    from minzheng.foundation.accounts.models import Role

    Role.objects.create(code="clerk", name="登记员", permissions=["registry.view"])
    clerk = FLAT_BAR & _labels(_nav(_client(make_user("clerk", ("clerk", RUIAN)))))
    assert clerk == {"人员", "家庭", "任务", "消息"}

    acceptor = _nav(_client(make_user("acceptor1", ("acceptor", ANYANG))))
    assert FLAT_BAR & _labels(acceptor) == {"待办", "办件", "公示", "人员", "家庭", "导入", "测算", "保障对象", "保障标准",
                                 "一次性发放", "统计", "核对", "预警", "任务", "消息"}  # fmt: skip
    # sections appear only with an entry the user may open (养老服务: the township's 敬老院 residents);
    # none of the lines not yet built
    assert "社会救助" in acceptor and "养老服务" in acceptor and "系统" not in acceptor and "儿童福利" not in acceptor

    finance = _labels(_nav(_client(make_user("finance1", ("finance", RUIAN)))))
    assert {"发放", "提标测算"} <= finance and not {"待办", "核对", "审计", "工作日历"} & finance

    admin = _labels(_nav(_client(make_user("admin1", ("admin", RUIAN)))))
    assert FLAT_BAR <= admin  # the administrator holds every permission today's entries ask for


@pytest.mark.django_db
def test_every_entry_a_user_is_shown_opens_for_them(make_user):
    for role in ("acceptor", "investigator", "reviewer", "approver", "finance", "leader", "admin"):
        user = make_user(f"u_{role}", (role, RUIAN if role != "acceptor" else ANYANG))
        c = _client(user)
        for group in menu_for(user):
            for link in group.links:
                assert c.get(link.href).status_code == 200, (role, link)


@pytest.mark.django_db
def test_the_current_page_is_marked_in_its_section(anyang_user):
    groups = menu_for(anyang_user, "/cases/inbox/")
    current = [(g.label, link.label) for g in groups for link in g.links if link.current]
    assert current == [("办件", "待办")]
    assert [g.label for g in groups if g.current] == ["办件"]
    nav = _client(anyang_user).get("/monitoring/alerts/").content.decode().split("<nav>")[1]
    assert 'aria-current="page">预警<' in nav
