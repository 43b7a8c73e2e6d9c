"""The workbench under its strict Content-Security-Policy, in a real browser: live search, reveal,
auto-submitting filters and back/forward all work with no CSP violation (the ``pages`` fixture
fails the test on any), and a search by ID number never shows the number in the address bar or
in any URL the page requested."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minzheng.foundation.registry.models import Person

from .conftest import ANYANG, browser_db, nav_link, shot
from .test_registry_journey import search

pytestmark = [pytest.mark.browser, browser_db]


def requested_urls(page) -> list[str]:
    return page.evaluate(
        "[location.href, ...performance.getEntriesByType('navigation').map(e => e.name),"
        " ...performance.getEntriesByType('resource').map(e => e.name)]"
    )


def test_workbench_works_under_its_csp_and_keeps_id_numbers_out_of_urls(pages, world, settings):
    settings.MINZHENG_REVEAL_LIMIT = 2
    page = pages.login(pages.new(), world.anyang_user.username)
    base = pages.base_url
    person = Person.objects.filter(region_code__startswith=ANYANG[:9]).exclude(phone_masked="").order_by("id").first()

    response = page.goto(f"{base}/persons/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp

    # live search by a full ID number: the rows come, the address holds a token
    search(page, person.id_number)
    expect(page.locator("#rows")).to_contain_text("共 1 人")
    expect(page).to_have_url(re.compile(r"/persons/\?s=[0-9a-f]{24}$"))
    assert all(person.id_number not in url for url in requested_urls(page))
    token_url = page.url
    shot(page, "wb-csp-01-id-search")

    # the person: reveal the ID number (htmx, no eval): the button goes once it succeeded
    page.locator("#rows").get_by_role("link", name=person.name).first.click()
    expect(page.get_by_role("heading", name=person.name)).to_be_visible()
    page.locator("#id-number + button").click()
    expect(page.locator("span.revealed")).to_have_text(person.id_number)
    expect(page.get_by_title("查看完整号码（将记入审计日志）")).to_have_count(0)
    page.locator("#phone + button").click()
    expect(page.locator("span.revealed")).to_have_count(2)

    # the third reveal is past the limit (2 here): the reason shows in the page, not a silent failure
    page.reload()
    page.locator("#id-number + button").click()
    expect(page.locator("#page-alert")).to_contain_text("暂不能继续查看")
    expect(page.locator("span.revealed")).to_have_count(0)
    shot(page, "wb-csp-02-reveal-limited")

    # back to the search: the rows are there again, the number still out of the address
    page.goto(token_url)
    expect(page.locator("#rows")).to_contain_text("共 1 人")
    nav_link(page, "人员").click()
    page.go_back()
    expect(page.locator("#rows")).to_contain_text("共 1 人")
    assert person.id_number not in page.url

    # the home page's quick search by ID number
    page.goto(f"{base}/")
    page.get_by_label("查找人员").fill(person.id_number)
    page.get_by_role("button", name="查找人员").click()
    expect(page.locator("#rows")).to_contain_text("共 1 人")
    assert "s=" in page.url and person.id_number not in page.url

    # a filter that submits itself on change (was an inline onchange handler)
    page.goto(f"{base}/cases/inbox/")
    options = page.locator("select[name=type] option")
    if options.count() > 1:
        value = options.nth(1).get_attribute("value")
        page.locator("select[name=type]").select_option(value)
        expect(page).to_have_url(re.compile(rf"type={value}"))

    # pages with their own stylesheets (were inline <style>)
    for path in ("/messages/", "/account/password/", "/households/"):
        response = page.goto(f"{base}{path}")
        assert response.ok and "content-security-policy" in response.headers, path
    expect(page.get_by_role("link", name="修改密码")).to_be_visible()
    shot(page, "wb-csp-03-households")
