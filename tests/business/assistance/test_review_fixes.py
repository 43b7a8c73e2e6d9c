"""Defects found in the review of issue 13's merge, each with the test that failed before its fix."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from minzheng.engines.benefits.models import Enrollment, EntitlementHold
from minzheng.engines.cases.services import case_act, case_open
from tests.business.assistance.test_roll_changes import _after_notice, dibao_enrolled, staff  # noqa: F401 — fixtures
from tests.conftest import TANGXIA, TANGXIA_VILLAGE
from tests.engines.benefits.test_payroll_holds import _var_dir, roll  # noqa: F401 — fixtures
from tests.engines.cases.test_cases import _materials, investigation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def couple(household_other, make_user, ids):
    """陈志明 (born 1955) and his wife (born 1952), each the other's only supporter, neither able."""
    from minzheng.foundation.registry import services

    household, head = household_other
    registrar = make_user("tx_registrar", ("acceptor", TANGXIA), ("investigator", TANGXIA))
    wife = services.person_create(user=registrar, data={"name": "林秀梅", "id_number": ids(birth=dt.date(1952, 5, 1),
                                  male=False), "hukou_type": "rural", "region_code": TANGXIA_VILLAGE})  # fmt: skip
    services.membership_add(user=registrar, household=household, person=wife, relation="spouse")
    return household, head, wife


def _couple_facts(household, day):
    return investigation(household, day, incomes=[], financial_assets="0",
                         members={0: {"has_able_supporter": False}, 1: {"has_able_supporter": False}})  # fmt: skip


def test_review_of_one_tekun_member_keeps_that_members_own_amount(staff, couple, assistance_standards):  # noqa: F811
    """An elderly couple recognised as 特困 together is enrolled as two persons, each with their own
    amount. A review of one of them must assess that person's own part, not give them the couple's
    total (which would pay the other member twice)."""
    household, head, _wife = couple
    today = timezone.localdate()
    case = case_open(user=staff["acceptor"], case_type="tekun_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept", on=today)
    data = {**_couple_facts(household, today), "adl_not_met": [], "tekun_mode": "dispersed"}
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="老年夫妇", data=data, on=today)
    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合特困", on=today)
    after = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    case.data.setdefault("forms", {})["recheck"] = {"consistent": True}
    case.save(update_fields=["data"])
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意认定", on=after)
    made = [Enrollment.objects.get(number=n) for n in case.data["enrollment_numbers"]]
    assert len(made) == 2 and all(e.persons_covered == 1 for e in made)
    own = {e.person_id: e.monthly_amount for e in made}
    total = sum(own.values(), Decimal(0))

    from minzheng.business.assistance.roll import roll_case_open

    e = next(x for x in made if x.person_id == head.pk)
    review = roll_case_open(user=staff["reviewer"], enrollment=e, kind="review")
    case_act(user=staff["investigator"], case=review, action="investigate_done", opinion="入户复核",
             data=_couple_facts(household, today), on=after)  # fmt: skip
    case_act(user=staff["reviewer"], case=review, action="first_review_done", opinion="审核", on=after)
    case_act(user=staff["approver"], case=review, action="confirm_keep", opinion="同意", on=after)
    e.refresh_from_db()
    assert e.monthly_amount == own[head.pk], f"复核后 {e.monthly_amount}，本人应为 {own[head.pk]}，两人合计 {total}"
    assert e.reviews.get().outcome == "unchanged"


def test_tekun_member_beside_a_family_is_recognised_by_the_tekun_case(staff, couple, assistance_standards):  # noqa: F811
    """assess tests 特困 member by member and assesses the rest as a family beside them (its
    classification is the rest's). A 特困 application must then recognise the 特困 member — before
    the fix its approval was refused ("测算结果为「低保」，不符合本事项的批准条件") and the 公示 showed
    the family's 低保 amount as the 特困 amount."""
    household, head, _wife = couple
    today = timezone.localdate()
    case = case_open(user=staff["acceptor"], case_type="tekun_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept", on=today)
    facts = investigation(household, today, incomes=[(1, "wages", "30000")], financial_assets="0",
                          members={0: {"has_able_supporter": False}, 1: {"has_able_supporter": True}})  # fmt: skip
    data = {**facts, "adl_not_met": [], "tekun_mode": "dispersed"}
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="户主特困", data=data, on=today)
    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合特困", on=today)
    tekun = case.data["assessment"]["tekun_members"]
    assert [t["member"] for t in tekun] == [0]
    assert case.data["amount"] == tekun[0]["amount"] and case.data["persons"] == 1
    after = _after_notice(case)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    case.data.setdefault("forms", {})["recheck"] = {"consistent": True}
    case.save(update_fields=["data"])
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意认定", on=after)
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert e.person_id == head.pk and e.persons_covered == 1
    assert e.monthly_amount == Decimal(tekun[0]["amount"])
    assert "enrollment_numbers" not in case.data


@pytest.mark.parametrize("kind", ["change_decision", "stop_decision"])
def test_roll_decisions_are_numbered_in_the_series_of_the_office_that_issues_them(
    staff,  # noqa: F811
    household_in,
    household_other,
    kind,
):
    """保障变更决定书 and 终止救助决定书 are issued by the county (unless delegated): their 文号 must
    come from the county's series, so two townships' decisions of one county never share a 文号
    (item 24). Before the fix they were numbered in each township's series: both 〔year〕1号."""
    from minzheng.engines.cases.services import document_generate

    cases = []
    for household, head in ((household_in[0], household_in[1]), household_other):
        c = case_open(user=staff["reviewer"], case_type="assistance_stop", region_code="", household=household,
                      applicant=head, channel="office")  # fmt: skip
        assert not c.delegated
        cases.append(c)
    docs = [document_generate(case=c, kind=kind) for c in cases]
    assert docs[0].number != docs[1].number, [d.number for d in docs]


def test_first_aid_file_is_not_completed_without_the_members_own_paper_authorisation(
    make_user, household_in, assistance_standards
):
    """先行救助 pays before 受理; the file is completed afterwards (补齐手续). A 授权书 signed online in
    a member's place (代为签署, ``data["paper_signatures"]``) must be backed by the member's own paper
    before the file counts as complete — before the fix the guard stood only on 受理, which the
    先行救助 path never passes."""
    from minzheng.engines.cases.services import material_add
    from minzheng.foundation.validation import Refused
    from tests.conftest import ANYANG
    from tests.engines.cases.test_cases import _pdf

    acceptor = make_user("fa_acceptor", ("acceptor", ANYANG))
    household, head, spouse = household_in
    case = case_open(user=acceptor, case_type="temp_emergency", region_code="", household=household, applicant=head,
                     data={"paper_signatures": [{"person_id": spouse.pk, "name": spouse.name, "code": "authorisation"}]})  # fmt: skip
    case = case_act(user=acceptor, case=case, action="assist_first", opinion="火灾后先行救助",
                    data={"event": "住房火灾", "event_date": timezone.localdate().isoformat(), "amount": "1000",
                          "pay_method": "cash", "receipt_no": "LK-0009"})  # fmt: skip
    _materials({"acceptor": acceptor}, case, codes=["application", "authorisation"])
    with pytest.raises(Refused, match=spouse.name):
        case_act(user=acceptor, case=case, action="file_completed")
    material_add(user=acceptor, case=case, code="authorisation", data=_pdf("书面授权书"), name="授权书.pdf",
                 person=spouse)  # fmt: skip
    case = case_act(user=acceptor, case=case, action="file_completed")
    assert case.step == "first_aid_review"


def test_a_members_death_stays_held_while_the_member_change_case_runs(make_user, household_in, roll):  # noqa: F811
    """The line of a household whose counted member is recorded dead is held until the 增减员 case
    decides the new amount. 发起变更 (减员) ends the membership in the registry at once; before the
    fix that alone dropped the hold, so the line was paid at the old amount while the case ran."""
    from minzheng.business.assistance.roll import roll_case_open
    from minzheng.engines.benefits import payroll
    from tests.conftest import ANYANG, RUIAN
    from tests.engines.benefits.test_payroll_holds import died, load, status_by_name, this_month

    _, _, plain = roll
    _, _, spouse = household_in
    month = this_month()
    death = month - dt.timedelta(days=40)
    load("cremation", [died("李秀英", plain, death, "cremation")])
    maker = make_user("rv_finance", ("finance", RUIAN))
    payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert status_by_name()["王建国"] == "held"

    township = make_user("rv_acceptor", ("acceptor", ANYANG), ("reviewer", ANYANG))
    case = roll_case_open(user=township, enrollment=roll[0], kind="member_remove", person=spouse, reason="death",
                          death_date=death)  # fmt: skip
    assert not household_in[0].memberships.filter(person=spouse, valid_to__isnull=True).exists()
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert status_by_name()["王建国"] == "held", "减员办件未决定前按原金额发放了"
    (hold,) = EntitlementHold.objects.filter(cycle=cycle)
    assert case.number in hold.reason and "李秀英" in hold.reason


def test_a_released_hold_is_held_again_when_new_evidence_changes_its_reason(make_user, household_in, roll):  # noqa: F811
    """A finance officer releases a hold on what they checked (e.g. the police record was wrong). If
    a recalculation finds further evidence for the same person (a cremation record as well), the
    release no longer covers it: the line is held again. Before the fix the release stood and only
    the reason's text was replaced, so the line was paid on a release given for other evidence."""
    from minzheng.engines.benefits import payroll
    from tests.conftest import RUIAN
    from tests.engines.benefits.test_payroll_holds import died, load, status_by_name, this_month

    _, _, plain = roll
    month = this_month()
    maker = make_user("rv_finance2", ("finance", RUIAN))
    load("death", [died("陈志明", plain, month - dt.timedelta(days=3))])
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=month)
    line = payroll.payroll_hold_release(user=maker, cycle=cycle, line_no=2, reason="经入户核实本人健在，死亡登记有误")
    assert line.status == "pending"
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert status_by_name()["陈志明"] == "pending"  # the same evidence: the release stands
    load("cremation", [died("陈志明", plain, month - dt.timedelta(days=3), "cremation")])
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert status_by_name()["陈志明"] == "held" and cycle.held_lines == 1
    hold = EntitlementHold.objects.get(cycle=cycle)
    assert "殡葬火化记录" in hold.reason and hold.released_at is None


def test_head_died_the_successor_enrollment_is_paid_what_the_case_assessed(staff, household_in, dibao_enrolled):  # noqa: F811
    """户主变更 (the head died): the case investigates the household as it now is (the dead head not
    counted) and the county decides on that assessment. Before the fix the successor enrollment kept
    the old family amount with one person fewer — paying the dead head's share on."""
    from minzheng.business.assistance.casework import case_assess
    from minzheng.business.assistance.roll import roll_case_open

    e, after = dibao_enrolled
    household, _head, spouse = household_in
    old_amount = e.monthly_amount
    case = roll_case_open(user=staff["reviewer"], enrollment=e, kind="head_change", person=spouse)
    facts = investigation(household, timezone.localdate(), incomes=[],
                          members={0: {"counted": False, "not_counted_reason": "deceased"}})  # fmt: skip
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="户主去世", data=facts, on=after)
    case_act(user=staff["reviewer"], case=case, action="first_review_done", opinion="接续", on=after)
    case = case_act(user=staff["approver"], case=case, action="confirm_keep", opinion="同意接续", on=after)
    new = e.successors.get()
    expected = case_assess(case, after)
    assert expected["counted_members"] == 1
    assert (new.persons_covered, new.monthly_amount) == (1, Decimal(expected["monthly_amount"])), (
        f"接续后 {new.persons_covered} 人 {new.monthly_amount} 元（原 {old_amount} 元），测算 {expected['monthly_amount']} 元"
    )
    assert case.data["decision"]["amount"] == expected["monthly_amount"]


def test_a_typed_member_gets_no_sms_unless_name_and_id_match_the_registry(household_in, ids, anyang_user,
                                                                          assistance_standards):  # fmt: skip
    """A member typed on the portal (not in the registry household) is a name and an ID number the
    applicant wrote. Before the fix the ID number alone chose the registry person whose phone got
    the 授权 code: anyone could show the masked phone of any registered person by their ID number,
    send them SMS, and use up their sign-in code quota. The phone is used only when the typed name
    is the registry's name for that ID number."""
    from minzheng.foundation.notify.models import Message
    from minzheng.foundation.notify.services import phone_index_of
    from minzheng.foundation.registry import services as registry
    from tests.conftest import TANGXIA_VILLAGE
    from tests.sites.portal.test_portal_apply import _fill, _start, make_citizen, signed_in

    stranger = registry.person_create(user=None, data={"name": "赵敏", "id_number": ids(), "hukou_type": "rural",
                                                       "region_code": TANGXIA_VILLAGE, "phone": "13912344321"})  # fmt: skip
    _household, _head, spouse = household_in
    citizen = make_citizen(spouse.name, spouse.id_number, person=spouse, phone="13600000000")
    client = signed_in(citizen)
    draft = _start(client, citizen)
    r = client.post(f"/portal/apply/{draft.pk}/household/",
                    {"action": "add", "name": "张三", "id_number": stranger.id_number, "relation": "other"})  # fmt: skip
    assert r.status_code == 302
    _fill(client, draft, ids, child=False)
    index = 2  # head, spouse, the typed member
    page = client.get(f"/portal/apply/{draft.pk}/sign/").content.decode()
    assert "139****4321" not in page
    client.post(f"/portal/apply/{draft.pk}/sign/{index}/code/")
    assert not Message.objects.filter(phone_index=phone_index_of("13912344321")).exists()


def test_own_result_of_a_single_person_enrollment_takes_that_members_components():
    """单人户 members are enrolled one by one (casework._enrol); a review of one of them decides that
    member's gap and 分类施保, and a member no longer qualifying alone in an 边缘 family is 渐退's case."""
    from types import SimpleNamespace

    from minzheng.business.assistance.roll import own_result

    case = SimpleNamespace(data={"evidence": [{"household_facts": {"members": [{"person_id": 7}, {"person_id": 9}]}}]})
    result = {
        "classification": "dibao_single_person", "monthly_amount": "1400.00", "counted_members": 2,
        "components": [{"item": "gap", "member": 0, "amount": "600.00"},
                       {"item": "category_topup", "member": 0, "amount": "100.00"},
                       {"item": "gap", "member": 1, "amount": "600.00"},
                       {"item": "category_topup", "member": 1, "amount": "100.00"}],
    }  # fmt: skip
    mine = own_result(case, SimpleNamespace(person_id=9, program_id="dibao"), result)
    assert (mine["monthly_amount"], mine["counted_members"]) == ("700.00", 1)
    assert {c["member"] for c in mine["components"]} == {1}
    household = SimpleNamespace(person_id=None, program_id="dibao")
    assert own_result(case, household, result) is result
    only_first = {**result, "components": result["components"][:2]}
    assert own_result(case, SimpleNamespace(person_id=9, program_id="dibao"), only_first)["classification"] == (
        "dibao_edge"
    )
