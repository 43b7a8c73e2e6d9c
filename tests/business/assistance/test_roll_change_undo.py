"""Review of issue 13 (增减员): 发起变更 enters a member joining or leaving in the registry when the
case opens, so the investigation lists the household as it is. Every outcome of that case other
than the county's approval of the change (撤销, 停保) puts the registry back as it was, through the
registry services, audited with the case number, and recorded on the case."""

import datetime as dt

import pytest
from django.utils import timezone

from minzheng.business.assistance.roll import roll_case_open
from minzheng.engines.benefits import payroll
from minzheng.engines.benefits.holds import lines_of_persons
from minzheng.engines.benefits.models import EntitlementHold
from minzheng.engines.benefits.services import next_month
from minzheng.engines.cases.services import case_act
from minzheng.foundation.audit.models import AuditEvent
from tests.business.assistance.test_roll_changes import _facts, dibao_enrolled, staff  # noqa: F401  (fixtures)
from tests.conftest import RUIAN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _current(household, person) -> bool:
    return household.memberships.filter(person=person, valid_to__isnull=True).exists()


def _cycle(maker, e):
    month = max(e.start_month, next_month(timezone.localdate()))
    return payroll.payroll_generate(user=maker, program="dibao", month=month, region_code="330381000000")


def test_a_cancelled_removal_puts_the_member_back_in_the_household_and_the_payroll_line(
    staff,  # noqa: F811
    household_in,
    dibao_enrolled,  # noqa: F811
    make_user,
):
    e, _after = dibao_enrolled
    household, _head, spouse = household_in
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_remove", person=spouse, reason="死亡",
                          death_date=timezone.localdate() - dt.timedelta(days=3))  # fmt: skip
    assert not _current(household, spouse)
    maker = make_user("u_finance", ("finance", RUIAN))
    cycle = _cycle(maker, e)
    assert EntitlementHold.objects.filter(cycle=cycle, reason__contains=case.number).exists()  # held while running
    assert not lines_of_persons(cycle, person_ids=[spouse.pk])

    case = case_act(user=staff["investigator"], case=case, action="cancel", opinion="经核实，该成员健在，误报死亡")
    assert case.outcome == "withdrawn"
    assert _current(household, spouse)
    undo = case.data["registry_undone"]
    assert undo["action"] == "restored" and undo["person_name"] == spouse.name
    assert any("恢复" in m and spouse.name in m for m in case.messages)
    audit = AuditEvent.objects.filter(object_type="registry.household", object_id=str(household.pk)).order_by("-seq")
    assert case.number in audit.first().summary and spouse.name in audit.first().summary

    cycle = _cycle(maker, e)
    (line,) = lines_of_persons(cycle, person_ids=[spouse.pk])
    assert line.enrollment_id == e.pk and not line.is_payee
    assert not EntitlementHold.objects.filter(cycle=cycle).exists()  # the cancelled case holds nothing


def test_a_removal_sent_back_then_cancelled_by_the_township_is_undone(staff, household_in, dibao_enrolled):  # noqa: F811
    e, after = dibao_enrolled
    household, _head, spouse = household_in
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_remove", person=spouse, reason="迁出本地")
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="迁出", data=_facts(household),
             on=after)  # fmt: skip
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="减员", on=after)
    case_act(user=staff["approver"], case=case, action="send_back", opinion="迁出证明不全", on=after)
    case = case_act(user=staff["reviewer"], case=case, action="cancel", opinion="未迁出，撤销", on=after)
    assert case.outcome == "withdrawn" and _current(household, spouse)


def test_a_cancelled_addition_ends_the_added_membership(staff, household_in, dibao_enrolled, anyang_user, ids):  # noqa: F811
    from minzheng.foundation.registry import services as registry
    from tests.conftest import ANYANG_VILLAGE

    e, after = dibao_enrolled
    household, _head, _ = household_in
    baby = registry.person_create(user=anyang_user, data={
        "name": "王小宝", "id_number": ids(birth=after - dt.timedelta(days=30)), "hukou_type": "urban",
        "region_code": ANYANG_VILLAGE})  # fmt: skip
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_add", person=baby, relation="child")
    assert _current(household, baby)
    case = case_act(user=staff["investigator"], case=case, action="cancel", opinion="登记错误，撤销")
    assert not _current(household, baby)
    ended = household.memberships.get(person=baby)
    assert case.number in ended.end_reason and case.data["registry_undone"]["action"] == "ended"
    e.refresh_from_db()
    assert e.persons_covered == 2


def test_the_countys_approval_keeps_the_registry_change(staff, household_in, dibao_enrolled):  # noqa: F811
    e, after = dibao_enrolled
    household, _head, spouse = household_in
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_remove", person=spouse, reason="迁出本地")
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="迁出", data=_facts(household),
             on=after)  # fmt: skip
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="减员", on=after)
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意减员", on=after)
    assert case.outcome == "completed" and not _current(household, spouse) and "registry_undone" not in case.data


def test_a_removal_that_ends_in_a_stop_is_undone(staff, household_in, dibao_enrolled):  # noqa: F811
    e, after = dibao_enrolled
    household, _head, spouse = household_in
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="member_remove", person=spouse, reason="迁出本地")
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="迁出", data=_facts(household),
             on=after)  # fmt: skip
    case = case_act(user=staff["reviewer"], case=case, action="propose_stop", opinion="收入超过标准",
                    data={"reason": "收入超过标准"}, on=after)  # fmt: skip
    end = case.notices.get().end_date + dt.timedelta(days=1)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=end)
    case = case_act(user=staff["approver"], case=case, action="confirm_stop", opinion="决定终止", on=end)
    assert case.outcome == "terminated" and _current(household, spouse)
    assert case.data["registry_undone"]["action"] == "restored"
