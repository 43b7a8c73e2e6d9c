"""A township caseworker in a real browser: log in, search, open a household, see the masked ID
number, reveal it (audited); another township's household is simply not found."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.codes.idnumbers import validate_id_number
from minzheng.foundation.registry.models import Household, Membership, Person

from .conftest import ANYANG, PHONE, TANGXIA, browser_db, nav_link, shot

pytestmark = [pytest.mark.browser, browser_db]

MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
FULL_ID = re.compile(r"^\d{17}[\dX]$")


def in_township(code):
    return Person.objects.filter(region_code__startswith=code[:9])


def reveals(person, user):
    return AuditEvent.objects.filter(
        action="reveal",
        object_type="registry.person",
        object_id=str(person.pk),
        actor_name=user.username,
        actor_id=user.pk,
    )


def biggest(household_ids):
    counts = Counter(
        Membership.objects.filter(household_id__in=household_ids, valid_to__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    return Household.objects.select_related("head").get(pk=counts.most_common(1)[0][0])


def search(page, text):
    """Type into the live search and wait for htmx to bring the rows: it posts to /search/, which
    sends it on (303) to the list under ?q= (a name) or ?s=<token> (a number; search.py)."""
    box = page.get_by_label("查找", exact=True)

    def rows_came(r):
        before = r.request.redirected_from
        return before is not None and before.url.endswith("/search/") and before.method == "POST"

    with page.expect_response(rows_came) as answer:
        box.fill(text)
    assert answer.value.ok
    page.wait_for_load_state()


def test_township_caseworker_journey(pages, world):
    user = world.anyang_user
    page = pages.new()

    # login page, then home
    page.goto(f"{pages.base_url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    shot(page, "01-login")
    pages.login(page, user.username)
    expect(page.get_by_role("heading", name="您好，安阳街道受理员")).to_be_visible()
    expect(page.locator(".tile").first).to_contain_text(f"{in_township(ANYANG).count()}管辖范围内人员")
    expect(page.locator(".tile").nth(1)).to_contain_text(f"{len(world.anyang_households)}管辖范围内家庭")
    expect(page.get_by_text("受理员 · 安阳街道（330381001000）")).to_be_visible()
    shot(page, "02-home")

    # 人员: a surname both townships have shows only 安阳街道's people
    nav_link(page, "人员").click()
    expect(page.get_by_role("heading", name="人员")).to_be_visible()
    tangxia_surnames = {name[0] for name in in_township(TANGXIA).values_list("name", flat=True)}
    surname, _ = Counter(
        name[0] for name in in_township(ANYANG).values_list("name", flat=True) if name[0] in tangxia_surnames
    ).most_common(1)[0]
    expected = in_township(ANYANG).filter(name__contains=surname)
    search(page, surname)
    expect(page.locator("#rows")).to_contain_text(f"共 {expected.count()} 人")
    expect(page).to_have_url(re.compile(r"/persons/\?q="))
    names = page.locator("#rows td[data-label=姓名] a").all_inner_texts()
    assert names and set(names) <= set(expected.values_list("name", flat=True))
    assert all(surname in n for n in names)
    for cell in page.locator("#rows td[data-label=身份证号]").all_inner_texts():
        assert MASKED_ID.match(cell), cell
    shot(page, "03-person-list")

    # ... and by pinyin initials
    someone = in_township(ANYANG).order_by("id").first()
    initials = someone.name_initials
    expected = in_township(ANYANG).filter(name_initials__startswith=initials)
    search(page, initials)
    expect(page.locator("#rows")).to_contain_text(f"共 {expected.count()} 人")
    expect(page.locator("#rows").get_by_role("link", name=someone.name).first).to_be_visible()
    assert set(page.locator("#rows td[data-label=姓名] a").all_inner_texts()) <= set(
        expected.values_list("name", flat=True)
    )
    shot(page, "03b-person-initials")

    # 家庭: find a household of 安阳街道 by its number and open it
    household = biggest(world.anyang_households)
    members = list(Person.objects.filter(memberships__household=household, memberships__valid_to__isnull=True))
    assert len(members) >= 2
    nav_link(page, "家庭").click()
    expect(page.locator("#rows")).to_contain_text(f"共 {len(world.anyang_households)} 户")
    search(page, household.number)
    expect(page.locator("#rows")).to_contain_text("共 1 户")
    page.locator("#rows").get_by_role("link", name=household.number).click()
    expect(page.get_by_role("heading", name=f"家庭 {household.number}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"现有成员（{len(members)}人）")).to_be_visible()

    # member ID numbers masked; no full number (nor phone, nor bank account) anywhere in the HTML
    cells = page.locator("td[data-label=身份证号]").all_inner_texts()
    assert len(cells) == len(members)
    assert all(MASKED_ID.match(c) for c in cells), cells
    assert sorted(cells) == sorted(p.id_number_masked for p in members)
    html = page.content()
    for p in members:
        assert p.id_number not in html
        assert not p.phone or p.phone not in html
    assert not household.bank_account or household.bank_account not in html
    shot(page, "04-household-detail")

    # the head's page: masked, then revealed on request, and the reveal is in the audit log
    head = household.head
    page.get_by_role("link", name=head.name, exact=True).first.click()
    expect(page.get_by_role("heading", name=head.name)).to_be_visible()
    expect(page.locator("#id-number")).to_have_text(head.id_number_masked)
    assert MASKED_ID.match(page.locator("#id-number").inner_text())
    assert head.id_number not in page.content()
    assert not reveals(head, user).exists()
    button = page.locator("#id-number + button", has_text="查看完整号码")
    button.click()
    revealed = page.locator("span.revealed")
    expect(revealed).to_have_text(head.id_number)
    expect(button).to_have_count(0)  # revealed once; no second (audited) click offered
    number = revealed.inner_text()
    assert FULL_ID.match(number) and validate_id_number(number) is None
    event = reveals(head, user).get()
    assert event.changes == {"field": "id_number"} and event.region_code == head.region_code
    shot(page, "05-id-revealed")


def test_other_township_household_is_not_found(pages, world):
    page = pages.login(pages.new(), world.anyang_user.username)
    theirs = biggest(world.tangxia_households)
    head = theirs.head

    response = page.goto(f"{pages.base_url}/households/{theirs.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="找不到")).to_be_visible()
    shot(page, "07-not-found")
    html = page.content()
    for secret in (theirs.number, head.name, head.id_number_masked, theirs.address):
        assert secret not in html

    response = page.goto(f"{pages.base_url}/persons/{head.pk}/")
    assert response.status == 404
    assert head.name not in page.content()

    # nor can the number be revealed by posting directly; nothing is audited
    status = page.evaluate(
        """async (url) => {
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            const r = await fetch(url, {method: 'POST', headers});
            return r.status;
        }""",
        f"{pages.base_url}/persons/{head.pk}/reveal/id_number/",
    )
    assert status == 404
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_wrong_password_shows_the_error_in_chinese(pages, world):
    page = pages.new()
    page.goto(f"{pages.base_url}/login/")
    page.fill("#id_username", world.anyang_user.username)
    page.fill("#id_password", "not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。连续失败5次将锁定账号30分钟。")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("link", name="人员")).to_have_count(0)
    shot(page, "06-login-error")


def test_phone_width_has_no_horizontal_overflow(pages, world):
    page = pages.login(pages.new(viewport=PHONE), world.anyang_user.username)
    household = biggest(world.anyang_households)

    def fits(name, *, full_page=True):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width}px wide"
        shot(page, f"phone-{name}", full_page=full_page)

    fits("home")
    page.goto(f"{pages.base_url}/persons/")
    expect(page.locator("#rows")).to_contain_text("共")
    fits("person-list", full_page=False)  # the first screen; the list is long
    page.goto(f"{pages.base_url}/households/")
    fits("household-list", full_page=False)
    page.goto(f"{pages.base_url}/households/{household.pk}/")
    fits("household-detail")
    page.goto(f"{pages.base_url}/persons/{household.head_id}/")
    page.locator("#id-number + button").click()
    expect(page.locator("span.revealed")).to_be_visible()
    fits("person-revealed")
