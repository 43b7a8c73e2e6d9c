"""Review of issue 13 (临时救助 delegated to the township): a township the county delegated the
decision to (国务院令第649号 第四十八条) approves only up to its limit (the time-versioned standard
``temp_assistance_township_limit``, summed per household and event); above it the township cannot
approve, it reports to the county (报县级审批), and the county decides and is recorded as deciding."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from minzheng.engines.benefits.models import OneOffPayment
from minzheng.engines.cases.builtin import office_name
from minzheng.engines.cases.services import case_act, case_open, delegation_set
from minzheng.foundation.validation import Refused
from tests.business.assistance.test_temp_assistance import _propose, _to_review, staff  # noqa: F401  (fixture)
from tests.conftest import ANYANG, RUIAN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def delegated_case(staff, household_in, assistance_standards):  # noqa: F811
    """A 支出型 case of the 安阳 household (2 persons, 1,180 元) in a county that delegates 临时救助
    approval to its townships; township limit 3,540 元 (元/户·次)."""
    delegation_set(user=None, case_type="temp_expenditure", region_code=RUIAN, delegated=True,
                   effective_from=timezone.localdate() - dt.timedelta(days=1))  # fmt: skip
    household, head, _ = household_in
    case = case_open(user=staff["acceptor"], case_type="temp_expenditure", region_code="", household=household,
                     applicant=head)  # fmt: skip
    assert case.delegated
    return _to_review(staff, case)


def _text(case, kind) -> str:
    from minzheng.foundation.documents.text import pdf_text
    from minzheng.foundation.files.services import file_open

    return pdf_text(file_open(case.documents.get(kind=kind).file), compact=True)


def test_within_its_limit_the_delegated_township_approves(staff, delegated_case):  # noqa: F811
    case = _propose(staff, delegated_case, 3000, months=2)
    assert case.step == "confirm" and case.tasks.get(state="open").region_code == ANYANG
    with pytest.raises(Refused, match=r"在乡镇审批限额.*以内"):
        case_act(user=staff["township_approver"], case=case, action="report_county", opinion="报县级")
    case = case_act(user=staff["township_approver"], case=case, action="approve", opinion="同意",
                    data={"pay_method": "bank"})  # fmt: skip
    p = OneOffPayment.objects.get(source_case=case.number)
    assert case.outcome == "approved" and p.amount == Decimal("3000.00") and p.decided_level == "township"


def test_above_its_limit_the_township_cannot_approve_the_county_can(staff, delegated_case):  # noqa: F811
    case = _propose(staff, delegated_case, 6000, months=3)  # the estimate allows 7,080
    assert case.step == "confirm"
    with pytest.raises(Refused, match=r"6,000\.00 元，超过乡镇审批限额 3,540\.00 元.*「报县级审批」"):
        case_act(user=staff["township_approver"], case=case, action="approve", opinion="同意",
                 data={"pay_method": "bank"})  # fmt: skip
    assert not OneOffPayment.objects.exists()
    case = case_act(user=staff["township_approver"], case=case, action="report_county",
                    opinion="超过乡镇审批限额，报县级审批")  # fmt: skip
    assert case.step == "county_confirm" and case.tasks.get(state="open").region_code == RUIAN
    with pytest.raises(PermissionDenied):
        case_act(user=staff["township_approver"], case=case, action="approve", opinion="同意",
                 data={"pay_method": "bank"})  # fmt: skip
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意",
                    data={"pay_method": "bank"})  # fmt: skip
    p = OneOffPayment.objects.get(source_case=case.number)
    assert case.outcome == "approved" and p.amount == Decimal("6000.00") and p.decided_level == "county"
    assert office_name(case, "county") in _text(case, "temp_decision")


def test_the_county_may_send_an_over_limit_proposal_back_or_refuse_it(staff, delegated_case):  # noqa: F811
    case = _propose(staff, delegated_case, 6000, months=3)
    case = case_act(user=staff["township_approver"], case=case, action="report_county", opinion="报县级")
    case = case_act(user=staff["approver"], case=case, action="send_back", opinion="请核减金额")
    assert case.step == "review"
    case = _propose(staff, case, 6000, months=3)
    case = case_act(user=staff["township_approver"], case=case, action="report_county", opinion="报县级")
    case = case_act(user=staff["approver"], case=case, action="refuse", opinion="不符合条件")
    assert case.outcome == "refused" and office_name(case, "county") in _text(case, "refusal_notice")
