"""Changes of the roll go through cases (issue 13, items 15–18): 定期复核 with every outcome of the
rule sheet §9 (continue with a new amount, 渐退 into the 边缘 band, stop), the 特困 review keeping
the care level of the last self-care assessment, 停保 in Chinese with the date of death checked,
and 增减员 changing the persons covered on the enrollment and the next payroll line."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from minzheng.engines.benefits.models import Enrollment
from minzheng.engines.benefits.services import add_months, next_month
from minzheng.engines.cases.services import case_act, case_open

from .conftest import ANYANG, RUIAN, TANGXIA
from .test_cases import INVESTIGATION, _materials, _to_notice

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


def _care(e) -> Decimal:
    return Decimal(next(c for c in e.components if c["item"] == "tekun_care")["amount"])


@pytest.fixture
def tekun_enrolled(staff, household_other, assistance_standards):
    """陈志明 (born 1955, alone) recognised as 特困 with two ADL items not met: 半护理, care 460."""
    household, head = household_other
    today = timezone.localdate()
    case = case_open(user=staff["acceptor"], case_type="tekun_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept", on=today)
    data = {**INVESTIGATION, "visit_date": today.isoformat(), "wages_annual": "0", "financial_assets": "0",
            "has_able_supporter": False, "adl_not_met": ["上下床", "洗澡"]}  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="独居老人", data=data, on=today)
    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合特困", on=today)
    after = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    case.data.setdefault("forms", {})["recheck"] = {"consistent": True}  # not the subject here
    case.save(update_fields=["data"])
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意认定", on=after)
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert _care(e) == Decimal("460.00")
    return e, after


def _review(staff, household, head, on, data, *, case_type="assistance_review", confirm=None):
    case = case_open(user=staff["reviewer"], case_type=case_type, region_code="", household=household,
                     applicant=head, channel="office")  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="入户复核", data=data, on=on)
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="审核", on=on)
    return case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意", data=confirm, on=on)


def test_tekun_review_without_a_new_assessment_keeps_the_care_level(staff, household_other, tekun_enrolled):
    e, after = tekun_enrolled
    household, head = household_other
    data = {**INVESTIGATION, "visit_date": timezone.localdate().isoformat(), "wages_annual": "0",
            "financial_assets": "0", "has_able_supporter": False}  # fmt: skip
    case = _review(staff, household, head, after, data)
    e.refresh_from_db()
    assert case.outcome == "completed"
    assert _care(e) == Decimal("460.00")
    assert e.monthly_amount == e.events.order_by("pk").first().monthly_amount  # was cut by 230
    assert e.reviews.get().outcome == "unchanged"
