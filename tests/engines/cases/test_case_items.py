"""The other social-assistance items on the case engine: 特困 with the self-care assessment and
the county re-check, 临时救助 急难型 先行救助 within the township's limit, 定期复核 of a running
enrollment, and 停保 with its own public notice."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from minzheng.business.assistance import casework
from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.engines.cases.models import TaskState
from minzheng.engines.cases.services import case_act, case_open
from minzheng.foundation.validation import Refused
from tests.conftest import ANYANG, RUIAN, TANGXIA
from tests.engines.cases.test_cases import _materials, _to_notice, investigation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(make_user):
    return {
        "acceptor": make_user("i_acceptor", ("acceptor", ANYANG), ("acceptor", TANGXIA)),
        "investigator": make_user("i_investigator", ("investigator", ANYANG), ("investigator", TANGXIA)),
        "reviewer": make_user("i_reviewer", ("reviewer", ANYANG), ("reviewer", TANGXIA)),
        "approver": make_user("i_approver", ("approver", RUIAN)),
    }


def _after_notice(case):
    return case.notices.get().end_date + dt.timedelta(days=1)


def test_tekun_self_care_tier_and_county_recheck(staff, household_other, assistance_standards, monkeypatch):
    household, head = household_other  # 陈志明, born 1955, lives alone
    today = timezone.localdate()
    case = case_open(user=staff["acceptor"], case_type="tekun_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept", on=today)
    data = {**investigation(household, today, incomes=[], financial_assets="0",
                            members={0: {"has_able_supporter": False}}),
            "adl_not_met": ["上下床", "洗澡"], "tekun_mode": "dispersed"}  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="独居老人", data=data, on=today)
    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合特困", on=today)
    assert case.data["assessment"]["classification"] == "tekun"
    after = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)

    monkeypatch.setattr(casework, "recheck_selected", lambda number, share: True)
    with pytest.raises(Refused, match="抽中县级复查"):
        case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    case_act(user=staff["approver"], case=case, action="recheck", opinion="复查属实",
             data={"rechecked_by": "县民政局 郑伟", "recheck_date": after.isoformat(), "consistent": True}, on=after)  # fmt: skip
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意认定", on=after)
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert e.program_id == "tekun" and e.person == head and e.persons_covered == 1
    care = next(c for c in e.components if c["item"] == "tekun_care")
    # two of six ADL items not met → 部分丧失 → the 半护理 tier (温州 demo: 460, 全自理 230)
    assert Decimal(care["amount"]) == Decimal("460.00")
    assert case.spec.step("confirm").legal_days == 15


def test_recheck_sample_is_about_thirty_percent():
    picked = sum(casework.recheck_selected(f"TK-330381-2026-{n:06d}", 30) for n in range(2000))
    assert 0.26 < picked / 2000 < 0.34


def test_emergency_assistance_pays_first_within_the_township_limit(staff, household_in, assistance_standards):
    household, head, _ = household_in
    case = case_open(user=staff["acceptor"], case_type="temp_emergency", region_code="", household=household,
                     applicant=head)  # fmt: skip
    fire = {"event": "住房火灾", "event_date": timezone.localdate().isoformat(), "pay_method": "bank"}
    with pytest.raises(Refused, match=r"超过乡镇审批限额 3,540\.00"):
        case_act(user=staff["acceptor"], case=case, action="assist_first", opinion="火灾",
                 data={**fire, "amount": "4000"})  # fmt: skip
    case = case_act(user=staff["acceptor"], case=case, action="assist_first", opinion="火灾后先行救助",
                    data={**fire, "amount": "3000"})  # fmt: skip
    assert case.step == "complete_file" and case.data["amount"] == "3000.00"
    assert case.documents.filter(kind="temp_decision").exists()
    with pytest.raises(Refused, match="缺少"):
        case_act(user=staff["acceptor"], case=case, action="file_completed")
    _materials(staff, case, codes=["application", "authorisation"])
    case = case_act(user=staff["acceptor"], case=case, action="file_completed")
    assert (
        case.step == "first_aid_review"
    )  # confirmed afterwards, see tests/business/assistance/test_temp_assistance.py


@pytest.fixture
def enrolled(staff, household_in, assistance_standards):
    """The 低保 household of the journey, approved and on the roll."""
    today = timezone.localdate()
    household, head, _ = household_in
    case = case_open(user=staff["acceptor"], case_type="dibao_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    case = _to_notice(staff, case, today)
    after = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    return Enrollment.objects.get(number=case.data["enrollment_number"]), after


def test_review_adjusts_the_amount_when_income_changed(staff, household_in, enrolled):
    e, after = enrolled
    household, head, _ = household_in
    case = case_open(user=staff["reviewer"], case_type="assistance_review", region_code="", household=household,
                     applicant=head, channel="office")  # fmt: skip
    assert case.due_date is not None and case.tasks.get(state=TaskState.OPEN).role == "investigator"
    data = investigation(household, timezone.localdate(), incomes=[(0, "wages", "9600")])
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="收入增加", data=data, on=after)
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="调整金额", on=after)
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意调整", on=after)
    e.refresh_from_db()
    assert case.outcome == "completed" and e.reviews.get().outcome == "amount_changed"
    assert (
        e.last_event.monthly_amount
        == Decimal(case.data["assessment"]["monthly_amount"])
        < Decimal(e.events.order_by("pk").first().monthly_amount)
    )


def test_stop_goes_through_its_own_notice_and_exits_next_month(staff, household_in, enrolled):
    e, after = enrolled
    household, head, _ = household_in
    case = case_open(user=staff["reviewer"], case_type="assistance_stop", region_code="", household=household,
                     applicant=head, channel="office")  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="户主已稳定就业", on=after)
    with pytest.raises(Exception, match="停保原因"):
        case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="拟终止", data={"reason": "bored"},
                 on=after)  # fmt: skip
    case = case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="收入超过标准，拟终止",
                    data={"reason": "income_over_line"}, on=after)  # fmt: skip
    notice = case.notices.get()
    assert notice.title == "终止救助公示" and "amount" not in notice.content
    end = notice.end_date + dt.timedelta(days=1)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=end)
    case = case_act(user=staff["approver"], case=case, action="confirm_stop", opinion="终止", on=end)
    e.refresh_from_db()
    assert case.outcome == "terminated" and e.last_event.kind == "exit" and e.last_event.reason == "income_over_line"
    assert e.last_event.effective_month == (end.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    assert e.state in (EnrollmentState.EXITED, EnrollmentState.ACTIVE)  # exits from that month on
    assert case.documents.filter(kind="stop_decision").exists()
