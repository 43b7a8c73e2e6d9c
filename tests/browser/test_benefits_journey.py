"""A township caseworker in a real browser assesses a registry household (测算) and reads the
explanation, then opens the roll (保障对象), an enrollment and a change case from it; the same pages
at phone width (390 px) without horizontal overflow."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from minzheng.business.assistance.services import standards_load
from minzheng.engines.benefits import services
from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.foundation.registry.models import Household, Membership

from .conftest import SCREENSHOTS, browser_db, nav_link, shot

pytestmark = [pytest.mark.browser, browser_db]

PHONE_390 = {"width": 390, "height": 844}


def living_household(household_ids, *, size=3) -> Household:
    """A household with ``size`` living members or more (the largest otherwise)."""
    counts = Counter(
        Membership.objects.filter(
            household_id__in=household_ids, valid_to__isnull=True, person__death_date__isnull=True
        ).values_list("household_id", flat=True)
    )
    pick = next((h for h, n in sorted(counts.items()) if n >= size), counts.most_common(1)[0][0])
    return Household.objects.select_related("head").get(pk=pick)


@pytest.fixture
def roll(world):
    """The demo standards and a small roll of 安阳街道: three households on 低保."""
    standards_load()
    enrollments = []
    for pk in world.anyang_households[:3]:
        household = Household.objects.get(pk=pk)
        enrollments.append(
            services.enrollment_create(
                user=world.anyang_user,
                program="dibao",
                household=household,
                monthly_amount=Decimal("1180.00"),
                persons_covered=household.memberships.filter(valid_to__isnull=True).count(),
                components=[{"item": "gap", "amount": "1180.00"}],
                start_month=dt.date(2026, 1, 1),
            )
        )
    return enrollments


def test_caseworker_assesses_a_household_and_opens_the_roll(pages, world, roll):
    user = world.anyang_user
    page = pages.login(pages.new(), user.username)
    household = living_household([pk for pk in world.anyang_households if pk not in {e.household_id for e in roll}])
    living = Membership.objects.filter(household=household, valid_to__isnull=True, person__death_date__isnull=True)

    # 测算: find the household in the registry and take its members over
    nav_link(page, "测算").click()
    expect(page.get_by_role("heading", name="救助测算")).to_be_visible()
    with page.expect_response(lambda r: "/benefits/assess/households/" in r.url) as answer:
        page.get_by_label("查找家庭").fill(household.number)
    assert answer.value.ok
    page.locator("#hh-results").get_by_role("link", name="选用并测算").click()
    expect(page.get_by_text(f"已选用家庭 {household.number}")).to_be_visible()
    expect(page.locator("fieldset.member")).to_have_count(living.count())
    expect(page.locator("#id_m-0-name")).to_have_value(household.head.name)

    # one more member with the htmx "add row", then taken away again
    page.get_by_role("button", name="＋ 添加成员").click()
    expect(page.locator("fieldset.member")).to_have_count(living.count() + 1)
    expect(page.locator("#id_m-TOTAL_FORMS")).to_have_value(str(living.count() + 1))
    last = living.count()
    page.fill(f"#id_m-{last}-name", "临时成员")
    page.check(f"#id_m-{last}-DELETE")

    # the head earns a little; a medical expense; modest savings
    page.fill("#id_m-0-income_wages", "9600")
    page.fill("#id_expense_medical", "2000")
    page.fill("#id_financial_assets", "3000")
    shot(page, "benefits-01-assess-form")
    page.get_by_role("button", name="测算", exact=True).click()

    result = page.locator("#result")
    expect(result.get_by_role("heading", name="测算结果")).to_be_visible()
    expect(result.locator(".verdict")).not_to_be_empty()
    steps = result.locator("ol.explain li")
    expect(steps.first).to_contain_text(f"共同生活的家庭成员 {living.count()} 人")
    expect(result).to_contain_text("低保标准 1,180.00 元/人·月")
    expect(result).to_contain_text("扣除必要就业成本：工资性收入 9,600.00 × 10% = 960.00 元")
    expect(result).to_contain_text("民发〔2021〕57号 第十三条")
    assert steps.count() >= 5
    assert "临时成员" not in result.inner_text()
    shot(page, "benefits-02-assess-result")
    result.screenshot(path=str(SCREENSHOTS / "benefits-02b-result-panel.png"))
    # the member deleted before assessing stays out of the form that comes back
    expect(page.locator("fieldset.member:visible")).to_have_count(living.count())

    # 保障对象: the township's roll, one enrollment, its history and change form
    nav_link(page, "保障对象").click()
    expect(page.get_by_role("heading", name="保障对象")).to_be_visible()
    expect(page.locator("#rows")).to_contain_text(f"共 {len(roll)} 条")
    shot(page, "benefits-03-roll")
    first = roll[0]
    page.locator("#rows").get_by_role("link", name=first.number).click()
    expect(page.get_by_role("heading", name=re.compile(first.number))).to_be_visible()
    expect(page.locator("table.list").first).to_contain_text("纳入")

    # no direct change here: 发起变更 opens the case (a 停保), the roll stays as it is
    expect(page.locator("body")).not_to_contain_text("办理变动")
    change = page.locator("#change")
    change.get_by_label("变更事项").select_option(label="停保（终止救助）")
    change.get_by_label("情况说明").fill("村委会报告该户已举家迁出")
    change.get_by_role("button", name="发起变更").click()
    expect(page.locator("h1")).to_contain_text("TB-330381-")
    expect(page.locator(".messages")).to_contain_text("已发起停保（终止救助）")
    assert Enrollment.objects.get(pk=first.pk).state == EnrollmentState.ACTIVE
    shot(page, "benefits-05-enrollment-change-case")


def test_benefit_pages_fit_a_phone(pages, world, roll):
    page = pages.login(pages.new(viewport=PHONE_390), world.anyang_user.username)
    household = living_household(world.anyang_households)

    def fits(name, *, full_page=True):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_390["width"], f"{name}: {width}px wide"
        shot(page, f"phone-benefits-{name}", full_page=full_page)

    page.goto(f"{pages.base_url}/benefits/assess/?household={household.pk}")
    fits("assess-form", full_page=False)
    page.locator("#member-1").screenshot(path=str(SCREENSHOTS / "phone-benefits-member-card.png"))
    page.fill("#id_m-0-income_wages", "6000")
    page.get_by_role("button", name="测算", exact=True).click()
    expect(page.locator("#result")).to_be_visible()
    fits("assess-result")
    page.locator("#result").screenshot(path=str(SCREENSHOTS / "phone-benefits-result-panel.png"))
    page.goto(f"{pages.base_url}/benefits/enrollments/")
    fits("roll")
    page.goto(f"{pages.base_url}/benefits/enrollments/{roll[0].pk}/")
    fits("enrollment")
    page.goto(f"{pages.base_url}/benefits/standards/")
    fits("standards", full_page=False)
    page.goto(f"{pages.base_url}/benefits/reviews-due/")
    fits("reviews-due")


def test_finance_generates_and_approves_a_cycle(pages, world, roll):
    """Two county finance officers: one generates the month's cycle (a background job), the other
    approves it; the maker's own approval is refused; the bank file downloads."""
    from minzheng.foundation.accounts.services import user_create

    from .conftest import BROWSER_PASSWORD

    for name in ("ra_finance", "ra_finance2"):
        user_create(username=name, password=BROWSER_PASSWORD, display_name=name, grants=[("finance", "330381000000")])
    maker = pages.login(pages.new(), "ra_finance")
    nav_link(maker, "发放", exact=True).click()
    expect(maker.get_by_role("heading", name="发放批次", exact=True)).to_be_visible()
    generate = maker.locator("#generate")
    generate.get_by_label("保障项目").select_option("dibao")
    generate.get_by_label("发放月份").fill("2026-12")
    generate.get_by_label("发放区划").select_option("330381000000")
    shot(maker, "benefits-06-payroll-list")
    generate.get_by_role("button", name="生成").click()
    expect(maker.locator("#job")).to_contain_text("计算完成", timeout=30_000)
    shot(maker, "benefits-07-payroll-job")
    maker.get_by_role("link", name="查看发放批次").click()
    expect(maker.get_by_role("heading", name="2026年12月低保发放")).to_be_visible()
    # the maker has no approve button, only who must approve (issue 13 item 3)
    expect(maker.locator("#approve")).to_contain_text("该批次由您计算，请由另一位财务人员审批")
    expect(maker.locator("#approve").get_by_role("button")).to_have_count(0)
    shot(maker, "benefits-08-maker-refused")
    url = maker.url

    checker = pages.login(pages.new(viewport=PHONE_390), "ra_finance2")
    checker.goto(url)
    checker.locator("#approve").get_by_role("link", name=re.compile("核对并审批")).click()
    checker.get_by_label(re.compile("我已核对")).check()
    checker.locator("#approve").get_by_role("button").click()
    expect(checker.locator(".messages")).to_contain_text("已审批：3 笔")
    assert checker.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    shot(checker, "phone-benefits-cycle-approved")

    maker.goto(url)
    with maker.expect_download() as download:
        maker.locator("#export").get_by_role("button", name="下载银行文件").click()
    assert download.value.suggested_filename == "DB202612-330381.csv"
    maker.reload()
    expect(maker.locator(".head .tag")).to_have_text(re.compile("已导出|已对账"))
    shot(maker, "benefits-09-cycle-exported")
    nav_link(maker, "统计").click()
    maker.get_by_label("统计月份").fill("2026-12")
    maker.get_by_role("button", name="统计").click()
    expect(maker.locator("table.list")).to_contain_text("安阳街道")
    shot(maker, "benefits-10-statistics")


def test_county_officer_sets_a_standard(pages, world, roll):
    """A county approver reads the standards in force for a village and sets next year's 低保标准."""
    from minzheng.foundation.accounts.services import user_create
    from minzheng.foundation.parameters.models import Standard

    from .conftest import BROWSER_PASSWORD

    user_create(username="ra_approver", password=BROWSER_PASSWORD, display_name="瑞安市审批员",
                grants=[("approver", "330381000000")])  # fmt: skip
    page = pages.login(pages.new(), "ra_approver")
    nav_link(page, "保障标准").click()
    row = page.locator("tr", has=page.get_by_role("cell", name="低保标准", exact=True))
    expect(row).to_contain_text("1,180.00")
    expect(row).to_contain_text("温州市")
    shot(page, "benefits-11-standards")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="低保标准")).to_be_visible()
    form = page.locator("#set")
    form.get_by_label("适用区划").select_option("330381000000")
    form.get_by_label("数值").fill("1250")
    form.get_by_label("起始日期").fill("2027-01-01")
    form.get_by_label("依据文件").fill("瑞民〔2026〕88号")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已保存：低保标准 自 2027-01-01 起为 1250")
    expect(page.locator("table.list")).to_contain_text("瑞民〔2026〕88号")
    assert Standard.objects.filter(key="dibao_monthly", region_code="330381000000", value=1250).exists()
    shot(page, "benefits-12-standard-history")


def test_simulation_runs_in_the_background_and_reports(pages, world, roll):
    """A county approver asks what a 100 元 rise of the 低保标准 from January would cost."""
    import random

    from minzheng.business.assistance.models import HouseholdMeans
    from minzheng.foundation.accounts.services import user_create

    from .conftest import BROWSER_PASSWORD

    r = random.Random(3)
    HouseholdMeans.objects.bulk_create(
        HouseholdMeans(
            household=h, region_code=h.region_code, hukou_type=h.hukou_type, as_of=dt.date(2026, 10, 1),
            source="demo", wages_annual=Decimal(r.choice([0, 6000, 14000, 26000, 60000])), houses=1,
        )
        for h in Household.objects.all()
    )  # fmt: skip
    user_create(username="ra_approver", password=BROWSER_PASSWORD, display_name="瑞安市审批员",
                grants=[("approver", "330381000000")])  # fmt: skip
    page = pages.login(pages.new(), "ra_approver")
    nav_link(page, "提标测算").click()
    page.get_by_label("自哪个月起调整").fill("2027-01")
    page.get_by_label("调整的标准 1").select_option("dibao_monthly")
    page.get_by_label("调整幅度 1").fill("+100")
    shot(page, "benefits-13a-simulation-form")
    page.get_by_role("button", name="开始测算").click()
    expect(page.get_by_role("heading", name=re.compile("自 2027-01 起：低保标准增加 100"))).to_be_visible(
        timeout=60_000
    )
    expect(page.locator("table.list").last).to_contain_text("安阳街道")
    shot(page, "benefits-13-simulation-report")
    page.set_viewport_size(PHONE_390)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    shot(page, "phone-benefits-simulation-report")
