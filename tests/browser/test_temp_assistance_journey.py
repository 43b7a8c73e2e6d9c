"""临时救助 in real Chromium (issue 13, item 19): the township window pays 先行救助 in cash on the
day of a fire, against the payee's receipt; the file is completed; the township reviewer, seeing
the decision is the county's, reports it; the county approver confirms it. The payment is on the
payments page with the funds ledger, counted in the month's statistics (人次, 金额) and in the
household's assistance chain with its amount."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from minzheng.business.assistance.services import standards_load
from minzheng.engines.benefits.models import OneOffPayment
from minzheng.engines.cases.models import Case
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.registry.models import Household

from .conftest import ANYANG, BROWSER_PASSWORD, browser_db, shot
from .test_case_journey import act

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"


@pytest.fixture
def staff(world):
    standards_load()
    make = lambda username, name, grants: user_create(  # noqa: E731
        username=username, password=BROWSER_PASSWORD, display_name=name, grants=grants
    )
    return {
        "reviewer": make("anyang_reviewer", "安阳街道审核员", [("reviewer", ANYANG)]),
        "approver": make("ra_approver", "瑞安市审批员", [("approver", RUIAN), ("finance", RUIAN)]),
    }


def test_first_aid_is_paid_confirmed_and_accounted_for(pages, world, staff, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    household = Household.objects.select_related("head").get(pk=world.anyang_households[0])
    pdf = tmp_path / "申请书.pdf"
    pdf.write_bytes(render_pdf(Document(title="临时救助申请书", blocks=[Paragraph("申请")])))
    today = dt.date.today().isoformat()

    # 1. the township window: register the application and pay first, in cash
    acceptor = pages.login(pages.new(), "anyang_acceptor")
    acceptor.goto(f"{pages.base_url}/cases/new/?household={household.pk}")
    acceptor.select_option("select[name='case_type']", label="临时救助申请（急难型）")
    acceptor.get_by_role("button", name="登记申请").click()
    expect(acceptor.locator("h1")).to_contain_text("LJ-330381-")
    case = Case.objects.get(household=household)
    panel = acceptor.locator("details.action", has=acceptor.locator("summary", has_text="先行救助")).first
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel).to_contain_text("急难事由")
    expect(panel).not_to_contain_text("event_date")
    panel.locator("select[name$='-pay_method']").select_option("cash")
    act(acceptor, "先行救助", "住房失火，先行救助", {"event": "住房火灾", "event_date": today, "amount": "2000",
                                                "receipt_no": "LK-2026-001"})  # fmt: skip
    expect(acceptor.locator("body")).to_contain_text("临时救助 2,000.00 元已登记发放")
    shot(acceptor, "temp-01-first-aid-paid")
    p = OneOffPayment.objects.get(source_case=case.number)
    assert p.status == "paid" and p.receipt_no == "LK-2026-001"

    # 2. the file is completed afterwards
    for label in ("书面申请书（或申请登记表）", "家庭经济状况核对授权书（共同生活家庭成员签字）"):
        acceptor.select_option("select[name='material-code']", label=label)
        acceptor.set_input_files("input[name='material-file']", str(pdf))
        acceptor.get_by_role("button", name="上传材料").click()
        expect(acceptor.get_by_text(label).first).to_be_visible()
    act(acceptor, "手续补齐，报审核")
    expect(acceptor.locator("body")).to_contain_text("先行救助审核")

    # 3. the township reviewer: not delegated here, so the county confirms
    reviewer = pages.login(pages.new(), "anyang_reviewer")
    reviewer.goto(f"{pages.base_url}/cases/{case.number}/")
    act(reviewer, "审核确认先行救助，办结", "手续齐全")
    expect(reviewer.locator("body")).to_contain_text("未委托乡镇审批")
    act(reviewer, "审核通过，报县级审批确认", "手续齐全，报县级确认")
    expect(reviewer.locator("body")).to_contain_text("先行救助审批确认")

    # 4. the county confirms
    approver = pages.login(pages.new(), "ra_approver")
    approver.goto(f"{pages.base_url}/cases/{case.number}/")
    act(approver, "审批确认先行救助", "同意")
    expect(approver.locator("body")).to_contain_text("已批准")
    case.refresh_from_db()
    assert case.outcome == "approved"

    # 5. accounted for: payments and ledger, statistics, the household's chain
    approver.goto(f"{pages.base_url}/benefits/payments/")
    expect(approver.locator("#payments")).to_contain_text(p.number)
    expect(approver.locator("#payments")).to_contain_text("收据 LK-2026-001")
    expect(approver.locator("#ledger + table")).to_contain_text("2,000.00")
    shot(approver, "temp-02-payments-ledger")
    approver.goto(f"{pages.base_url}/benefits/statistics/?level=county")
    row = approver.locator("tbody tr", has_text="临时救助")
    expect(row).to_contain_text("2,000.00")
    expect(row.locator("td[data-label='人次']")).to_have_text("1")
    approver.goto(f"{pages.base_url}/households/{household.pk}/chain/")
    expect(approver.locator("body")).to_contain_text("临时救助 发放 2,000.00 元")
    shot(approver, "temp-03-chain")


def test_refused_first_aid_is_recovered_and_a_failed_transfer_reissued(pages, world, staff, tmp_path, settings):
    """The payments page after the decision: a 先行救助 the county did not confirm is listed 待追回
    and finance records its return; a transfer the bank reported failed is paid again, once, to
    the household's corrected account."""
    from django.utils import timezone

    from minzheng.engines.benefits.payments import payment_settle
    from minzheng.engines.cases.services import case_act, case_open, material_add
    from minzheng.foundation.accounts.models import User
    from minzheng.foundation.registry.services import household_update

    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    acceptor = User.objects.get(username="anyang_acceptor")
    pdf = render_pdf(Document(title="材料", blocks=[Paragraph("材料")]))
    first, second = (Household.objects.select_related("head").get(pk=pk) for pk in world.anyang_households[:2])
    for h, account in ((first, "6228480012345670001"), (second, "6228480012345670002")):
        household_update(user=acceptor, household=h, data={"bank_name": "农业银行", "bank_account": account})

    # a 先行救助 in cash, not confirmed by the county
    case = case_open(user=acceptor, case_type="temp_emergency", region_code="", household=first, applicant=first.head)
    case_act(user=acceptor, case=case, action="assist_first", opinion="火灾",
             data={"event": "住房火灾", "event_date": today.isoformat(), "pay_method": "cash", "receipt_no": "LK-9",
                   "amount": "1200"})  # fmt: skip
    for code in ("application", "authorisation"):
        material_add(user=acceptor, case=case, code=code, data=pdf, name=f"{code}.pdf")
    case_act(user=acceptor, case=case, action="file_completed")
    case_act(user=staff["reviewer"], case=case, action="first_aid_report", opinion="报县级")
    case_act(user=staff["approver"], case=case, action="first_aid_refuse", opinion="家庭存款超过限额")
    refused = OneOffPayment.objects.get(source_case=case.number)

    finance = pages.login(pages.new(), "ra_approver")
    finance.goto(f"{pages.base_url}/benefits/payments/")
    expect(finance.locator("#recover")).to_contain_text(refused.number)
    expect(finance.locator("#recover")).to_contain_text("家庭存款超过限额")
    finance.locator("#recover").get_by_role("link", name="登记追回").click()
    finance.get_by_label("缴回凭证号").fill("JK-2026-001")
    finance.get_by_role("button", name="登记已追回").click()
    expect(finance.locator("body")).to_contain_text("已登记追回")
    expect(finance.locator("#payments")).to_contain_text("已追回")
    shot(finance, "temp-04-recovered")
    refused.refresh_from_db()
    assert refused.recovery == "done" and refused.recovery_receipt == "JK-2026-001"

    # a transfer the bank reported failed, paid again after the account was corrected
    case2 = case_open(user=acceptor, case_type="temp_emergency", region_code="", household=second,
                      applicant=second.head)  # fmt: skip
    case_act(user=acceptor, case=case2, action="assist_first", opinion="车祸",
             data={"event": "交通事故", "event_date": today.isoformat(), "pay_method": "bank", "amount": "1500"})  # fmt: skip
    failed = OneOffPayment.objects.get(source_case=case2.number)
    payment_settle(user=staff["approver"], payment=failed, paid=False, on=today, reason="账户已销户")
    household_update(
        user=acceptor, household=second, data={"bank_name": "农业银行", "bank_account": "6228480099990003"}
    )
    finance.goto(f"{pages.base_url}/benefits/payments/?q={failed.number}")
    finance.get_by_label("重新发放原因").fill("原账户已销户，已更正")
    finance.get_by_role("button", name="按现登记账号重新发放").click()
    expect(finance.locator("body")).to_contain_text("已重新发放")
    expect(finance.locator("#payments")).to_contain_text(f"重新发放自 {failed.number}")
    shot(finance, "temp-05-reissued")
    failed.refresh_from_db()
    assert failed.status == "reissued" and OneOffPayment.objects.filter(reissue_of=failed).count() == 1
