"""Issue 13, items 10, 12 and 13: the investigation records the assessment's own facts per member,
the case keeps them as its evidence snapshot (versioned), every assessment of the case is made from
that snapshot with the same ``assess()`` as ``minzheng assess``, the enrolment follows the
assessment, and the documents name the members and their own incomes by kind."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.business.assistance.assessment import assessment_run
from minzheng.business.assistance.models import HouseholdMeans
from minzheng.business.assistance.schemas import NOT_COUNTED_REASONS, AssessmentIn, HouseholdFactsIn
from minzheng.business.assistance.services import household_means_save
from minzheng.engines.benefits.models import Enrollment
from minzheng.engines.cases.models import CaseDocument
from minzheng.engines.cases.services import case_act, case_open
from minzheng.foundation.documents.text import pdf_text
from minzheng.foundation.files.services import file_open
from minzheng.foundation.registry import services as registry
from tests.conftest import ANYANG, ANYANG_VILLAGE, PASSWORD
from tests.engines.cases import test_cases
from tests.engines.cases.test_cases import _materials, household_facts, investigation

pytestmark = pytest.mark.django_db


# the staff and media folder of the case tests
_media, staff = test_cases._media, test_cases.staff


def _household(staff, ids, people, hukou="urban"):
    """``people``: [(name, birth date, male)]; the first is the head."""
    made = [
        registry.person_create(
            user=staff["acceptor"],
            data={"name": name, "id_number": ids(birth=born, male=male), "hukou_type": hukou,
                  "region_code": ANYANG_VILLAGE},
        )
        for name, born, male in people
    ]  # fmt: skip
    h = registry.household_create(
        user=staff["acceptor"], data={"region_code": ANYANG_VILLAGE, "hukou_type": hukou, "address": "安阳路3号"},
        head=made[0],
    )  # fmt: skip
    for p in made[1:]:
        registry.membership_add(user=staff["acceptor"], household=h, person=p, relation="other")
    return h, made


def _accepted(staff, household, case_type="dibao_application", applicant=None):
    case = case_open(user=staff["acceptor"], case_type=case_type, region_code="", household=household,
                     applicant=applicant or household.head)  # fmt: skip
    _materials(staff, case)
    return case_act(user=staff["acceptor"], case=case, action="accept")


def _to_confirm(staff, case, day, data):
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="入户核实", data=data, on=day)
    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合条件", on=day)
    after = case.notices.get().end_date + dt.timedelta(days=1)
    return case_act(user=staff["reviewer"], case=case, action="notice_done", on=after), after


def test_the_facts_schema_is_the_assess_request_without_region_day_and_standards():
    """The contract: the case path takes exactly what ``minzheng assess`` takes, less what the case
    has (region, hukou type), the day and what-if values."""
    assert set(HouseholdFactsIn.model_fields) == set(AssessmentIn.model_fields) - {
        "region_code", "hukou_type", "as_of", "standards", "temp_assistance",
    }  # fmt: skip
    for name in HouseholdFactsIn.model_fields:
        assert HouseholdFactsIn.model_fields[name].annotation == AssessmentIn.model_fields[name].annotation


def test_not_counted_members_and_their_reasons_decide_the_amount(staff, ids, assistance_standards):
    """A son in prison is not counted and his income is not the family's; before, every registry
    member was counted and the household totals sat on the head."""
    today = timezone.localdate()
    h, _ = _household(staff, ids, [("周秀兰", dt.date(1958, 4, 2), False), ("周强", dt.date(1985, 6, 1), True)])
    case = _accepted(staff, h)
    data = investigation(h, today, incomes=[(0, "basic_pension", "2400"), (1, "wages", "30000")], financial_assets="0",
                         members={1: {"counted": False, "not_counted_reason": "imprisoned"}})  # fmt: skip
    case = case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="其子服刑", data=data)
    a = case.data["assessment"]
    assert a["counted_members"] == 1
    assert any("不计入：周强（服刑）" in line for line in a["explanation"])
    assert a == {**assessment_run(AssessmentIn(region_code=ANYANG_VILLAGE, hukou_type="urban", as_of=today,
                                               **data["household_facts"])), "facts_revision": 1}  # fmt: skip
    snapshot = case.data["evidence"][0]
    assert snapshot["recorded_by"] == "sl_investigator" and snapshot["visit_date"] == today.isoformat()
    assert snapshot["household_facts"]["members"][0]["name"] == "周秀兰"
    assert "id_number" not in str(snapshot) or snapshot["household_facts"]["members"][0]["id_number"] is None
    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合条件")
    assert case.notices.get().content["persons"] == 1  # the 公示 shows who is covered, not the registry


def test_bad_facts_are_refused_all_at_once_in_chinese(staff, ids, household_in, assistance_standards):
    today = timezone.localdate()
    h, _ = _household(staff, ids, [("郑红", dt.date(1960, 1, 1), False), ("郑明", dt.date(1990, 1, 1), True)])
    case = _accepted(staff, h)
    stranger = household_in[1]  # a person of another household
    data = investigation(h, today, members={1: {"counted": False}})
    with pytest.raises(ValidationError) as exc:
        case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="x", data=data)
    assert "郑明：不计入家庭人口的，须选择原因" in str(exc.value)

    data = investigation(h, today)
    data["household_facts"]["members"][1] = {
        "person_id": stranger.pk, "name": stranger.name, "birth_date": stranger.birth_date.isoformat(),
    }  # fmt: skip
    data["household_facts"]["members"][0]["birth_date"] = "1961-01-01"
    with pytest.raises(ValidationError) as exc:
        case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="x", data=data)
    text = " ".join(exc.value.messages)
    assert "第 2 名成员（王建国）不是该家庭的现有成员" in text
    assert "郑红的出生日期 1961-01-01 与户籍登记的 1960-01-01 不一致" in text
    assert "家庭成员郑明未列入调查" in text
    case.refresh_from_db()
    assert case.step == "investigate" and "evidence" not in case.data


def test_the_amount_approved_is_the_one_of_the_investigation_not_of_a_later_assessment(
    staff, household_in, assistance_standards
):
    """Before: a 测算 of the same household saved after the notice changed the approved amount."""
    today = timezone.localdate()
    household, *_ = household_in
    case = _accepted(staff, household)
    case, after = _to_confirm(staff, case, today, investigation(household, today))
    shown = case.notices.get().content["amount"]
    later = AssessmentIn.model_validate({
        "region_code": ANYANG_VILLAGE, "hukou_type": "urban", "as_of": today.isoformat(),
        "members": [{"birth_date": "1970-05-17"}], "incomes": [{"member": 0, "kind": "wages", "annual_amount": "20000"}],
    })  # fmt: skip
    household_means_save(user=None, household=household, request=later)
    assert HouseholdMeans.objects.get(household=household).wages_annual == 20000
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert str(e.monthly_amount) == shown == case.data["assessment"]["monthly_amount"]


def test_a_new_investigation_appends_a_revision(staff, household_in, assistance_standards):
    today = timezone.localdate()
    household, *_ = household_in
    case = _accepted(staff, household)
    case = case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="初次", on=today,
                    data=investigation(household, today))  # fmt: skip
    first = case.data["assessment"]["monthly_amount"]
    case_act(user=staff["reviewer"], case=case, action="back_to_investigate", opinion="收入需再核实", on=today)
    case = case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="再次入户", on=today,
                    data=investigation(household, today, incomes=[(0, "wages", "12000")]))  # fmt: skip
    revisions = case.data["evidence"]
    assert [r["revision"] for r in revisions] == [1, 2]
    assert revisions[0]["household_facts"]["incomes"][0]["annual_amount"] == "6000"
    assert revisions[1]["household_facts"]["incomes"][0]["annual_amount"] == "12000"
    assert case.data["assessment"]["facts_revision"] == 2 and case.data["assessment"]["monthly_amount"] != first


def test_single_person_result_enrols_the_member_who_qualified(staff, ids, assistance_standards):
    """A 低保边缘 family whose disabled daughter is covered 参照单人户: she is enrolled as one
    person, not the applicant (her father) and not the family."""
    today = timezone.localdate()
    h, (_father, daughter) = _household(staff, ids, [("吴国平", dt.date(1968, 3, 3), True),
                                                     ("吴小燕", dt.date(1996, 8, 8), False)])  # fmt: skip
    case = _accepted(staff, h)
    data = investigation(h, today, incomes=[(0, "wages", "36000")], financial_assets="0",
                         members={1: {"disability_kind": "limb", "disability_grade": 1, "self_care": "partial"}})  # fmt: skip
    case, after = _to_confirm(staff, case, today, data)
    assert case.data["assessment"]["classification"] == "dibao_single_person"
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert e.person == daughter and e.persons_covered == 1
    assert e.monthly_amount == Decimal(case.data["assessment"]["monthly_amount"])


def test_tekun_enrols_the_person_with_the_mode_chosen(staff, ids, assistance_standards):
    """The 供养方式 the facts carry (集中) is the one assessed and the one on the roll; 基础养老金
    and 高龄津贴 are named as such, not as 政府救助款物."""
    today = timezone.localdate()
    h, (old,) = _household(staff, ids, [("钱阿婆", dt.date(1940, 2, 2), False)])
    case = _accepted(staff, h, case_type="tekun_application")
    data = {**investigation(h, today, incomes=[(0, "basic_pension", "1800"), (0, "longevity_allowance", "600")],
                            financial_assets="0", members={0: {"has_able_supporter": False}},
                            tekun_mode="centralised"),
            "adl_not_met": []}  # fmt: skip
    case, after = _to_confirm(staff, case, today, data)
    assert case.data["assessment"]["classification"] == "tekun"
    assert case.data["assessment"]["tekun_mode"] == "centralised"
    case = case_act(user=staff["approver"], case=case, action="recheck", opinion="复查属实", on=after,
                    data={"rechecked_by": "县民政局 郑伟", "recheck_date": after.isoformat(), "consistent": True})  # fmt: skip
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意认定", on=after)
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert e.person == old and e.mode == "centralised" and e.persons_covered == 1
    review = pdf_text(file_open(case.documents.get(kind="review_form").file), compact=True)
    assert "城乡居民基础养老金1,800.00（不计入）" in review and "高龄津贴600.00（不计入）" in review
    assert "政府救助款物" not in review
    decision = pdf_text(file_open(case.documents.get(kind="approval_decision").file), compact=True)
    assert "集中供养" in decision and "钱阿婆" in decision


def test_documents_name_members_once_per_decision_with_every_step(staff, ids, assistance_standards):
    """Item 10: the 审核确认表 is made once, at the decision; it names every member with their own
    income by kind (farm income is 经营净收入) and lists every step taken, with or without opinion."""
    today = timezone.localdate()
    h, _ = _household(staff, ids, [("孙大山", dt.date(1966, 1, 1), True), ("孙二妹", dt.date(1970, 2, 2), False)],
                      hukou="rural")  # fmt: skip
    case = _accepted(staff, h)
    data = investigation(h, today, incomes=[(0, "business", "4800"), (1, "assistance", "600")])
    case, after = _to_confirm(staff, case, today, data)
    assert not case.spec.step("confirm").documents  # nothing to print before the decision
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    assert CaseDocument.objects.filter(case=case, kind="review_form").count() == 1
    review = pdf_text(file_open(case.documents.get(kind="review_form").file), compact=True)
    assert "孙大山" in review and "孙二妹" in review and "成员1" not in review
    assert "经营净收入4,800.00" in review and "政府救助款物600.00（不计入）" in review
    for step in ("受理", "调查完毕", "初审通过，公示", "公示期满无异议，报审核确认", "审核确认，批准"):
        assert step in review
    form = pdf_text(file_open(case.documents.get(kind="investigation_form").file), compact=True)
    assert "孙二妹" in form and "经营净收入" in form


@pytest.fixture
def api(make_user):
    make_user("f_api_investigator", ("investigator", ANYANG))
    c = Client()
    r = c.post("/api/v1/auth/token", {"username": "f_api_investigator", "password": PASSWORD},
               content_type="application/json")  # fmt: skip
    c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {r.json()['token']}"
    return c


INCOME_KINDS = ["wages", "business", "property", "transfer", "basic_pension", "special_care_pension", "assistance",
                "longevity_allowance", "award"]  # fmt: skip
money = st.decimals(min_value=0, max_value=60000, places=2).map(str)


@st.composite
def households(draw):
    n = draw(st.integers(1, 4))
    people = [
        (f"成员{chr(0x4E00 + i)}", draw(st.dates(dt.date(1935, 1, 1), dt.date(2020, 12, 31))), draw(st.booleans()))
        for i in range(n)
    ]
    members = {}
    for i in range(n):
        m = {}
        if i and draw(st.integers(0, 3)) == 0:
            m["counted"] = False
            m["not_counted_reason"] = draw(st.sampled_from(sorted(NOT_COUNTED_REASONS)))
        if draw(st.integers(0, 3)) == 0:
            m["disability_kind"] = draw(st.sampled_from(["limb", "visual", "intellectual", "mental", "multiple"]))
            m["disability_grade"] = draw(st.integers(1, 4))
        m["serious_illness"] = draw(st.booleans())
        m["self_care"] = draw(st.sampled_from(["full", "partial", "none"]))
        m["labour_capacity"] = draw(st.sampled_from([None, True, False]))
        m["has_able_supporter"] = draw(st.sampled_from([None, True, False]))
        members[i] = m
    incomes = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(INCOME_KINDS), money), max_size=5))
    expenses = draw(st.lists(st.tuples(st.sampled_from(["medical", "education", "rehabilitation"]), money), max_size=2))
    prop = {"financial_assets": draw(st.sampled_from(["0", "5000", "200000"])), "houses": draw(st.integers(0, 2))}
    return {"people": people, "hukou": draw(st.sampled_from(["urban", "rural"])), "members": members,
            "incomes": incomes, "expenses": expenses, "property": prop,
            "tekun_mode": draw(st.sampled_from(["dispersed", "centralised"]))}  # fmt: skip


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])  # fmt: skip
@given(hh=households())
def test_the_case_path_assesses_what_minzheng_assess_answers(
    staff, ids, api, assistance_standards, hh, tmp_path, capsys
):
    """The contract of issue 13: random households through ``POST …/transitions`` and through
    ``minzheng assess`` (the command, on the JSON it takes) on the same facts and day give the same
    classification and amount (and, against ``assess()``, the same explanation)."""
    import json

    from django.core.management import call_command

    today = timezone.localdate()
    h, _ = _household(staff, ids, hh["people"], hukou=hh["hukou"])
    case = _accepted(staff, h)
    facts = household_facts(h, incomes=hh["incomes"], expenses=hh["expenses"], members=hh["members"],
                            financial_assets=hh["property"]["financial_assets"], houses=hh["property"]["houses"],
                            tekun_mode=hh["tekun_mode"])  # fmt: skip
    body = {"action": "investigate_done", "opinion": "入户核实",
            "data": {"household_facts": facts, "investigators": ["周明", "吴芳"], "visit_date": today.isoformat(),
                     "findings": "入户查看家庭成员和收入情况。"}}  # fmt: skip
    r = api.post(f"/api/v1/cases/{case.number}/transitions", body, content_type="application/json")
    assert r.status_code == 200, r.content
    got = api.get(f"/api/v1/cases/{case.number}").json()["assessment"]
    expected = assessment_run(AssessmentIn(region_code=ANYANG_VILLAGE, hukou_type=hh["hukou"], as_of=today, **facts))
    assert (got["classification"], got["monthly_amount"]) == (expected["classification"], expected["monthly_amount"])
    assert {k: v for k, v in got.items() if k != "facts_revision"} == expected
    # the command line, on the very JSON posted plus region, hukou type and day
    request = {"region_code": ANYANG_VILLAGE, "hukou_type": hh["hukou"], "as_of": today.isoformat(), **facts}
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    call_command("assess", "--json", str(path))
    cli = json.loads(capsys.readouterr().out)
    assert (cli["classification"], cli["monthly_amount"]) == (got["classification"], got["monthly_amount"])
    assert cli["explanation"] == got["explanation"]


def test_the_workbench_form_records_the_same_facts_and_shows_every_error_at_once(staff, ids, assistance_standards):
    """The investigator's page: a row per member (counted or not with the reason, condition), a row
    per member of own incomes by kind, expenses and property; all mistakes reported together in
    Chinese, nothing recorded; then the same facts the API would take."""
    from tests.sites.workbench.test_workbench_cases import _act, client_for

    today = timezone.localdate()
    h, _ = _household(
        staff, ids, [("冯建华", dt.date(1972, 7, 7), True), ("冯涛", dt.date(1998, 9, 9), True),
                     ("冯老太", dt.date(1936, 3, 3), False)],
    )  # fmt: skip
    case = _accepted(staff, h)
    web = client_for(staff["investigator"])
    page = web.get(f"/cases/{case.number}/").content.decode()
    for text in ("冯涛", "不计入：宗教教职人员离家3年以上", "不计入：户籍在此但不共同生活", "城乡居民基础养老金（不计入）",
                 "经营净收入", "高龄津贴", 'name="investigate_done-m2_self_care"'):  # fmt: skip
        assert text in page, text
    # 温州 counts 高龄津贴 as 低保 income (the nationwide rule): the form says so as the assessment does
    assert "高龄津贴（不计入）" not in page
    post = {
        "investigators": "周明", "visit_date": today.isoformat(), "findings": "好",
        "m0_counted": "counted", "m0_self_care": "full", "m0_inc_business": "-300",
        "m1_counted": "imprisoned", "m1_self_care": "full", "m1_inc_wages": "24000",
        "m2_counted": "counted", "m2_self_care": "partial", "m2_disability_kind": "limb",
        "m2_inc_basic_pension": "2160", "m2_inc_longevity_allowance": "1200",
        "p_financial_assets": "2000", "p_houses": "1",
    }  # fmt: skip
    r = _act(web, case, "investigate_done", "已调查", **post)
    text = r.content.decode()
    assert r.status_code == 422
    for message in (
        "两名及以上工作人员",
        "冯建华 经营净收入：不能为负数",
        "冯老太 残疾类别：残疾类别与残疾等级须同时填写",
    ):
        assert message in text, message
    case.refresh_from_db()
    assert case.step == "investigate" and "evidence" not in case.data

    post.update(investigators="周明、吴芳", findings="其子冯涛服刑中，母亲肢体残疾。", m0_inc_business="4800",
                m2_disability_grade="2")  # fmt: skip
    r = _act(web, case, "investigate_done", "入户核实", **post)
    assert r.status_code == 302, r.content.decode()[:2000]
    case.refresh_from_db()
    facts = case.data["evidence"][-1]["household_facts"]
    assert [(m["name"], m["counted"], m["not_counted_reason"]) for m in facts["members"]] == [
        ("冯建华", True, None), ("冯涛", False, "imprisoned"), ("冯老太", True, None)]  # fmt: skip
    assert {(x["member"], x["kind"], x["annual_amount"]) for x in facts["incomes"]} == {
        (0, "business", "4800"), (1, "wages", "24000"), (2, "basic_pension", "2160"),
        (2, "longevity_allowance", "1200")}  # fmt: skip
    expected = assessment_run(AssessmentIn(region_code=ANYANG_VILLAGE, hukou_type="urban", as_of=today, **facts))
    assert case.data["assessment"]["monthly_amount"] == expected["monthly_amount"]
    assert case.data["assessment"]["counted_members"] == 2
    page = web.get(f"/cases/{case.number}/").content.decode()
    assert "不计入：冯涛（服刑）" in page  # the timeline's summary of the facts


def test_a_review_starts_from_the_last_investigation_and_assesses_its_own(staff, household_in, assistance_standards):
    """The roll review shares the investigation form: the page is prefilled from the application's
    facts, and the review's outcome is assessed from the review's own snapshot."""
    from tests.sites.workbench.test_workbench_cases import _act, client_for

    today = timezone.localdate()
    household, head, _ = household_in
    case = _accepted(staff, household)
    case, after = _to_confirm(staff, case, today, investigation(household, today))
    case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    review = case_open(user=staff["reviewer"], case_type="assistance_review", region_code="", household=household,
                       applicant=head, channel="office")  # fmt: skip
    web = client_for(staff["investigator"])
    page = web.get(f"/cases/{review.number}/").content.decode()
    assert 'name="investigate_done-m0_inc_wages" value="6000"' in page
    post = {"investigators": "周明、吴芳", "visit_date": today.isoformat(), "findings": "户主收入增加，已稳定就业。",
            "m0_counted": "counted", "m0_self_care": "full", "m0_inc_wages": "9600",
            "m1_counted": "counted", "m1_self_care": "full", "p_financial_assets": "3000", "p_houses": "1"}  # fmt: skip
    assert _act(web, review, "investigate_done", "复核入户", **post).status_code == 302
    review.refresh_from_db()
    assert review.data["evidence"][0]["household_facts"]["incomes"] == [
        {"member": 0, "kind": "wages", "annual_amount": "9600"}
    ]
    case_act(user=staff["reviewer"], case=review, action="first_review_done", opinion="调整", on=after)
    review = case_act(user=staff["approver"], case=review, action="confirm_keep", opinion="同意", on=after)
    e = Enrollment.objects.get(number=review.data["enrollment_number"])
    facts = review.data["evidence"][-1]["household_facts"]
    expected = assessment_run(AssessmentIn(region_code=ANYANG_VILLAGE, hukou_type="urban", as_of=after, **facts))
    assert str(e.last_event.monthly_amount) == expected["monthly_amount"] == review.data["assessment"]["monthly_amount"]


def test_minzheng_assess_takes_the_case_snapshot_as_it_is(staff, ids, assistance_standards, tmp_path, capsys):
    """An auditor re-runs ``minzheng assess`` on the stored facts (plus region, hukou type, day)
    and gets the case's classification and amount."""
    import json

    from django.core.management import call_command

    today = timezone.localdate()
    h, _ = _household(staff, ids, [("陶春花", dt.date(1950, 5, 5), False), ("陶军", dt.date(1980, 1, 1), True)])
    case = _accepted(staff, h)
    data = investigation(h, today, incomes=[(0, "transfer", "3000"), (1, "wages", "40000")],
                         members={1: {"counted": False, "not_counted_reason": "religious_away"}})  # fmt: skip
    case = case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="入户", data=data)
    revision = case.data["evidence"][-1]
    request = {"region_code": revision["region_code"], "hukou_type": revision["hukou_type"],
               "as_of": today.isoformat(), **revision["household_facts"]}  # fmt: skip
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    call_command("assess", "--json", str(path))
    out = json.loads(capsys.readouterr().out)
    a = case.data["assessment"]
    assert (out["classification"], out["monthly_amount"]) == (a["classification"], a["monthly_amount"])
    assert out["counted_members"] == 1


def test_the_mode_chosen_on_the_form_is_the_one_assessed_and_enrolled(staff, ids, assistance_standards, monkeypatch):
    """When the 特困 investigation form carries the 集中/分散 choice (``tekun_mode``), that choice
    goes into the facts, the assessment and the roll."""
    from typing import Literal

    from minzheng.business.assistance.casework import SelfCareForm
    from minzheng.engines.cases import hooks

    class WithMode(SelfCareForm):
        tekun_mode: Literal["dispersed", "centralised"] = "dispersed"

    with hooks.FORMS.temporarily("assistance.selfcare", WithMode):  # the registry refuses a plain overwrite
        today = timezone.localdate()
        h, (old,) = _household(staff, ids, [("卢阿公", dt.date(1938, 8, 8), True)])
        case = _accepted(staff, h, case_type="tekun_application")
        data = {**investigation(h, today, incomes=[], financial_assets="0", members={0: {"has_able_supporter": False}}),
                "adl_not_met": ["洗澡"], "tekun_mode": "centralised"}  # fmt: skip
        case, after = _to_confirm(staff, case, today, data)
        assert case.data["evidence"][-1]["household_facts"]["tekun_mode"] == "centralised"
        assert case.data["evidence"][-1]["household_facts"]["members"][0]["self_care"] == "partial"
        monkeypatch.setattr("minzheng.business.assistance.casework.recheck_selected", lambda number, share: False)
        case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意认定", on=after)
        e = Enrollment.objects.get(number=case.data["enrollment_number"])
        assert (e.person, e.mode, e.classification) == (old, "centralised", "tekun")


@pytest.mark.parametrize("case_type", ["tekun_application", "dibao_application"])
def test_a_member_recognised_as_tekun_beside_the_family_is_enrolled_by_the_tekun_item_only(
    staff, ids, assistance_standards, case_type
):
    """Item 13 with item 14's member-by-member 特困 test: a grandmother without labour capacity or
    an able supporter is 特困 on her own while her son is assessed as a family of his own. A 特困
    case enrols her, as one person with her own support; a 低保 case enrols the son's family only and
    says that she needs the 特困 procedure (never folds her support into the family's amount)."""
    today = timezone.localdate()
    h, (son, grandma) = _household(
        staff, ids, [("周建华", dt.date(1975, 3, 3), True), ("周老太", dt.date(1938, 4, 4), False)]
    )
    case = _accepted(staff, h, case_type=case_type, applicant=grandma if case_type == "tekun_application" else son)
    data = investigation(h, today, incomes=[(0, "wages", "3600")], financial_assets="0",
                         members={0: {"labour_capacity": True},
                                  1: {"labour_capacity": False, "has_able_supporter": False, "relation": "parent"}})  # fmt: skip
    if case_type == "tekun_application":
        data = {**data, "adl_not_met": [], "tekun_mode": "dispersed"}
    case, after = _to_confirm(staff, case, today, data)
    result = case.data["assessment"]
    assert [t["name"] for t in result["tekun_members"]] == ["周老太"]
    if case_type == "tekun_application":  # the item's result (公示, confirmation) is her own part
        assert result["classification"] == "tekun" and result["monthly_amount"] == result["tekun_amount"]
    else:  # the son is assessed apart
        assert result["classification"] != "tekun"
    if case_type == "tekun_application":
        case = case_act(user=staff["approver"], case=case, action="recheck", opinion="复查属实", on=after,
                        data={"rechecked_by": "县民政局 郑伟", "recheck_date": after.isoformat(), "consistent": True})  # fmt: skip
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="同意", on=after)
    made = Enrollment.objects.filter(source_case=case.number)
    if case_type == "tekun_application":
        (e,) = made
        assert e.program_id == "tekun" and e.person == grandma and e.persons_covered == 1
        assert e.monthly_amount == Decimal(result["tekun_amount"])
    else:
        (e,) = made
        assert e.program_id == "dibao" and e.person is None and e.persons_covered == 1
        assert e.monthly_amount == Decimal(result["monthly_amount"])
        assert e.monthly_amount != Decimal(result["monthly_amount"]) + Decimal(result["tekun_amount"])
