"""Residents: admissions and discharges of registry persons, ability assessments, daily occupancy,
and a 特困 person's 供养方式 changed by the case the admission opens (never by the admission itself)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from minzheng.business.eldercare import selectors, services
from minzheng.business.eldercare.models import Admission
from minzheng.engines.benefits.models import Enrollment
from minzheng.engines.benefits.services import next_month
from minzheng.engines.cases.models import Case
from minzheng.engines.cases.services import case_act
from minzheng.foundation.parameters.services import standard_set
from minzheng.foundation.validation import Refused
from tests.business.assistance.test_roll_changes import _alone, _doc
from tests.business.eldercare.homes import home_make
from tests.conftest import ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE

pytestmark = pytest.mark.django_db


def test_admitting_a_tekun_person_opens_the_mode_change_and_the_county_decides_centralised_support(
    staff, elder_staff, household_other, tekun_enrolled
):
    """The admission does not touch the roll: it opens the 供养方式变更 case of the line owning 特困
    with the admission as evidence; after the investigation, the township's review and the county's
    decision, the enrollment is 集中供养 from the month after the decision (the rules of that case)."""
    e, after = tekun_enrolled
    household, head = household_other
    standard_set(user=None, key="tekun_basic_monthly", region_code=RUIAN, mode="centralised", value="1800",
                 effective_from=timezone.localdate().replace(day=1), source_document="瑞安市集中供养标准（示例）")  # fmt: skip
    home = home_make(elder_staff["county"], TANGXIA_VILLAGE, name="塘下镇敬老院")
    today = timezone.localdate()
    admission = services.admission_record(user=elder_staff["tangxia"], supervised=home, person=head, admitted_on=today,
                                          bed_type="nursing", ability_level="moderate")  # fmt: skip
    e.refresh_from_db()
    assert e.mode == "dispersed"  # nothing changes by the admission itself
    assert admission.centralised and admission.enrollment_number == e.number
    case = Case.objects.get(number=admission.support_case)
    assert case.case_type.code == "dibao_change" and case.data["change"]["mode"] == "centralised"
    assert case.data["change"]["evidence"]["what"] == "养老机构入住登记"
    assert case.data["change"]["evidence"]["home"] == "塘下镇敬老院"
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="入住敬老院",
             data=_alone(household, today), on=after)  # fmt: skip
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="同意集中供养", on=after)
    e.refresh_from_db()
    assert e.mode == "dispersed"  # not before the county decides
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意", on=after)
    e.refresh_from_db()
    assert e.mode == "centralised"
    assert e.last_event.effective_month == next_month(after) and e.last_event.reason == "mode_change"
    assert e.monthly_amount == Decimal("2260.00")  # 集中供养 1,800 + 半护理 460
    assert "集中供养" in _doc(case, "change_decision")

    # back home: the discharge asks for 分散供养 the same way
    discharged = services.discharge_record(user=elder_staff["tangxia"], admission=admission, reason="home",
                                           discharged_on=after if after <= today else today)  # fmt: skip
    back = Case.objects.get(number=discharged.discharge_case)
    assert back.data["change"]["mode"] == "dispersed" and back.data["change"]["evidence"]["what"] == "养老机构退住登记"
    e.refresh_from_db()
    assert e.mode == "centralised"


def test_a_death_goes_the_stop_way_and_a_transfer_keeps_centralised_support(elder_staff, household_other,
                                                                          tekun_enrolled):  # fmt: skip
    e, _after = tekun_enrolled
    _household, head = household_other
    home = home_make(elder_staff["county"], TANGXIA_VILLAGE)
    today = timezone.localdate()
    a = services.admission_record(user=elder_staff["county"], supervised=home, person=head, admitted_on=today)
    # the county's supervisor opens no cases: the change is opened on the admission as evidence
    pending = Case.objects.get(number=a.support_case)
    assert pending.opened_by is None and pending.data["change"]["evidence"]["admission"] == str(a.pk)
    opened = Case.objects.count()
    a = services.discharge_record(user=elder_staff["county"], admission=a, reason="death", discharged_on=today)
    assert Case.objects.count() == opened and "尚未办结" in a.discharge_note  # the pending case is the county's
    # suppose the county decided it meanwhile (the case engine's business, tested above)
    Case.objects.filter(pk=pending.pk).update(closed_at=timezone.now())
    Enrollment.objects.filter(pk=e.pk).update(mode="centralised")
    b = services.admission_record(user=elder_staff["county"], supervised=home, person=head, admitted_on=today)
    b = services.discharge_record(user=elder_staff["county"], admission=b, reason="death", discharged_on=today)
    assert b.support_note == "已是集中供养" and "停保" in b.discharge_note
    c = services.admission_record(user=elder_staff["county"], supervised=home, person=head, admitted_on=today)
    c = services.discharge_record(user=elder_staff["county"], admission=c, reason="transfer", discharged_on=today)
    assert "仍为集中供养" in c.discharge_note and c.discharge_case == ""


def test_a_person_not_on_the_tekun_roll_is_admitted_without_a_case(elder_staff, household_in):
    _household, head, spouse = household_in
    home = home_make(elder_staff["county"], ANYANG_VILLAGE, nature="private", level="other", beds=(1, 0, 0, 0))
    a = services.admission_record(user=elder_staff["county"], supervised=home, person=head,
                                  admitted_on=timezone.localdate() - dt.timedelta(days=10))  # fmt: skip
    assert not a.centralised and a.support_case == ""
    with pytest.raises(Refused, match="床位已满"):
        services.admission_record(user=elder_staff["county"], supervised=home, person=spouse)
    with pytest.raises(ValidationError, match="现入住于本机构"):
        services.admission_record(user=elder_staff["county"], supervised=home, person=head)
    with pytest.raises(ValidationError, match="不能早于入住日期"):
        services.discharge_record(user=elder_staff["county"], admission=a, reason="home",
                                  discharged_on=a.admitted_on - dt.timedelta(days=1))  # fmt: skip


def test_another_townships_clerk_cannot_admit(elder_staff, household_in):
    from django.core.exceptions import PermissionDenied

    _household, head, _ = household_in
    home = home_make(elder_staff["county"], ANYANG_VILLAGE)
    with pytest.raises(PermissionDenied):
        services.admission_record(user=elder_staff["tangxia"], supervised=home, person=head)
    assert not Admission.objects.exists()


def test_daily_occupancy_counts_the_day_of_admission_not_the_day_of_discharge(elder_staff, household_in):
    _household, head, spouse = household_in
    home = home_make(elder_staff["county"], ANYANG_VILLAGE, nature="public", level="county")
    d0 = timezone.localdate() - dt.timedelta(days=20)
    a = services.admission_record(user=elder_staff["county"], supervised=home, person=head, admitted_on=d0,
                                  ability_level="severe", assessed_on=d0)  # fmt: skip
    services.admission_record(user=elder_staff["county"], supervised=home, person=spouse,
                              admitted_on=d0 + dt.timedelta(days=5))  # fmt: skip
    services.discharge_record(
        user=elder_staff["county"], admission=a, reason="home", discharged_on=d0 + dt.timedelta(days=10)
    )
    series = dict(selectors.occupancy_series(home, d0 - dt.timedelta(days=1), d0 + dt.timedelta(days=12)))
    assert series[d0 - dt.timedelta(days=1)] == 0 and series[d0] == 1
    assert series[d0 + dt.timedelta(days=5)] == 2 and series[d0 + dt.timedelta(days=9)] == 2
    assert series[d0 + dt.timedelta(days=10)] == 1
    for day, n in series.items():
        assert selectors.occupancy([home], day).get(home.pk, 0) == n
    services.assessment_record(
        user=elder_staff["county"], admission=a, level="mild", assessed_on=d0 + dt.timedelta(days=3)
    )
    assert selectors.latest_assessments([a])[a.pk].get_level_display() == "轻度失能"
