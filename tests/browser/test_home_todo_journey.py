"""The home page's 我的待办 on a phone and on a desktop: on a narrow screen its rows stack their cells,
each under its column's name (``data-label``, as every list of the workbench does), and nothing is
wider than the screen; on a desktop it stays a table with its header."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minzheng.engines.cases.services import case_open
from minzheng.foundation.registry.models import Household

from .conftest import DESKTOP, browser_db, shot

pytestmark = [pytest.mark.browser, browser_db]
PHONE_390 = {"width": 390, "height": 844}
COLUMNS = ["办件编号", "事项", "申请人", "环节", "期限"]


@pytest.fixture
def todo(world):
    """Three 低保 applications at the window of 安阳街道, waiting for its acceptor."""
    for pk in world.anyang_households[:3]:
        household = Household.objects.select_related("head").get(pk=pk)
        case_open(user=world.anyang_user, case_type="dibao_application", region_code="", household=household,
                  applicant=household.head, channel="window")  # fmt: skip
    return 3


def _labels(page, row) -> list[str]:
    """What each cell of the row shows before its content (the ::before of its data-label)."""
    return row.locator("td").evaluate_all(
        "cells => cells.map(td => getComputedStyle(td, '::before').content.replace(/^\"|\"$/g, ''))"
    )


def test_my_todo_on_the_home_page_stacks_its_cells_on_a_phone(pages, world, todo):
    page = pages.login(pages.new(viewport=PHONE_390), world.anyang_user.username)
    table = page.locator("#todo table.list")
    expect(table.locator("tbody tr")).to_have_count(todo)
    expect(table.locator("thead")).to_be_hidden()
    first = table.locator("tbody tr").first
    assert _labels(page, first) == COLUMNS
    # one cell a line, the label beside its value: the row is taller than wide cells would make it
    boxes = first.locator("td").evaluate_all("cells => cells.map(td => td.getBoundingClientRect().top)")
    assert boxes == sorted(boxes) and len(set(boxes)) == len(COLUMNS)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    # and the table itself needs no sideways scrolling inside its card
    wide = table.evaluate("t => [t.offsetWidth, t.parentElement.clientWidth, t.parentElement.scrollWidth]")
    assert wide[0] == wide[1] == wide[2], f"table, container, scrolled: {wide}"
    expect(first.get_by_role("link")).to_be_visible()
    shot(page, "home-todo-390")


def test_my_todo_on_the_home_page_is_a_table_on_a_desktop(pages, world, todo):
    page = pages.login(pages.new(viewport=DESKTOP), world.anyang_user.username)
    table = page.locator("#todo table.list")
    expect(table.locator("thead")).to_be_visible()
    expect(table.locator("thead th")).to_have_text(COLUMNS)
    first = table.locator("tbody tr").first
    tops = first.locator("td").evaluate_all("cells => cells.map(td => td.getBoundingClientRect().top)")
    assert len(set(tops)) == 1  # one row across
    assert _labels(page, first) == ["none"] * len(COLUMNS)
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    shot(page, "home-todo-1280")
