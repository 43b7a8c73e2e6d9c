"""Workbench pages of the case engine: a 低保 application walked through the pages by four users
(acceptor, investigator and reviewer of 安阳街道, approver of 瑞安市) to an enrollment; refusals
(409) and bad input (422) shown on the page with nothing changed; another township's user gets
404s; the inbox flags deadlines and warns about the holiday calendar; supervision counts; every
document download is audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from minzheng.engines.cases import selectors
from minzheng.engines.cases.models import (
    Case,
    CaseDocument,
    CaseStatus,
    Material,
    Objection,
    PublicNotice,
    Task,
    TaskState,
)
from minzheng.engines.cases.services import case_act, case_open, material_add
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.calendar.services import add_working_days, year_status
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA
from tests.engines.cases.test_cases import investigation

pytestmark = pytest.mark.django_db

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


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _pdf(text="材料") -> bytes:
    return render_pdf(Document(title=text, blocks=[Paragraph(text)]))


def _upload(code: str) -> dict:
    return {"material-code": code, "material-file": SimpleUploadedFile(f"{code}.pdf", _pdf(code), "application/pdf")}


def _act(client, case, action, opinion="", **data):
    post = {"action": action, f"{action}-opinion": opinion}
    post.update({f"{action}-{k}": v for k, v in data.items()})
    return client.post(f"/cases/{case.number}/act/", post)


def _open(staff, household_in, case_type="dibao_application") -> Case:
    household, head, _ = household_in
    return case_open(user=staff["acceptor"], case_type=case_type, region_code="", household=household, applicant=head)


def _accepted(staff, household_in, case_type="dibao_application") -> Case:
    case = _open(staff, household_in, case_type)
    for code in REQUIRED:
        material_add(user=staff["acceptor"], case=case, code=code, data=_pdf(code), name=f"{code}.pdf")
    return case_act(user=staff["acceptor"], case=case, action="accept")


def _text(response) -> str:
    return response.content.decode()


def _investigation(today: dt.date, investigators="周明、吴芳") -> dict:
    return {
        "investigators": investigators,
        "visit_date": today.isoformat(),
        "findings": "家中两人，户主灵活就业收入不稳定，配偶无业。",
        # the facts table: the head (row 0) and the spouse (row 1), both counted
        "m0_counted": "counted", "m0_self_care": "full", "m0_inc_wages": "6000",
        "m1_counted": "counted", "m1_self_care": "full",
        "p_financial_assets": "3000",
        "p_houses": "1",
        "verification_requested": "on",
    }  # fmt: skip


def test_dibao_journey_through_the_pages(staff, household_in, assistance_standards):
    from minzheng.engines.benefits.models import Enrollment

    household, head, _ = household_in
    today = timezone.localdate()
    acceptor, investigator = client_for(staff["acceptor"]), client_for(staff["investigator"])
    reviewer, approver = client_for(staff["reviewer"]), client_for(staff["approver"])

    # 登记申请: find the household, pick type and applicant
    r = acceptor.get("/cases/new/", {"q": household.number}, follow=True)  # a number: via a token (search.py)
    assert r.status_code == 200 and household.number in _text(r)
    r = acceptor.get("/cases/new/", {"household": household.pk, "type": "dibao_application"})
    assert r.status_code == 200 and "王建国（户主）" in _text(r)
    r = acceptor.post("/cases/new/", {"household": household.pk, "case_type": "dibao_application",
                                      "applicant": head.pk, "channel": "window"})  # fmt: skip
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.number}/"
    assert (case.step, case.channel, case.applicant_id) == ("apply", "window", head.pk)

    r = acceptor.get(f"/cases/{case.number}/")
    page = _text(r)
    assert r.status_code == 200 and "受理审查" in page and "申请材料" in page and "缺" in page
    assert 'name="action" value="accept"' in page and "一次性告知补正" in page

    # the inbox shows it, claim it from there
    r = acceptor.get("/cases/inbox/")
    assert case.number in _text(r) and "王建国" in _text(r)
    r = acceptor.post(f"/cases/{case.number}/claim/", {"next": "/cases/inbox/"})
    assert r.status_code == 302 and r["Location"] == "/cases/inbox/"
    assert Task.objects.get(case=case, state=TaskState.OPEN).claimed_by == staff["acceptor"]

    # materials, then 受理
    for code in REQUIRED:
        r = acceptor.post(f"/cases/{case.number}/materials/", _upload(code))
        assert r.status_code == 302, _text(r)
    assert set(Material.objects.filter(case=case).values_list("code", flat=True)) == set(REQUIRED)
    r = _act(acceptor, case, "accept")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.step == "investigate" and case.accepted_on == today
    r = acceptor.get(r["Location"])
    assert "已办理「受理」，办件转入「入户调查」" in _text(r)

    # 入户调查 with the data form generated from the pydantic model
    r = investigator.get("/cases/inbox/")
    assert case.number in _text(r)
    page = _text(investigator.get(f"/cases/{case.number}/"))
    assert "本人收入（元/年）" in page and 'name="investigate_done-visit_date"' in page
    assert 'name="investigate_done-m1_counted"' in page and "不计入：服刑" in page and "李秀英" in page
    r = _act(investigator, case, "investigate_done", "入户核实，情况属实", **_investigation(today))
    assert r.status_code == 302, _text(r)
    case.refresh_from_db()
    assert case.step == "first_review"
    assert case.data["forms"]["investigate_done"]["investigators"] == ["周明", "吴芳"]

    # 乡镇初审 → 公示; the assessment shows with its explanation
    r = _act(reviewer, case, "first_review_pass", "符合低保条件")
    assert r.status_code == 302, _text(r)
    case.refresh_from_db()
    assert case.step == "notice"
    a = case.data["assessment"]
    page = _text(reviewer.get(f"/cases/{case.number}/"))
    assert "测算结果" in page and escape(a["explanation"][0]) in page
    assert "公示中" in page and "王*国" in page
    board = _text(reviewer.get("/cases/notices/"))
    assert "王*国" in board and "王建国" not in board

    # the notice is over (dates moved back), 报审核确认
    notice = PublicNotice.objects.get(case=case)
    PublicNotice.objects.filter(pk=notice.pk).update(
        posted_on=today - dt.timedelta(days=9), start_date=today - dt.timedelta(days=8),
        end_date=today - dt.timedelta(days=1),
    )  # fmt: skip
    Task.objects.filter(case=case, state=TaskState.OPEN).update(due_date=today - dt.timedelta(days=1), not_before=today)
    r = _act(reviewer, case, "notice_done")
    assert r.status_code == 302, _text(r)
    case.refresh_from_db()
    assert case.step == "confirm"

    # 审核确认 at the county
    r = approver.get("/cases/inbox/")
    assert case.number in _text(r)
    page = _text(approver.get(f"/cases/{case.number}/"))
    assert "测算结果" in page and "审核确认，批准" in page
    r = _act(approver, case, "approve", "经审核，同意纳入低保")
    assert r.status_code == 302, _text(r)
    case.refresh_from_db()
    assert (case.step, case.outcome) == ("approved", "approved")
    e = Enrollment.objects.get(number=case.data["enrollment_number"])
    assert e.source_case == case.number
    page = _text(approver.get(r["Location"]))
    assert "办件已办结：批准" in page and e.number in page
    assert f"/benefits/enrollments/{e.pk}/" in page
    assert not re.search(r'name="action" value=', page)  # nothing left to do
    steps = list(CaseStatus.objects.filter(case=case).values_list("action", flat=True))
    assert steps == ["open", "accept", "investigate_done", "first_review_pass", "notice_done", "approve"]

    # the decision is downloadable, and the download is audited
    doc = CaseDocument.objects.get(case=case, kind="approval_decision")
    assert f"/cases/{case.number}/documents/{doc.pk}/download/" in page
    r = approver.get(f"/cases/{case.number}/documents/{doc.pk}/download/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content).startswith(b"%PDF-")
    ev = AuditEvent.objects.filter(action="read", object_type="cases.document", object_id=str(doc.pk)).get()
    assert ev.actor_id == staff["approver"].pk and ev.region_code == case.region_code


def test_illegal_action_is_409_with_the_message_and_nothing_changes(staff, household_in):
    case = _open(staff, household_in)
    before = CaseStatus.objects.count()
    r = _act(client_for(staff["acceptor"]), case, "approve", "同意")
    assert r.status_code == 409
    assert "「受理审查」环节，不能执行该操作" in _text(r) and "可执行：「受理」" in _text(r)
    r = _act(client_for(staff["acceptor"]), case, "accept")  # materials missing: a guard refuses
    assert r.status_code == 409 and "缺少：书面申请书" in _text(r)
    assert CaseStatus.objects.count() == before and Case.objects.get(pk=case.pk).step == "apply"
    r = _act(client_for(staff["investigator"]), case, "accept")  # not this user's step
    assert r.status_code == 403 and Case.objects.get(pk=case.pk).step == "apply"


def test_form_errors_are_422_on_the_fields(staff, household_in, assistance_standards):
    case = _open(staff, household_in)
    r = _act(client_for(staff["acceptor"]), case, "not_accept", "   ")
    assert r.status_code == 422 and "「不予受理」须填写意见" in _text(r)
    case = _accepted(staff, household_in, "edge_application")
    today = timezone.localdate()
    web = client_for(staff["investigator"])
    r = _act(web, case, "investigate_done", "已调查", **_investigation(today, investigators="周明"))
    assert r.status_code == 422 and "两名及以上工作人员" in _text(r)
    bad = {**_investigation(today), "m0_inc_wages": "-5", "visit_date": "明天"}
    r = _act(web, case, "investigate_done", "已调查", **bad)
    assert r.status_code == 422 and "has-error" in _text(r)
    for wild in ("1e400", "NaN", "123456789012345", "0.001"):
        r = _act(web, case, "investigate_done", "已调查", **{**_investigation(today), "p_financial_assets": wild})
        assert r.status_code == 422, wild
    r = _act(web, case, "investigate_done", "已调查", **{**_investigation(today), "findings": "好"})
    assert r.status_code == 422 and "String should" not in _text(r) and "至少" in _text(r)
    r = _act(web, case, "investigate_done", "已调查", **{**_investigation(today), "p_houses": "99"})
    assert r.status_code == 422 and "20" in _text(r)
    future = {**_investigation(today), "visit_date": (today + dt.timedelta(days=3)).isoformat()}
    r = _act(web, case, "investigate_done", "已调查", **future)
    assert r.status_code == 422 and "入户日期不能晚于今天" in _text(r)
    assert Case.objects.get(pk=case.pk).step == "investigate"
    r = client_for(staff["investigator"]).post(f"/cases/{case.number}/suspend/", {"suspend-reason": ""})
    assert r.status_code == 422 and "请填写挂起原因" in _text(r)


def test_another_township_gets_404_everywhere(staff, household_in):
    case = _accepted(staff, household_in)
    doc = CaseDocument.objects.get(case=case, kind="acceptance_notice")
    material = Material.objects.filter(case=case).first()
    other = client_for(staff["other"])
    assert other.get(f"/cases/{case.number}/").status_code == 404
    assert other.get(f"/cases/{case.number}/documents/{doc.pk}/download/").status_code == 404
    assert other.get(f"/cases/{case.number}/files/{material.file_id}/").status_code == 404
    for path in ("act/", "claim/", "suspend/", "materials/", "objections/", "documents/acceptance_notice/"):
        assert other.post(f"/cases/{case.number}/{path}", {"action": "investigate_done"}).status_code == 404
    assert case.number not in _text(other.get("/cases/"))
    assert case.number not in _text(other.get("/cases/inbox/"))
    assert not AuditEvent.objects.filter(action="read", object_type="cases.document").exists()
    # a document of another case is not reachable through this one
    mine = client_for(staff["acceptor"])
    assert mine.get(f"/cases/{case.number}/documents/{doc.pk + 1000}/download/").status_code == 404
    assert mine.get(f"/cases/{case.number}/files/{material.file_id}/").status_code == 200
    assert AuditEvent.objects.filter(action="read", object_type="cases.material", object_id=str(material.pk)).exists()


def test_upload_of_a_wrong_type_is_refused_in_chinese(staff, household_in):
    case = _open(staff, household_in)
    web = client_for(staff["acceptor"])
    fake = SimpleUploadedFile("application.pdf", b"MZ\x90\x00 this is a program", "application/pdf")
    r = web.post(f"/cases/{case.number}/materials/", {"material-code": "application", "material-file": fake})
    assert r.status_code == 422 and "只接受 PDF、JPG、PNG 格式的文件" in _text(r)
    r = web.post(f"/cases/{case.number}/materials/", {"material-code": "nonsense", **{"material-file": fake}})
    assert r.status_code == 422
    assert not Material.objects.filter(case=case).exists()


def test_inbox_flags_deadlines_in_two_queries(staff, household_in, django_assert_max_num_queries):
    today = timezone.localdate()
    overdue = _accepted(staff, household_in)
    near = _open(staff, household_in, "edge_application")
    Task.objects.filter(case=overdue, state=TaskState.OPEN).update(due_date=today - dt.timedelta(days=3))
    Task.objects.filter(case=near, state=TaskState.OPEN).update(due_date=today)
    web = client_for(staff["investigator"])
    r = web.get("/cases/inbox/")
    page = _text(r)
    assert overdue.number in page and near.number not in page  # the investigator's inbox only
    assert '<span class="badge overdue">超期</span>' in page
    page = _text(client_for(staff["acceptor"]).get("/cases/inbox/"))
    assert '<span class="badge near">临期</span>' in page and near.number in page
    assert overdue.number not in _text(web.get("/cases/inbox/", {"view": "near"}))
    assert overdue.number in _text(web.get("/cases/inbox/", {"view": "overdue"}))
    assert overdue.number not in _text(web.get("/cases/inbox/", {"view": "mine"}))
    assert overdue.number not in _text(web.get("/cases/inbox/", {"type": "edge_application"}))
    assert web.get("/cases/inbox/", {"view": "x", "type": "y", "page": "zz"}).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert web.get("/cases/inbox/").status_code == 200
    task_queries = [q["sql"] for q in queries.captured_queries if 'FROM "cases_task"' in q["sql"]]
    assert len(task_queries) == 2, task_queries  # the count and the page
    assert "id_number" not in task_queries[1]  # applicant's encrypted columns not fetched


def test_calendar_warning_banner(staff, household_in, monkeypatch):
    web = client_for(staff["acceptor"])
    today = timezone.localdate()
    assert year_status(today.year + 1) == "provisional"  # the notice of next year is not in yet
    warning = selectors.calendar_warning()
    assert (
        warning and f"{today.year + 1}年的放假通知尚未录入" in warning and "暂按《全国年节及纪念日放假办法》" in warning
    )
    assert warning in _text(web.get("/cases/inbox/"))
    monkeypatch.setattr(selectors, "calendar_warning", lambda day=None: "")
    assert 'class="banner warn"' not in _text(web.get("/cases/inbox/"))


def test_supervision_counts_and_drill_down(staff, household_in):
    today = timezone.localdate()
    overdue = _accepted(staff, household_in)
    near = _open(staff, household_in, "edge_application")
    later = _open(staff, household_in, "rigid_expense_application")
    Task.objects.filter(case=later, state=TaskState.OPEN).update(due_date=today + dt.timedelta(days=30))
    Task.objects.filter(case=overdue, state=TaskState.OPEN).update(due_date=today - dt.timedelta(days=2))
    Task.objects.filter(case=near, state=TaskState.OPEN).update(due_date=add_working_days(today, 1))
    web = client_for(staff["approver"])
    r = web.get("/cases/supervision/")
    assert r.status_code == 200
    row = re.search(r"<td data-label=\"办理机构\">安阳街道</td>(.*?)</tr>", _text(r), re.S).group(1)
    cells = re.findall(r'class="num">(?:<a[^>]*>)?(\d+)', row)
    assert cells == ["3", "1", "1"]  # open, near, overdue
    r = web.get("/cases/supervision/", {"office": ANYANG[:9]})
    assert overdue.number in _text(r) and near.number not in _text(r) and "超期 2 天" in _text(r)
    assert near.number in _text(web.get("/cases/supervision/", {"office": ANYANG[:9], "flag": "near"}))
    assert client_for(staff["acceptor"]).get("/cases/supervision/").status_code == 403
    assert web.get("/cases/supervision/", {"office": "'; drop"}).status_code == 200


def test_objection_at_the_window_blocks_the_notice(staff, household_in, assistance_standards):
    today = timezone.localdate()
    case = _accepted(staff, household_in)
    case = case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="已调查",
                    data=investigation(case.household, today))  # fmt: skip
    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合条件")
    web = client_for(staff["acceptor"])
    r = web.post(f"/cases/{case.number}/objections/", {"objection-content": "", "objection-phone": "123"})
    assert r.status_code == 422 and "请填写异议内容" in _text(r)
    r = web.post(f"/cases/{case.number}/objections/", {"objection-content": "该户有一辆小轿车未申报",
                                                       "objection-phone": "13900001234"})  # fmt: skip
    assert r.status_code == 302
    assert Objection.objects.get().phone_masked == "139****1234"
    PublicNotice.objects.filter(case=case).update(
        posted_on=today - dt.timedelta(days=9), start_date=today - dt.timedelta(days=8),
        end_date=today - dt.timedelta(days=1),
    )  # fmt: skip
    r = _act(client_for(staff["reviewer"]), case, "notice_done")
    assert r.status_code == 409 and "异议尚未处理" in _text(r)
    r = web.post(f"/cases/{case.number}/objections/", {"objection-content": "迟到的异议"})
    assert r.status_code == 409 and "不在公示期内" in _text(r)


def test_suspend_resume_extend_and_print(staff, household_in):
    case = _accepted(staff, household_in)
    web = client_for(staff["investigator"])
    r = web.post(f"/cases/{case.number}/suspend/", {"suspend-reason": "等待申请人补充病历"})
    assert r.status_code == 302 and Case.objects.get(pk=case.pk).suspended_since is not None
    assert "挂起" in _text(web.get("/cases/inbox/"))
    r = _act(web, case, "terminate_uncooperative", "不配合")
    assert r.status_code == 409 and "请先恢复办理" in _text(r)
    r = web.post(f"/cases/{case.number}/resume/", {})
    assert r.status_code == 302 and Case.objects.get(pk=case.pk).suspended_since is None
    r = web.post(f"/cases/{case.number}/extend/", {"extend-reason": "需跨省核对"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.extended and case.due_date == add_working_days(case.accepted_on, 45)
    r = web.post(f"/cases/{case.number}/extend/", {"extend-reason": "再次"})
    assert r.status_code == 409 and "已延期过一次" in _text(r)

    r = web.post(f"/cases/{case.number}/documents/investigation_form/")
    assert r.status_code == 302 and CaseDocument.objects.filter(case=case, kind="investigation_form").exists()
    r = web.post(f"/cases/{case.number}/documents/approval_decision/")
    assert r.status_code == 409 and "不能打印该文书" in _text(r)
    r = client_for(staff["reviewer"]).post(f"/cases/{case.number}/documents/investigation_form/")
    assert r.status_code == 403


def test_attachments_go_with_the_transition(staff, household_in):
    case = _open(staff, household_in)
    web = client_for(staff["acceptor"])
    note = SimpleUploadedFile("说明.pdf", _pdf("户籍不在本街道"), "application/pdf")
    r = web.post(f"/cases/{case.number}/act/", {"action": "not_accept", "not_accept-opinion": "户籍不在本街道",
                                               "not_accept-attachments": [note]})  # fmt: skip
    assert r.status_code == 302
    status = CaseStatus.objects.get(case=case, action="not_accept")
    stored = status.attachments.get()
    page = _text(web.get(f"/cases/{case.number}/"))
    assert f"/cases/{case.number}/files/{stored.pk}/" in page and "说明.pdf" in page
    assert web.get(f"/cases/{case.number}/files/{stored.pk}/").status_code == 200

    other = _open(staff, household_in, "edge_application")
    bad = SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf")
    r = web.post(f"/cases/{other.number}/act/", {"action": "not_accept", "not_accept-opinion": "不符合",
                                                "not_accept-attachments": [bad]})  # fmt: skip
    assert r.status_code == 422 and "只接受 PDF、JPG、PNG" in _text(r)
    assert Case.objects.get(pk=other.pk).step == "apply"  # nothing written


def test_new_case_refusals_and_bad_input(staff, household_in, household_other):
    household, head, _ = household_in
    web = client_for(staff["acceptor"])
    assert web.get("/cases/new/", {"household": "abc"}).status_code == 404
    assert web.get("/cases/new/", {"household": household_other[0].pk}).status_code == 404
    assert web.get("/cases/new/", {"q": "王建国"}).status_code == 200
    post = {"household": household.pk, "case_type": "dibao_application", "applicant": head.pk, "channel": "window"}
    assert web.post("/cases/new/", post).status_code == 302
    r = web.post("/cases/new/", post)
    assert r.status_code == 409 and "不能重复申请" in _text(r)
    r = web.post("/cases/new/", {**post, "case_type": "nope", "applicant": "999999"})
    assert r.status_code == 422
    assert client_for(staff["investigator"]).get("/cases/new/").status_code == 403
    assert Case.objects.count() == 1


def test_case_list_is_scoped_and_filtered(staff, household_in, household_other):
    mine = _open(staff, household_in)
    theirs = case_open(user=staff["other"], case_type="dibao_application", region_code="",
                       household=household_other[0], applicant=household_other[1])  # fmt: skip
    page = _text(client_for(staff["acceptor"]).get("/cases/"))
    assert mine.number in page and theirs.number not in page
    county = client_for(staff["approver"])
    page = _text(county.get("/cases/"))
    assert mine.number in page and theirs.number in page
    page = _text(county.get("/cases/", {"region": TANGXIA, "state": "open", "q": "陈志明"}))
    assert theirs.number in page and mine.number not in page
    assert mine.number not in _text(county.get("/cases/", {"state": "closed"}))
    assert county.get("/cases/", {"region": "x'", "type": "?", "page": "-1"}).status_code == 200


def test_posts_need_csrf(staff, household_in):
    case = _open(staff, household_in)
    web = Client(enforce_csrf_checks=True)
    web.force_login(staff["acceptor"])
    assert web.post(f"/cases/{case.number}/claim/").status_code == 403
    assert Task.objects.get(case=case, state=TaskState.OPEN).claimed_by is None


def test_notice_board_region_filter_is_scoped(staff, household_in, assistance_standards):
    today = timezone.localdate()
    case = _accepted(staff, household_in)
    case = case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="已调查",
                    data=investigation(case.household, today))  # fmt: skip
    case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合条件")
    PublicNotice.objects.update(posted_on=today)
    assert "王*国" in _text(client_for(staff["approver"]).get("/cases/notices/", {"region": ANYANG}))
    assert "王*国" not in _text(client_for(staff["approver"]).get("/cases/notices/", {"region": TANGXIA}))
    assert "王*国" not in _text(client_for(staff["other"]).get("/cases/notices/"))
    assert "王*国" not in _text(client_for(staff["other"]).get("/cases/notices/", {"region": ANYANG_VILLAGE}))
