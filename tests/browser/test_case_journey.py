"""A 低保 application in real Chromium, four staff in four browser contexts: the township acceptor
registers it, uploads the materials and accepts it; the investigator records the home visit, member
by member (one lives elsewhere: not counted, with the reason), and sees all her mistakes at once; the
reviewer passes the first review (the assessment is on the page) and, once the seven days of the
notice are over, sends it to the county; the county approver approves it — and the household is
on the roll from next month."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Q
from playwright.sync_api import expect

from minzheng.business.assistance.assessment import assessment_run
from minzheng.business.assistance.schemas import AssessmentIn
from minzheng.business.assistance.services import standards_load
from minzheng.engines.benefits.models import Enrollment
from minzheng.engines.cases.models import Case, PublicNotice
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.registry.models import Household

from .conftest import ANYANG, BROWSER_PASSWORD, browser_db, shot

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"


@pytest.fixture
def staff(world):
    standards_load()
    make = lambda username, name, role, region: user_create(  # noqa: E731
        username=username, password=BROWSER_PASSWORD, display_name=name, grants=[(role, region)]
    )
    return {
        "acceptor": world.anyang_user,
        "investigator": make("anyang_investigator", "安阳街道调查员", "investigator", ANYANG),
        "reviewer": make("anyang_reviewer", "安阳街道审核员", "reviewer", ANYANG),
        "approver": make("ra_approver", "瑞安市审批员", "approver", RUIAN),
    }


def act(page, action_name: str, opinion: str = "", fields: dict | None = None):
    """Open the action's panel on the case page, fill it and submit."""
    panel = page.locator("details.action", has=page.locator("summary", has_text=action_name)).first
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for name, value in (fields or {}).items():
        panel.locator(f"[name$='-{name}']").fill(value)
    if opinion:
        panel.locator("textarea[name$='-opinion']").fill(opinion)
    panel.get_by_role("button", name=action_name).click()


def test_dibao_application_from_the_window_to_the_roll(pages, world, staff, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    current = Count("memberships", filter=Q(memberships__valid_to__isnull=True))
    household = (
        Household.objects.filter(pk__in=world.anyang_households).annotate(n=current).filter(n__gte=2)
        .select_related("head").order_by("pk").first()
    )  # fmt: skip
    rows = sorted(household.memberships.filter(valid_to__isnull=True).select_related("person"),
                  key=lambda m: (m.relation != "head", m.person_id))  # fmt: skip
    away = rows[1].person
    pdf = tmp_path / "申请书.pdf"
    pdf.write_bytes(render_pdf(Document(title="最低生活保障申请书", blocks=[Paragraph("申请")])))

    # 1. the township window: register, upload, accept
    acceptor = pages.login(pages.new(), "anyang_acceptor")
    acceptor.goto(f"{pages.base_url}/cases/new/?household={household.pk}")
    acceptor.select_option("select[name='case_type']", label="最低生活保障申请")
    acceptor.get_by_role("button", name="登记申请").click()
    expect(acceptor.locator("h1")).to_contain_text("DB-330381-")
    case = Case.objects.get(household=household)
    for label in (
        "书面申请书（或申请登记表）",
        "家庭经济状况核对授权书（共同生活家庭成员签字）",
        "家庭收入和财产申报表",
    ):
        acceptor.select_option("select[name='material-code']", label=label)
        acceptor.set_input_files("input[name='material-file']", str(pdf))
        acceptor.get_by_role("button", name="上传材料").click()
        expect(acceptor.get_by_text(label).first).to_be_visible()
    act(acceptor, "受理")
    expect(acceptor.locator("body")).to_contain_text("入户调查")
    shot(acceptor, "cases-01-accepted")

    # 2. the investigator finds it in the inbox and records the home visit: one row per member
    # (the second lives elsewhere: not counted, with the reason), own incomes by kind, property
    investigator = pages.login(pages.new(), "anyang_investigator")
    investigator.goto(f"{pages.base_url}/cases/inbox/")
    investigator.get_by_role("link", name=case.number).click()
    today = dt.date.today().isoformat()
    panel = investigator.locator("details.action", has=investigator.locator("summary", has_text="调查完毕")).first
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel.locator("table.facts-members")).to_contain_text(away.name)
    panel.locator("[name$='-investigators']").fill("周明")
    panel.locator("[name$='-visit_date']").fill(today)
    panel.locator("[name$='-findings']").fill("户主打零工，收入不稳定；其子常年在外地工作生活。")
    panel.locator("[name$='-m0_inc_wages']").fill("-6000")
    panel.locator("[name$='-m1_counted']").select_option(label="不计入：户籍在此但不共同生活")
    panel.locator("[name$='-m1_inc_wages']").fill("48000")
    panel.locator("[name$='-p_financial_assets']").fill("3000")
    panel.locator("[name$='-p_houses']").fill("1")
    panel.locator("textarea[name$='-opinion']").fill("入户核实，家庭情况属实")
    panel.get_by_role("button", name="调查完毕").click()
    # every mistake at once, in Chinese, on the same page
    expect(investigator.locator("body")).to_contain_text("两名及以上工作人员")
    expect(investigator.locator("body")).to_contain_text("工资性收入：不能为负数")
    shot(investigator, "cases-01b-facts-errors")
    panel = investigator.locator("details.action[open]").first
    panel.locator("[name$='-investigators']").fill("周明、吴芳")
    panel.locator("[name$='-m0_inc_wages']").fill("6000")
    panel.get_by_role("button", name="调查完毕").click()
    expect(investigator.locator("body")).to_contain_text("乡镇初审")
    expect(investigator.locator("body")).to_contain_text(f"不计入：{away.name}（户籍在此但不共同生活）")

    # 3. the reviewer sees the assessment, passes the first review: the notice starts
    reviewer = pages.login(pages.new(), "anyang_reviewer")
    reviewer.goto(f"{pages.base_url}/cases/{case.number}/")
    expect(reviewer.locator("body")).to_contain_text("低保标准")
    act(reviewer, "初审通过，公示", "符合低保条件")
    expect(reviewer.locator("body")).to_contain_text("公示")
    shot(reviewer, "cases-02-notice")
    past = dt.date.today() - dt.timedelta(days=8)  # the seven days of the notice have passed
    PublicNotice.objects.filter(case=case).update(posted_on=past, start_date=past + dt.timedelta(days=1),
                                                  end_date=past + dt.timedelta(days=7))  # fmt: skip
    case.tasks.filter(state="open").update(not_before=past + dt.timedelta(days=8))
    reviewer.reload()
    act(reviewer, "公示期满无异议，报审核确认")
    expect(reviewer.locator("body")).to_contain_text("审核确认")

    # 4. the county approver decides
    approver = pages.login(pages.new(), "ra_approver")
    approver.goto(f"{pages.base_url}/cases/inbox/")
    approver.get_by_role("link", name=case.number).click()
    act(approver, "审核确认，批准", "经审核，同意纳入最低生活保障")
    expect(approver.locator("body")).to_contain_text("已纳入保障")
    shot(approver, "cases-03-approved")

    case.refresh_from_db()
    assert case.outcome == "approved"
    e = Enrollment.objects.get(source_case=case.number)
    assert str(e.monthly_amount) == case.data["assessment"]["monthly_amount"]
    # the amount is what `minzheng assess` answers for the facts recorded, on the day of approval
    facts = case.data["evidence"][-1]["household_facts"]
    same = assessment_run(AssessmentIn(region_code=household.region_code, hukou_type=household.hukou_type,
                                       as_of=dt.date.today(), **facts))  # fmt: skip
    assert (same["classification"], same["monthly_amount"]) == ("dibao", str(e.monthly_amount))
    assert same["counted_members"] == len(rows) - 1
    assert case.documents.filter(kind="review_form").count() == 1
    assert e.start_month > dt.date.today().replace(day=1)
