"""Changes of the roll in real Chromium (issue 13, items 15 and 17): the enrollment page changes
nothing directly, it offers 发起变更; a township acceptor opens the 定期复核 there, the investigator
finds the household's income risen into the 边缘 band, the reviewer sends it up, and the county's
confirmation puts the household into the 渐退期 of the standards (worked example 3 of the rule
sheet) with a written decision — nothing reaches the roll before the county decides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from minzheng.business.assistance.services import standards_load
from minzheng.engines.benefits import services
from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.engines.benefits.services import add_months, next_month
from minzheng.engines.cases.models import Case
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.codes.idnumbers import make_id_number
from minzheng.foundation.registry import services as registry

from .conftest import ANYANG, BROWSER_PASSWORD, browser_db, shot
from .test_case_journey import act

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"
VILLAGE = "330381001001"


@pytest.fixture
def enrolled(world):
    """A household of two working-age adults in 安阳 on 低保 since this month (1,180 元 standard)."""
    standards_load()
    user = world.anyang_user
    head = registry.person_create(user=user, data={
        "name": "郑国强", "id_number": make_id_number("330381", dt.date(1981, 3, 9), 991), "hukou_type": "urban",
        "region_code": VILLAGE, "phone": "13800002222"})  # fmt: skip
    spouse = registry.person_create(user=user, data={
        "name": "林美华", "id_number": make_id_number("330381", dt.date(1983, 7, 21), 992), "hukou_type": "urban",
        "region_code": VILLAGE})  # fmt: skip
    household = registry.household_create(user=user, data={"region_code": VILLAGE, "hukou_type": "urban",
                                                            "address": "安阳路8号"}, head=head,
                                          members=[(spouse, "spouse")])  # fmt: skip
    e = services.enrollment_create(
        user=user, program="dibao", household=household, monthly_amount=Decimal("1960.00"), persons_covered=2,
        components=[{"item": "gap", "amount": "1960.00"}], start_month=dt.date.today().replace(day=1),
    )  # fmt: skip
    return e


@pytest.fixture
def staff(world):
    make = lambda username, name, role, region: user_create(  # noqa: E731
        username=username, password=BROWSER_PASSWORD, display_name=name, grants=[(role, region)]
    )
    return {
        "investigator": make("anyang_investigator", "安阳街道调查员", "investigator", ANYANG),
        "reviewer": make("anyang_reviewer", "安阳街道审核员", "reviewer", ANYANG),
        "approver": make("ra_approver", "瑞安市审批员", "approver", RUIAN),
    }


def test_review_from_the_enrollment_page_into_the_phase_out(pages, world, staff, enrolled, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    e = enrolled
    events = e.events.count()

    # 1. the township acceptor: no direct change on the enrollment page, only 发起变更
    acceptor = pages.login(pages.new(), "anyang_acceptor")
    acceptor.goto(f"{pages.base_url}/benefits/enrollments/{e.pk}/")
    expect(acceptor.locator("body")).not_to_contain_text("办理变动")
    expect(acceptor.locator("body")).not_to_contain_text("记录定期复核")
    change = acceptor.locator("#change")
    expect(change.get_by_role("heading", name="发起变更")).to_be_visible()
    # a member change without the member is explained in Chinese, nothing opened
    change.get_by_label("变更事项").select_option(label="减员（成员死亡、迁出等）")
    change.get_by_role("button", name="发起变更").click()
    expect(acceptor.locator("#change")).to_contain_text("请选择涉及的成员")
    assert not Case.objects.filter(household=e.household).exists()
    shot(acceptor, "roll-01-change-refused")
    change = acceptor.locator("#change")
    change.get_by_label("变更事项").select_option(label="定期复核（维持、调整金额、渐退或停保）")
    change.get_by_label("情况说明").fill("到期复核，户主反映已找到工作")
    change.get_by_role("button", name="发起变更").click()
    expect(acceptor.locator("h1")).to_contain_text("FH-330381-")
    case = Case.objects.get(household=e.household, case_type__code="assistance_review")
    assert case.data["enrollment_number"] == e.number and e.events.count() == events

    # 2. the investigator: income now 40,000 a year — 1,500 per head a month, in [1,180, 1,770)
    investigator = pages.login(pages.new(), "anyang_investigator")
    investigator.goto(f"{pages.base_url}/cases/inbox/")
    investigator.get_by_role("link", name=case.number).click()
    act(investigator, "调查完毕", "入户复核，户主已在工厂就业",
        {"investigators": "周明、吴芳", "visit_date": dt.date.today().isoformat(),
         "findings": "两人户，户主在本地工厂稳定就业，配偶无业。", "m0_inc_wages": "40000",
         "p_financial_assets": "3000", "p_houses": "1"})  # fmt: skip
    expect(investigator.locator("body")).to_contain_text("乡镇审核")

    # 3. the reviewer reads the assessment (低保边缘) and sends it to the county
    reviewer = pages.login(pages.new(), "anyang_reviewer")
    reviewer.goto(f"{pages.base_url}/cases/{case.number}/")
    act(reviewer, "审核完毕，报县级确认", "人均收入超过低保标准，在边缘区间，建议渐退")
    expect(reviewer.locator("body")).to_contain_text("低保边缘家庭")
    assert Enrollment.objects.get(pk=e.pk).state == EnrollmentState.ACTIVE  # nothing changed yet

    # 4. the county confirms: 渐退 from next month for the six months of the standards
    approver = pages.login(pages.new(), "ra_approver")
    approver.goto(f"{pages.base_url}/cases/{case.number}/")
    panel = approver.locator("details.action", has=approver.locator("summary", has_text="确认（维持、调整金额或渐退）"))
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    panel.locator("select[name$='-review_class']").select_option(label="C类（城市每季、农村每半年）")
    act(approver, "确认（维持、调整金额或渐退）", "同意给予渐退期")
    expect(approver.locator("body")).to_contain_text("进入渐退期")
    expect(approver.locator("body")).to_contain_text("保障变更决定书")
    shot(approver, "roll-02-phase-out-confirmed")

    e.refresh_from_db()
    start = next_month(dt.date.today())
    assert e.state == EnrollmentState.PHASE_OUT and e.last_event.effective_month == start
    assert e.phase_out_until == add_months(start, 6) - dt.timedelta(days=1)
    assert e.review_class == "C" and e.reviews.get().outcome == "phase_out"

    # 5. back on the enrollment page: the 渐退期 and the case that decided it
    acceptor.goto(f"{pages.base_url}/benefits/enrollments/{e.pk}/")
    expect(acceptor.locator("body")).to_contain_text("渐退期截止")
    expect(acceptor.locator("body")).to_contain_text(case.number)
    shot(acceptor, "roll-03-enrollment-after")
