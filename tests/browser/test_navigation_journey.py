"""The grouped navigation in a real browser: sections drop down on a desktop, fold behind 菜单 on a
phone (390 px wide, no horizontal overflow), no script needed and nothing inline for the CSP."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import DESKTOP, browser_db, shot

pytestmark = browser_db
PHONE_390 = {"width": 390, "height": 844}


def test_desktop_sections_drop_down_on_hover_and_keyboard(pages, world):
    page = pages.login(pages.new(viewport=DESKTOP), world.anyang_user.username)
    nav = page.locator("header nav")
    expect(page.locator("label.menu-button")).to_be_hidden()
    headings = nav.locator(".menu-heading")
    expect(headings).to_have_text(["办件", "人口家庭", "社会救助", "养老服务", "统计", "我的"])
    inbox = nav.get_by_role("link", name="待办", include_hidden=True)
    expect(inbox).to_be_hidden()  # folded until its section is opened
    nav.locator(".menu-section", has_text="社会救助").hover()
    expect(nav.get_by_role("link", name="测算")).to_be_visible()
    expect(nav.get_by_role("link", name="预警")).to_be_visible()
    shot(page, "nav-desktop-assistance-open", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]

    # keyboard: a section heading takes the focus and shows its links, Tab walks into them
    page.mouse.move(5, 600)
    headings.first.focus()
    expect(inbox).to_be_visible()
    page.keyboard.press("Tab")
    expect(inbox).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{pages.base_url}/cases/inbox/")
    current = page.locator('header nav a[aria-current="page"]')
    expect(current).to_have_count(1)
    expect(current).to_have_text("待办")
    expect(page.locator(".menu-section.current .menu-heading")).to_have_text("办件")


def test_phone_menu_folds_behind_one_button_and_fits(pages, world):
    page = pages.login(pages.new(viewport=PHONE_390), world.anyang_user.username)
    button = page.locator("label.menu-button")
    expect(button).to_be_visible()
    expect(page.locator("header nav")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    shot(page, "phone-nav-closed", full_page=False)

    button.click()
    nav = page.locator("header nav")
    expect(nav).to_be_visible()
    # every section stacked open: no hover on a phone
    for name in ("待办", "人员", "测算", "保障对象", "核对", "预警", "统计", "消息"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    shot(page, "phone-nav-open")

    nav.get_by_role("link", name="保障对象").click()
    page.wait_for_url(f"{pages.base_url}/benefits/enrollments/")
    expect(page.locator("header nav")).to_be_hidden()  # a new page starts with the menu folded
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
