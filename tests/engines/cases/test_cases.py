"""Case engine with the 低保 application: from the township window to the county decision and the
roll; refusals explained; materials; public notice and objections; suspension and extension;
scoping of every read."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from minzheng.engines.cases import selectors
from minzheng.engines.cases.models import Case, CaseStatus, NoticeState, PublicNotice, Task, TaskState
from minzheng.engines.cases.services import (
    case_act,
    case_extend,
    case_open,
    case_resume,
    case_suspend,
    material_add,
    objection_file,
    task_claim,
    task_release,
)
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.calendar.services import add_calendar_days, add_working_days
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.documents.text import pdf_text
from minzheng.foundation.money import yuan
from minzheng.foundation.validation import Refused
from tests.conftest import ANYANG, RUIAN, TANGXIA

pytestmark = pytest.mark.django_db

INVESTIGATION = {
    "investigators": ["周明", "吴芳"],
    "visit_date": None,  # filled per test (today)
    "findings": "家中两人，户主灵活就业收入不稳定，配偶无业。",
}


def household_facts(household, *, incomes=None, expenses=(), financial_assets="3000", houses=1, members=None,
                    **extra) -> dict:  # fmt: skip
    """The ``household_facts`` of an investigation of ``household``: every current member (head
    first) counted, with the registry's name and birth date; ``incomes`` as
    ``[(member index, kind, annual amount)]`` (default: the head's wages of 6,000 元 a year);
    ``members`` {index: overrides}."""
    rows = sorted(
        household.memberships.filter(valid_to__isnull=True).select_related("person"),
        key=lambda m: (m.relation != "head", m.person_id),
    )
    out = []
    for i, m in enumerate(rows):
        p = m.person
        member = {"person_id": p.pk, "name": p.name, "birth_date": p.birth_date.isoformat(), "relation": m.relation}
        member.update((members or {}).get(i, {}))
        out.append(member)
    incomes = [(0, "wages", "6000")] if incomes is None else incomes
    return {
        "members": out,
        "incomes": [{"member": i, "kind": k, "annual_amount": str(a)} for i, k, a in incomes],
        "expenses": [{"kind": k, "annual_amount": str(a)} for k, a in expenses],
        "property": {"financial_assets": str(financial_assets), "houses": houses},
        **extra,
    }


def investigation(household, day, **facts) -> dict:
    """The data of ``investigate_done``: two investigators, the visit on ``day``, the facts."""
    return {**INVESTIGATION, "visit_date": day.isoformat(), "household_facts": household_facts(household, **facts)}


REQUIRED = ("application", "authorisation", "means_declaration")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(make_user):
    return {
        "acceptor": make_user("sl_acceptor", ("acceptor", ANYANG)),
        "investigator": make_user("sl_investigator", ("investigator", ANYANG)),
        "reviewer": make_user("sl_reviewer", ("reviewer", ANYANG)),
        "approver": make_user("xj_approver", ("approver", RUIAN)),
        "other": make_user("tx_acceptor", ("acceptor", TANGXIA)),
    }


def _pdf(text="材料") -> bytes:
    return render_pdf(Document(title=text, blocks=[Paragraph(text)]))


def _open(staff, household_in):
    household, head, _ = household_in
    return case_open(user=staff["acceptor"], case_type="dibao_application", region_code="", household=household,
                     applicant=head, channel="window")  # fmt: skip


def _materials(staff, case, codes=REQUIRED):
    for code in codes:
        material_add(user=staff["acceptor"], case=case, code=code, data=_pdf(code), name=f"{code}.pdf")


def _to_notice(staff, case, today):
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept", on=today)
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="入户核实，情况属实",
             data=investigation(case.household, today), on=today)  # fmt: skip
    return case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合低保条件", on=today)


def test_dibao_journey_ends_in_an_enrollment(staff, household_in, assistance_standards):
    from django.utils import timezone

    from minzheng.engines.benefits.models import Enrollment

    today = timezone.localdate()
    case = _open(staff, household_in)
    assert case.number.startswith(f"DB-330381-{today.year}-")
    task = case.tasks.get(state=TaskState.OPEN)
    assert (task.role, task.region_code) == ("acceptor", "330381001000")

    with pytest.raises(Refused, match="缺少：书面申请书"):
        case_act(user=staff["acceptor"], case=case, action="accept")
    assert Case.objects.get(pk=case.pk).step == "apply"

    case = _to_notice(staff, case, today)
    assert case.step == "notice"
    assert case.accepted_on == today and case.due_date == add_working_days(today, 30)
    notice = PublicNotice.objects.get(case=case)
    assert notice.content["name"] == "王*国"
    assert "id" not in str(notice.content).lower()
    assert notice.start_date == add_calendar_days(today, 1) and notice.end_date == add_calendar_days(today, 7)
    task = case.tasks.get(state=TaskState.OPEN)  # not overdue while the notice runs
    assert task.not_before == add_calendar_days(notice.end_date, 1)
    assert task.due_date == add_working_days(notice.end_date, 3)
    amount = case.data["assessment"]["monthly_amount"]
    assert notice.content["amount"] == amount and Decimal(amount) > 0

    with pytest.raises(Refused, match="公示期满后"):
        case_act(user=staff["reviewer"], case=case, action="notice_done", on=notice.end_date)
    after = add_calendar_days(notice.end_date, 1)
    case = case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    task = case.tasks.get(state=TaskState.OPEN)
    assert (task.step, task.role, task.region_code) == ("confirm", "approver", "330381000000")

    with pytest.raises(PermissionDenied):
        case_act(user=staff["reviewer"], case=case, action="approve", opinion="同意")
    case = case_act(user=staff["approver"], case=case, action="approve", opinion="经审核，同意纳入低保", on=after)
    assert (case.step, case.outcome) == ("approved", "approved") and case.closed_at is not None
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert e.monthly_amount == Decimal(case.data["assessment"]["monthly_amount"])
    assert e.start_month == (after.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    assert e.source_case == case.number and e.assessment["classification"] == "dibao"

    kinds = set(case.documents.values_list("kind", flat=True))
    assert {"acceptance_notice", "investigation_form", "review_form", "approval_decision"} <= kinds
    from minzheng.foundation.files.services import file_open

    decision = pdf_text(file_open(case.documents.get(kind="approval_decision").file), compact=True)
    assert "王建国" in decision and e.number in decision and yuan(amount) in decision  # 3,540.00
    steps = list(CaseStatus.objects.filter(case=case).values_list("action", flat=True))
    assert steps == ["open", "accept", "investigate_done", "first_review_pass", "notice_done", "approve"]
    assert AuditEvent.objects.filter(object_type="cases.case", object_id=case.number, action="transition").count() == 5
    assert not Task.objects.filter(case=case, state=TaskState.OPEN).exists()
    with pytest.raises(Refused, match="已办结"):
        case_act(user=staff["approver"], case=case, action="refuse", opinion="x")


def test_illegal_action_is_refused_with_the_allowed_ones_and_nothing_changes(staff, household_in):
    case = _open(staff, household_in)
    before = CaseStatus.objects.count()
    with pytest.raises(Refused, match=r"「受理审查」环节.*可执行：「受理」"):
        case_act(user=staff["acceptor"], case=case, action="approve", opinion="同意")
    with pytest.raises(PermissionDenied):
        case_act(user=staff["investigator"], case=case, action="accept")
    with pytest.raises(PermissionDenied):
        case_act(user=staff["other"], case=case, action="accept")
    with pytest.raises(ValidationError, match="须填写意见"):
        case_act(user=staff["acceptor"], case=case, action="not_accept", opinion="  ")
    assert CaseStatus.objects.count() == before and Case.objects.get(pk=case.pk).step == "apply"


def test_one_time_notice_then_acceptance(staff, household_in):
    from minzheng.foundation.files.services import file_open

    case = _open(staff, household_in)
    _materials(staff, case, codes=["application"])
    case = case_act(user=staff["acceptor"], case=case, action="request_materials", opinion="请补充授权书")
    assert case.step == "supplement" and case.due_date is None  # the clock has not started
    text = pdf_text(file_open(case.documents.get(kind="missing_materials_notice").file), compact=True)
    assert "家庭经济状况核对授权书" in text and "家庭收入和财产申报表" in text and "请补充授权书" in text
    _materials(staff, case, codes=["authorisation", "means_declaration"])
    case = case_act(user=staff["acceptor"], case=case, action="accept")
    assert case.step == "investigate"


def test_investigation_needs_two_investigators(staff, household_in, assistance_standards):
    from django.utils import timezone

    case = _open(staff, household_in)
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept")
    bad = {**INVESTIGATION, "visit_date": timezone.localdate().isoformat(), "investigators": ["周明", "周明"]}
    with pytest.raises(ValidationError) as exc:
        case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="已调查", data=bad)
    assert "两名" in str(exc.value)
    assert Case.objects.get(pk=case.pk).step == "investigate"


def test_objection_blocks_the_notice_until_resolved(staff, household_in, assistance_standards):
    from django.utils import timezone

    today = timezone.localdate()
    case = _to_notice(staff, _open(staff, household_in), today)
    notice = case.notices.get()
    obj = objection_file(notice=notice, content="该户有一辆小轿车未申报", phone="13900001234", on=today)
    assert obj.phone_masked == "139****1234"
    after = add_calendar_days(notice.end_date, 1)
    with pytest.raises(Refused, match="异议尚未处理"):
        case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    with pytest.raises(Refused, match="不在公示期内"):
        objection_file(notice=notice, content="迟到的异议", on=after)
    case = case_act(user=staff["reviewer"], case=case, action="reinvestigate", opinion="异议属实，重新入户核查车辆",
                    on=after)  # fmt: skip
    assert case.step == "investigate"
    obj.refresh_from_db()
    assert obj.state == "resolved" and "重新入户" in obj.resolution
    assert PublicNotice.objects.get(pk=notice.pk).state == NoticeState.ENDED


def test_suspension_stops_the_clock_and_extension_moves_the_deadline(staff, household_in):
    start = dt.date(2025, 6, 3)  # the domain sheet's example 5
    case = _open(staff, household_in)
    _materials(staff, case)
    case = case_act(user=staff["acceptor"], case=case, action="accept", on=start)
    assert case.due_date == dt.date(2025, 7, 15)
    case = case_suspend(user=staff["investigator"], case=case, reason="等待申请人补充病历", on=dt.date(2025, 6, 6))
    with pytest.raises(Refused, match="挂起"):
        case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="x", data={}, on=start)
    case = case_resume(user=staff["investigator"], case=case, on=dt.date(2025, 6, 13))  # 5 working days later
    assert case.suspended_days == 5 and case.due_date == add_working_days(dt.date(2025, 7, 15), 5)
    case = case_extend(user=staff["investigator"], case=case, reason="需跨省核对")
    assert case.due_date == add_working_days(start, 45 + 5)
    with pytest.raises(Refused, match="已延期过一次"):
        case_extend(user=staff["investigator"], case=case, reason="再次")


def test_claim_and_hand_back(staff, household_in, make_user):
    second = make_user("sl_acceptor2", ("acceptor", ANYANG))
    case = _open(staff, household_in)
    task = case.tasks.get(state=TaskState.OPEN)
    task_claim(user=staff["acceptor"], task=task)
    with pytest.raises(Refused, match="已由"):
        case_act(user=second, case=case, action="not_accept", opinion="x")
    with pytest.raises(PermissionDenied):
        task_release(user=second, task=task)
    task_release(user=staff["acceptor"], task=task)
    case = case_act(user=second, case=case, action="not_accept", opinion="户籍不在本街道")
    assert case.outcome == "not_accepted"


def test_inbox_and_case_lookup_are_scoped(staff, household_in, household_other, make_user):
    case = _open(staff, household_in)
    household, head = household_other
    other = case_open(user=staff["other"], case_type="dibao_application", region_code="", household=household,
                      applicant=head)  # fmt: skip
    assert [t.case.number for t in selectors.inbox(staff["acceptor"])] == [case.number]
    assert [t.case.number for t in selectors.inbox(staff["other"])] == [other.number]
    assert list(selectors.inbox(staff["investigator"])) == []  # nothing at the investigation step yet
    assert selectors.case_get(user=staff["approver"], number=other.number) == other  # the county sees both
    with pytest.raises(Http404):
        selectors.case_get(user=staff["acceptor"], number=other.number)
    with pytest.raises(Refused, match="不能重复申请"):
        case_open(user=staff["acceptor"], case_type="dibao_application", region_code="",
                  household=household_in[0], applicant=household_in[1])  # fmt: skip


def test_acceptance_sends_the_configured_messages(staff, household_in, django_capture_on_commit_callbacks, settings):
    from minzheng.foundation.notify.models import Message

    settings.MINZHENG_JOBS = "thread"
    case = _open(staff, household_in)
    _materials(staff, case)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_act(user=staff["acceptor"], case=case, action="accept")
    assert callbacks
    sms = Message.objects.get(channel="sms", related_id=case.number)
    assert case.number in sms.body and "已受理" in sms.body and sms.phone_masked == "138****1111"
    note = Message.objects.get(channel="in_app", related_id=case.number)
    assert note.recipient == staff["investigator"] and "入户调查" in note.body


def test_delegated_township_decides_within_twenty_working_days(staff, household_in, make_user, assistance_standards):
    from django.utils import timezone

    from minzheng.engines.cases.services import delegation_set

    today = timezone.localdate()
    delegation_set(user=staff["approver"], case_type="dibao_application", region_code="330381001000", delegated=True,
                   effective_from=today - dt.timedelta(days=1), document="瑞民〔2026〕8号")  # fmt: skip
    township_approver = make_user("sl_approver", ("approver", ANYANG))
    case = _to_notice(staff, _open(staff, household_in), today)
    assert case.delegated and case.due_date == add_working_days(today, 20)
    after = add_calendar_days(case.notices.get().end_date, 1)
    case = case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    assert case.tasks.get(state=TaskState.OPEN).region_code == "330381001000"
    case = case_act(user=township_approver, case=case, action="approve", opinion="乡镇审核确认", on=after)
    assert case.outcome == "approved"
    with pytest.raises(PermissionDenied):
        delegation_set(user=staff["acceptor"], case_type="dibao_application", region_code="330381001000",
                       delegated=False, effective_from=today)  # fmt: skip


def test_investigation_form_messages_are_chinese(staff, household_in, assistance_standards):
    from django.utils import timezone

    case = _open(staff, household_in)
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept")
    bad = {**investigation(case.household, timezone.localdate(), financial_assets="123456789012345678"),
           "findings": "好"}  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="已调查", data=bad)
    errors = exc.value.message_dict
    assert errors["data.findings"] == ["至少 4 个字"]
    assert errors["data.household_facts.property.financial_assets"] == ["数值过大"]


def test_a_new_version_does_not_change_running_cases(staff, household_in, household_other):
    import copy

    from minzheng.business.assistance.case_types import CASE_TYPES
    from minzheng.engines.cases.models import CaseType, VersionState
    from minzheng.engines.cases.services import case_type_draft, case_type_version_publish

    running = _open(staff, household_in)
    v1 = running.version
    definition = copy.deepcopy(next(d for d in CASE_TYPES if d["code"] == "dibao_application"))
    definition["steps"][0]["name"] = "窗口受理审查"
    with pytest.raises(ValidationError, match="未注册"):
        case_type_draft(definition={**definition, "transitions": [
            {**definition["transitions"][0], "guards": ["no_such_guard"]}, *definition["transitions"][1:]]})  # fmt: skip
    draft = case_type_draft(definition=definition, note="受理环节更名")
    assert draft.state == VersionState.DRAFT and CaseType.objects.get(pk="dibao_application").published == v1
    case_type_version_publish(version=draft)
    with pytest.raises(Refused, match="不是草稿"):
        case_type_version_publish(version=draft)
    v1.refresh_from_db()
    assert v1.state == VersionState.RETIRED
    running = Case.objects.get(pk=running.pk)
    assert running.version == v1 and running.spec.step("apply").name == "受理审查"
    other = case_open(user=staff["other"], case_type="dibao_application", region_code="",
                      household=household_other[0], applicant=household_other[1])  # fmt: skip
    assert other.version == draft and other.spec.step("apply").name == "窗口受理审查"
    # the running case still moves under its own version
    _materials(staff, running)
    assert case_act(user=staff["acceptor"], case=running, action="accept").step == "investigate"


def test_a_time_limit_without_its_article_is_refused():
    """Every statutory number of a case type names where it comes from (the guide shows it)."""
    import copy

    from minzheng.business.assistance.case_types import CASE_TYPES, step_of
    from minzheng.engines.cases.definition import Definition

    definition = copy.deepcopy(next(d for d in CASE_TYPES if d["code"] == "dibao_application"))
    Definition.model_validate(definition)
    step_of(definition["steps"], "confirm")["basis"] = ""
    with pytest.raises(ValueError, match=r"审核确认.*须注明依据"):
        Definition.model_validate(definition)
    with pytest.raises(ValueError, match="办结时限须注明依据"):
        Definition.model_validate({**copy.deepcopy(CASE_TYPES[0]), "basis": " "})
    with pytest.raises(KeyError, match="没有环节 nowhere"):
        step_of(definition["steps"], "nowhere")
