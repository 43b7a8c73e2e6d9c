"""Issue 13, item 25: money as money wherever a person reads it. A realistic run — a 低保 case to
its approval, the month's payroll calculated, approved, exported, reconciled with one failure and
reissued, a 临时救助 先行救助 paid and refused afterwards — and every text it left for people
(the case's result messages, the cycle's notes, the funds ledger, the audit log, the messages sent)
is scanned for an amount of 1,000 元 or more written without a thousands separator."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from minzheng.engines.benefits import payroll
from minzheng.engines.benefits import services as svc
from minzheng.engines.benefits.models import CycleEvent, LedgerEntry
from minzheng.engines.cases.services import case_act, case_open
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.notify.models import Message
from tests.conftest import ANYANG, RUIAN
from tests.engines.benefits.test_payroll import result_file
from tests.engines.cases.test_cases import _materials, _to_notice

pytestmark = pytest.mark.django_db

# a figure of four or more digits before the integer part ends, followed by 元: "3540.00 元", "2000元"
RAW = re.compile(r"(?<![\d,.\w-])\d{4,}(?:\.\d+)?\s*元")


def raw_amounts(texts) -> list[str]:
    return [t for t in texts if t and RAW.search(t)]


def test_raw_pattern():
    assert raw_amounts(["月保障金 3540.00 元", "2000元", "已获 3,540.00 元"]) == ["月保障金 3540.00 元", "2000元"]
    assert not raw_amounts(["2026年12月", "DB-330381-2026-000001 元", "860.50 元", "LSF-3303-2026-000001"])


@pytest.fixture
def staff(make_user):
    return {
        "acceptor": make_user("m_acceptor", ("acceptor", ANYANG)),
        "investigator": make_user("m_investigator", ("investigator", ANYANG)),
        "reviewer": make_user("m_reviewer", ("reviewer", ANYANG)),
        "approver": make_user("m_approver", ("approver", RUIAN)),
        "maker": make_user("m_finance_a", ("finance", RUIAN)),
        "checker": make_user("m_finance_b", ("finance", RUIAN)),
    }


def test_a_case_run_and_a_payroll_month_write_money_as_money(staff, household_in, household_other,
                                                             assistance_standards, settings, tmp_path):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    household, head, _ = household_in
    texts: list[str] = []

    # a 低保 application to its approval (the approval says the monthly amount, 3,540.00 here)
    case = case_open(user=staff["acceptor"], case_type="dibao_application", region_code="", household=household,
                     applicant=head, channel="window")  # fmt: skip
    case = _to_notice(staff, case, today)
    texts += case.messages
    after = case.notices.get().end_date + dt.timedelta(days=1)
    case = case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    texts += case.messages
    assert Decimal(case.data["assessment"]["monthly_amount"]) >= 1000 and any("已纳入保障" in t for t in case.messages)

    # the month's payroll: 3,540.00 and 1,180.00 on the roll of this month
    month = today.replace(day=1)
    other, _ = household_other
    for h, amount in ((household, "3540"), (other, "1180")):
        svc.enrollment_create(user=None, program="tekun", household=h, monthly_amount=amount, persons_covered=1,
                              start_month=month)  # fmt: skip
    cycle = payroll.payroll_generate(user=staff["maker"], program="tekun", month=month)
    cycle = payroll.payroll_approve(user=staff["checker"], cycle=cycle)
    content = payroll.payroll_export(user=staff["maker"], cycle=cycle, workers=1)
    ref = next(line.split(",")[4].split()[0] for line in content.decode("utf-8-sig").splitlines()[1:])
    payroll.payroll_reconcile(user=staff["maker"], cycle=cycle, content=result_file(content, {ref: ("失败", "账户冻结")}),
                              workers=1)  # fmt: skip
    payroll.payroll_reissue(user=staff["checker"], cycle=cycle)

    # 临时救助: 先行救助 of 2,000.00 and its refusal afterwards
    t = case_open(user=staff["acceptor"], case_type="temp_emergency", region_code="", household=household,
                  applicant=head)  # fmt: skip
    t = case_act(user=staff["acceptor"], case=t, action="assist_first", opinion="火灾",
                 data={"event": "住房火灾", "event_date": today.isoformat(), "pay_method": "bank", "amount": "2000"})  # fmt: skip
    texts += t.messages
    _materials(staff, t, codes=["application", "authorisation"])
    t = case_act(user=staff["acceptor"], case=t, action="file_completed")
    t = case_act(user=staff["reviewer"], case=t, action="first_aid_report", opinion="报县级")
    t = case_act(user=staff["approver"], case=t, action="first_aid_refuse", opinion="经核实不符合救助条件")
    texts += t.messages
    refused = t.messages

    texts += list(CycleEvent.objects.values_list("note", flat=True))
    texts += list(LedgerEntry.objects.values_list("note", flat=True))
    texts += list(AuditEvent.objects.values_list("summary", flat=True))
    texts += list(Message.objects.values_list("body", flat=True))
    assert raw_amounts(texts) == []
    assert any("3,540.00" in t for t in texts) and any("2,000.00 元" in m for m in refused)
