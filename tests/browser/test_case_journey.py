"""A 低保 application in real Chromium, four staff in four browser contexts: the township acceptor
registers it, uploads the materials and accepts it; the investigator records the home visit; the
reviewer passes the first review (the assessment is on the page) and, once the seven days of the
notice are over, sends it to the county; the county approver approves it — and the household is
on the roll from next month."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

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
    household = Household.objects.select_related("head").get(pk=world.anyang_households[0])
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

    # 2. the investigator finds it in the inbox and records the home visit
    investigator = pages.login(pages.new(), "anyang_investigator")
    investigator.goto(f"{pages.base_url}/cases/inbox/")
    investigator.get_by_role("link", name=case.number).click()
    today = dt.date.today().isoformat()
    act(investigator, "调查完毕", "入户核实，家庭情况属实",
        {"investigators": "周明、吴芳", "visit_date": today, "findings": "两人户，户主打零工，收入不稳定。",
         "wages_annual": "6000", "financial_assets": "3000", "houses": "1"})  # fmt: skip
    expect(investigator.locator("body")).to_contain_text("乡镇初审")

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
    assert e.start_month > dt.date.today().replace(day=1)
