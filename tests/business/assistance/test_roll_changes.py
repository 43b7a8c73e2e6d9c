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
from tests.conftest import RUIAN
from tests.engines.cases import test_case_items
from tests.engines.cases.test_cases import _materials, _to_notice, investigation

pytestmark = pytest.mark.django_db

# the same staff, media folder and notice end as the other case items
_media, staff, _after_notice = test_case_items._media, test_case_items.staff, test_case_items._after_notice


def _alone(household, day) -> dict:
    """The investigation of 陈志明, who lives alone without income or a supporter able to help."""
    return investigation(household, day, incomes=[], financial_assets="0", members={0: {"has_able_supporter": False}})


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
    data = {**_alone(household, today), "adl_not_met": ["上下床", "洗澡"], "tekun_mode": "dispersed"}
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
    case = _review(staff, household, head, after, _alone(household, timezone.localdate()))
    e.refresh_from_db()
    assert case.outcome == "completed"
    assert _care(e) == Decimal("460.00")
    assert e.monthly_amount == e.events.order_by("pk").first().monthly_amount  # was cut by 230
    assert e.reviews.get().outcome == "unchanged"
    assert e.assessment["adl_not_met"] == ["上下床", "洗澡"]
    assert "上下床、洗澡未达到（沿用上次评估结果）" in _doc(case, "change_decision")


def test_tekun_review_with_a_new_assessment_changes_the_care_level(staff, household_other, tekun_enrolled):
    from django.core.exceptions import ValidationError

    e, after = tekun_enrolled
    household, head = household_other
    items = ["吃饭", "穿衣", "上下床", "如厕", "洗澡"]  # five of six not met → 完全丧失 → 全护理
    base = _alone(household, timezone.localdate())
    case = case_open(user=staff["reviewer"], case_type="assistance_review", region_code="", household=household,
                     applicant=head, channel="office")  # fmt: skip
    with pytest.raises(ValidationError, match="重新评估生活自理能力"):
        case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="复核",
                 data={**base, "adl_not_met": items}, on=after)  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="复核，自理能力下降",
             data={**base, "adl_not_met": items, "adl_reassessed": True}, on=after)  # fmt: skip
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="审核", on=after)
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意", on=after)
    e.refresh_from_db()
    assert e.reviews.get().outcome == "amount_changed" and _care(e) > Decimal("460.00")
    assert e.assessment["adl_not_met"] == items


@pytest.fixture
def dibao_enrolled(staff, household_in, assistance_standards):
    """The 低保 household of two in 安阳 (urban, 温州 standard 1,180), approved and on the roll."""
    household, head, _ = household_in
    case = case_open(user=staff["acceptor"], case_type="dibao_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    case = _to_notice(staff, case, timezone.localdate())
    after = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    return Enrollment.objects.get(number=case.data["enrollment_number"]), after


def _facts(household, wages="6000"):
    """The investigation of the 安阳 household: the head's wages a year, the rest as at application."""
    return investigation(household, timezone.localdate(), incomes=[(0, "wages", wages)])


def _doc(case, kind) -> str:
    from minzheng.foundation.documents.text import pdf_text
    from minzheng.foundation.files.services import file_open

    return pdf_text(file_open(case.documents.get(kind=kind).file), compact=True)


def test_review_into_the_edge_band_starts_the_phase_out_of_the_standards(staff, household_in, dibao_enrolled):
    """Worked example 3 of the rule sheet: income confirmed in [标准, 1.5 × 标准) → 渐退 from the 1st of
    the next month for the standard's 6 months, not a refusal pointing to 停保."""
    e, after = dibao_enrolled
    household, head, _ = household_in
    # 40,000 a year, less 10 % employment cost = 3,000 a month for two: 1,500 per head, 1,180 ≤ 1,500 < 1,770
    case = _review(staff, household, head, after, _facts(household, "40000"))
    e.refresh_from_db()
    start = next_month(after)
    assert case.data["assessment"]["classification"] == "dibao_edge"
    assert e.state == "phase_out" and e.last_event.kind == "phase_out" and e.last_event.effective_month == start
    assert e.phase_out_until == add_months(start, 6) - dt.timedelta(days=1)
    assert e.reviews.get().outcome == "phase_out"
    text = _doc(case, "change_decision")
    assert "渐退期" in text and f"{start.year}年{start.month}月" in text and "王建国" in text


def test_worked_example_3_dates():
    """2025-08-14 confirmed → 2025-09-01 … 2026-02-28 (6 months)."""
    start = next_month(dt.date(2025, 8, 14))
    assert (start, add_months(start, 6) - dt.timedelta(days=1)) == (dt.date(2025, 9, 1), dt.date(2026, 2, 28))


def test_review_class_c_sets_a_quarterly_review_for_urban_households(staff, household_in, dibao_enrolled):
    e, after = dibao_enrolled
    household, head, _ = household_in
    case = _review(staff, household, head, after, _facts(household), confirm={"review_class": "C类"})
    e.refresh_from_db()
    assert e.review_class == "C" and e.next_review == add_months(after, 3)
    assert "复核结果告知书" in _doc(case, "change_decision")


def test_review_no_longer_eligible_goes_the_stop_way_with_notice(staff, household_in, dibao_enrolled):
    from minzheng.foundation.validation import Refused

    e, after = dibao_enrolled
    household, head, _ = household_in
    case = case_open(user=staff["reviewer"], case_type="assistance_review", region_code="", household=household,
                     applicant=head, channel="office")  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="就业",
             data=_facts(household, "120000"), on=after)  # fmt: skip
    with pytest.raises(Refused, match="拟终止救助"):
        case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="审核", on=after)
    case = case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="收入远超标准",
                    data={"reason": "收入超过标准"}, on=after)  # fmt: skip
    assert case.step == "stop_notice" and case.data["forms"]["propose_stop"]["reason"] == "income_over_line"
    end = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=end)
    case = case_act(user=staff["approver"], case=case, action="confirm_stop", opinion="终止", on=end)
    e.refresh_from_db()
    assert (
        case.outcome == "terminated" and e.last_event.kind == "exit" and e.last_event.effective_month == next_month(end)
    )
    assert "收入超过标准" in _doc(case, "stop_decision")


def test_stop_for_a_death_in_chinese_checks_the_month_and_writes_to_the_living(staff, household_other, tekun_enrolled):
    """停保: the reason chosen by its Chinese label; a death asks for the date, stops from the month
    after it within the 3 months of the standards, and the decision goes to the heirs, not the dead."""
    from django.core.exceptions import ValidationError

    from minzheng.foundation.validation import Refused

    e, after = tekun_enrolled
    household, head = household_other
    # on the roll for three months already when he dies, three days ago: the case path starts the
    # enrollment next month, and today − 3 days fell before that start on ten days of every month
    since = add_months(timezone.localdate().replace(day=1), -3)
    e.events.update(effective_month=since)
    Enrollment.objects.filter(pk=e.pk).update(start_month=since)
    e.refresh_from_db()
    case = case_open(user=staff["reviewer"], case_type="assistance_stop", region_code="", household=household,
                     applicant=head, channel="office")  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="村委会报告本人去世", on=after)
    with pytest.raises(ValidationError, match="死亡日期"):
        case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="死亡", data={"reason": "死亡"},
                 on=after)  # fmt: skip
    death = timezone.localdate() - dt.timedelta(days=3)
    with pytest.raises(ValidationError, match="死亡当月的保障金照发"):
        case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="死亡",
                 data={"reason": "死亡", "death_date": death.isoformat(),
                       "effective_month": death.replace(day=1).isoformat()}, on=after)  # fmt: skip
    late = add_months(next_month(death), 4)
    with pytest.raises(Refused, match="3个月内"):
        case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="死亡",
                 data={"reason": "死亡", "death_date": death.isoformat(), "effective_month": late.isoformat()},
                 on=after)  # fmt: skip
    case = case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="本人死亡，拟终止",
                    data={"reason": "死亡", "death_date": death.isoformat()}, on=after)  # fmt: skip
    end = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=end)
    case = case_act(user=staff["approver"], case=case, action="confirm_stop", opinion="终止", on=end)
    e.refresh_from_db()
    assert e.last_event.reason == "death" and e.last_event.effective_month == next_month(end)
    text = _doc(case, "stop_decision")
    assert "陈志明的继承人" in text and "死亡" in text and f"{next_month(end).year}年{next_month(end).month}月" in text


def test_newborn_joins_through_a_change_case_and_the_payroll_line_counts_three(
    staff, household_in, dibao_enrolled, anyang_user, ids, make_user
):
    from minzheng.business.assistance.roll import roll_case_open
    from minzheng.engines.benefits import payroll
    from minzheng.foundation.registry import services as registry
    from tests.conftest import ANYANG_VILLAGE

    e, after = dibao_enrolled
    household, _head, _ = household_in
    baby = registry.person_create(user=anyang_user, data={
        "name": "王小宝", "id_number": ids(birth=after - dt.timedelta(days=30)), "hukou_type": "urban",
        "region_code": ANYANG_VILLAGE})  # fmt: skip
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_add", person=baby, relation="child")
    assert case.case_type.code == "dibao_change" and case.data["change"]["person_id"] == baby.pk
    before = e.monthly_amount
    case_act(
        user=staff["investigator"],
        case=case,
        action="investigate_done",
        opinion="新生儿",
        data=_facts(household),
        on=after,
    )
    # 发起变更 entered the birth in the registry (the investigation lists the child); the roll waits for the county
    assert household.memberships.filter(person=baby, valid_to__isnull=True).exists()
    e.refresh_from_db()
    assert e.persons_covered == 2 and e.monthly_amount == before
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="增员", on=after)
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意增员", on=after)
    e.refresh_from_db()
    assert e.persons_covered == 3 and e.monthly_amount > before
    assert e.last_event.kind == "member" and e.last_event.persons_covered == 3 and not e.reviews.exists()
    assert household.memberships.filter(person=baby, valid_to__isnull=True).exists()
    assert "王小宝" in _doc(case, "change_decision")
    maker = make_user("finance_a", ("finance", RUIAN))
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=e.last_event.effective_month,
                                     region_code="330381000000")  # fmt: skip
    line = cycle.entitlements.get(enrollment=e)
    assert line.persons_covered == 3 and line.amount == e.monthly_amount


def test_member_death_removes_the_member_and_a_head_never_leaves_by_removal(staff, household_in, dibao_enrolled):
    from django.core.exceptions import ValidationError

    from minzheng.business.assistance.roll import roll_case_open

    e, after = dibao_enrolled
    household, head, spouse = household_in
    with pytest.raises(ValidationError):
        roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_remove", person=head, reason="死亡",
                       death_date=after)  # fmt: skip
    with pytest.raises(ValidationError, match="死亡日期"):
        roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_remove", person=spouse, reason="死亡")
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_remove", person=spouse, reason="死亡",
                          death_date=timezone.localdate() - dt.timedelta(days=3))  # fmt: skip
    case_act(
        user=staff["investigator"],
        case=case,
        action="investigate_done",
        opinion="配偶去世",
        data=_facts(household),
        on=after,
    )
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="减员", on=after)
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意减员", on=after)
    e.refresh_from_db()
    assert e.persons_covered == 1 and e.last_event.kind == "member" and e.last_event.reason == "death"
    assert not household.memberships.filter(person=spouse, valid_to__isnull=True).exists()
    assert "王建国" in _doc(case, "change_decision")


def test_stop_reason_is_a_chinese_choice_on_the_case_page_and_the_api_takes_label_or_code(
    staff, household_in, dibao_enrolled
):
    from django.test import Client

    from tests.conftest import PASSWORD

    _e, after = dibao_enrolled
    household, head, _ = household_in
    case = case_open(user=staff["reviewer"], case_type="assistance_stop", region_code="", household=household,
                     applicant=head, channel="office")  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="核实", on=after)
    web = Client()
    web.force_login(staff["reviewer"])
    page = web.get(f"/cases/{case.number}/").content.decode()
    assert '<select name="propose_stop-reason"' in page
    assert '<option value="moved_away">迁出本地</option>' in page and "停保原因" in page and "死亡日期" in page
    r = web.post(f"/cases/{case.number}/act/", {"action": "propose_stop", "propose_stop-opinion": "拟终止",
                                               "propose_stop-reason": "death"})  # fmt: skip
    assert r.status_code == 422 and "因死亡停保须填写死亡日期" in r.content.decode()
    api = Client()
    token = api.post("/api/v1/auth/token", {"username": "i_reviewer", "password": PASSWORD},
                     content_type="application/json").json()["token"]  # fmt: skip
    api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    r = api.post(f"/api/v1/cases/{case.number}/transitions", {"action": "propose_stop", "opinion": "已迁出",
                 "data": {"reason": "迁往外省"}}, content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and "停保原因须为：死亡、迁出本地" in str(r.json())
    r = api.post(f"/api/v1/cases/{case.number}/transitions", {"action": "propose_stop", "opinion": "已迁出",
                 "data": {"reason": "迁出本地"}}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200, r.content
    case.refresh_from_db()
    assert case.step == "stop_notice" and case.data["forms"]["propose_stop"]["reason"] == "moved_away"
    assert "迁出本地" in web.get(f"/cases/{case.number}/").content.decode()


def test_the_phase_out_trigger_is_a_regional_setting(assistance_standards):
    """渐退 by default only into the 边缘 band (林口县); a region may set any rise above the line."""
    from types import SimpleNamespace

    from minzheng.business.assistance.roll import roll_outcome
    from minzheng.foundation.parameters.services import standard_set

    e = SimpleNamespace(program_id="dibao", region_code="330381001001", hukou_type="urban", state="active",
                        monthly_amount=Decimal("900.00"))  # fmt: skip
    on = timezone.localdate()
    above_band = {"classification": "not_eligible", "per_capita_monthly_income": "1800.00",
                  "standard_monthly": "1180.00", "monthly_amount": "0", "property_ok": True}  # fmt: skip
    band = {**above_band, "classification": "dibao_edge", "per_capita_monthly_income": "1500.00"}
    assert roll_outcome(e, band, on) == "phase_out" and roll_outcome(e, above_band, on) == "exit"
    assert roll_outcome(e, {**band, "property_ok": False}, on) == "exit"
    standard_set(user=None, key="phase_out_trigger", region_code="330381000000", value="above_line",
                 effective_from=on.replace(day=1), source_document="瑞安市渐退办法（示例）")  # fmt: skip
    assert roll_outcome(e, above_band, on) == "phase_out"
    assert roll_outcome(SimpleNamespace(**{**vars(e), "state": "phase_out"}), band, on) == "unchanged"


def test_head_died_the_roll_continues_under_the_new_head_by_the_countys_decision(staff, household_in, dibao_enrolled):
    from minzheng.business.assistance.roll import roll_case_open

    e, after = dibao_enrolled
    household, _head, spouse = household_in
    # handled in the enrollment's first month: the roll changes from the month after the county's
    # decision, not from the month after the day the test runs (it was next_month() of today, which
    # refused the change as 倒签 when the approval fell in the next month)
    day = next_month(after) + dt.timedelta(days=3)
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="head_change", person=spouse)
    assert case.applicant == spouse and case.data["change"]["reason"] == "head_died"
    case_act(
        user=staff["investigator"],
        case=case,
        action="investigate_done",
        opinion="户主去世",
        data=_facts(household),
        on=day,
    )
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="接续", on=day)
    e.refresh_from_db()
    assert e.state == "active" and not e.successors.exists()  # nothing before the county decides
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意接续", on=day)
    new = e.successors.get()
    assert new.household.head == spouse and case.data["successor_number"] == new.number
    e.refresh_from_db()
    assert e.last_event.kind == "transfer_out" and e.last_event.effective_month == next_month(day) == new.start_month
    text = _doc(case, "change_decision")
    assert "李秀英" in text and "接续" in text


def test_tekun_mode_change_goes_through_a_case_and_pays_the_chosen_modes_standard(
    staff, household_other, tekun_enrolled
):
    """供养方式 (集中/分散) changed by a case: the investigation records the mode chosen, the amount
    follows that mode's standard, the enrollment records the mode, and a decision says so."""
    from minzheng.business.assistance.roll import roll_case_open
    from minzheng.foundation.parameters.services import standard_set

    e, after = tekun_enrolled
    household, _ = household_other
    standard_set(user=None, key="tekun_basic_monthly", region_code="330381000000", mode="centralised", value="1800",
                 effective_from=timezone.localdate().replace(day=1), source_document="瑞安市集中供养标准（示例）")  # fmt: skip
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="mode", mode="centralised")
    assert case.case_type.code == "dibao_change" and case.applicant == e.person
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="本人申请入住敬老院",
             data=_alone(household, timezone.localdate()), on=after)  # fmt: skip
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="同意集中供养", on=after)
    e.refresh_from_db()
    assert e.mode == "dispersed"  # nothing before the county decides
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意", on=after)
    e.refresh_from_db()
    assert e.mode == "centralised" and e.monthly_amount == Decimal("2260.00")  # 1,800 + 半护理 460
    assert (e.last_event.kind, e.last_event.reason) == ("amount", "mode_change")
    assert "集中供养" in _doc(case, "change_decision")


def test_the_tekun_enrollment_page_offers_the_mode_change(staff, tekun_enrolled):
    from django.test import Client

    e, _ = tekun_enrolled
    web = Client()
    web.force_login(staff["reviewer"])
    page = web.get(f"/benefits/enrollments/{e.pk}/").content.decode()
    assert "供养方式变更（特困人员集中、分散供养）" in page and "新的供养方式" in page
    assert "增员（新生儿出生、迁入等）" not in page  # one person: no member changes
    r = web.post(f"/benefits/enrollments/{e.pk}/change/", {"kind": "mode"})
    assert r.status_code == 422 and "请选择新的供养方式" in r.content.decode()
    r = web.post(f"/benefits/enrollments/{e.pk}/change/", {"kind": "mode", "mode": "dispersed"})
    assert r.status_code == 422 and "现已是分散供养" in r.content.decode()
    r = web.post(f"/benefits/enrollments/{e.pk}/change/", {"kind": "mode", "mode": "centralised"})
    assert r.status_code == 302 and "/cases/BG-" in r["Location"]
