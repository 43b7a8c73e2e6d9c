"""The 低保 journey through the REST API (four users, four tokens), refusals as 409, scoping as
404, the inbox endpoint, the deadline CLI, and exactly-one-wins on concurrent approval."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from minzheng.engines.cases.models import Case, CaseStatus, PublicNotice
from minzheng.engines.cases.services import case_act, case_open
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.validation import Refused
from tests.conftest import ANYANG, ANYANG_VILLAGE, PASSWORD, RUIAN, TANGXIA
from tests.engines.cases.test_cases import REQUIRED, _materials, investigation


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clients(make_user):
    out = {}
    for key, username, role, region in (
        ("acceptor", "api_acceptor", "acceptor", ANYANG),
        ("investigator", "api_investigator", "investigator", ANYANG),
        ("reviewer", "api_reviewer", "reviewer", ANYANG),
        ("approver", "api_approver", "approver", RUIAN),
        ("other", "api_other", "acceptor", TANGXIA),
    ):
        make_user(username, (role, region))
        c = Client()
        r = c.post("/api/v1/auth/token", {"username": username, "password": PASSWORD}, content_type="application/json")
        c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {r.json()['token']}"
        out[key] = c
    return out


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.mark.django_db
def test_dibao_journey_through_the_api(clients, ids, assistance_standards):
    household = {
        "region_code": ANYANG_VILLAGE, "hukou_type": "urban", "address": "安阳路9号",
        "head": {"relation": "head", "person": {"name": "赵桂芳", "id_number": ids(birth=dt.date(1958, 3, 1), male=False),
                                                  "hukou_type": "urban", "region_code": ANYANG_VILLAGE,
                                                  "phone": "13700002222"}},
    }  # fmt: skip
    r = _post(clients["acceptor"], "/api/v1/cases", {"case_type": "dibao_application", "household": household})
    assert r.status_code == 201, r.content
    case = r.json()
    number = case["number"]
    assert (
        case["step"] == "apply" and case["applicant_name"] == "赵桂芳" and case["open_tasks"][0]["role"] == "acceptor"
    )
    assert {"code": "application", "name": "书面申请书（或申请登记表）"} in case["missing_materials"]

    r = _post(clients["acceptor"], f"/api/v1/cases/{number}/transitions", {"action": "accept"})
    assert r.status_code == 409 and "缺少" in r.json()["detail"]
    pdf = render_pdf(Document(title="申请书", blocks=[Paragraph("申请")]))
    for code in REQUIRED:
        from django.core.files.uploadedfile import SimpleUploadedFile

        up = SimpleUploadedFile(f"{code}.pdf", pdf, content_type="application/pdf")
        r = clients["acceptor"].post(f"/api/v1/cases/{number}/materials", {"code": code, "file": up})
        assert r.status_code == 201, r.content
    fake = SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    r = clients["acceptor"].post(f"/api/v1/cases/{number}/materials", {"code": "other", "file": fake})
    assert r.status_code == 422 and "只接受" in r.json()["detail"]

    r = _post(clients["acceptor"], f"/api/v1/cases/{number}/transitions", {"action": "accept"})
    assert r.status_code == 200 and r.json()["step"] == "investigate" and r.json()["due_date"]
    assert clients["other"].get(f"/api/v1/cases/{number}").status_code == 404
    assert _post(clients["other"], f"/api/v1/cases/{number}/transitions", {"action": "x"}).status_code == 404

    inbox = clients["investigator"].get("/api/v1/tasks").json()
    assert [t["case_number"] for t in inbox["items"]] == [number] and inbox["items"][0]["step"] == "investigate"
    from minzheng.foundation.registry.models import Household

    household_row = Household.objects.get(pk=case["household_id"])
    data = {**investigation(household_row, dt.date.today()), "investigators": ["周明"]}
    r = _post(clients["investigator"], f"/api/v1/cases/{number}/transitions",
              {"action": "investigate_done", "opinion": "已入户", "data": data})  # fmt: skip
    assert r.status_code == 422 and "data.investigators" in r.json()["errors"]
    data["investigators"] = ["周明", "吴芳"]
    r = _post(clients["investigator"], f"/api/v1/cases/{number}/transitions",
              {"action": "investigate_done", "opinion": "已入户", "data": data})  # fmt: skip
    assert r.status_code == 200, r.content
    r = _post(clients["reviewer"], f"/api/v1/cases/{number}/transitions",
              {"action": "first_review_pass", "opinion": "符合条件"})  # fmt: skip
    assert r.status_code == 200 and r.json()["step"] == "notice" and r.json()["assessment"]["classification"] == "dibao"
    r = _post(clients["reviewer"], f"/api/v1/cases/{number}/transitions", {"action": "notice_done"})
    assert r.status_code == 409 and "公示期" in r.json()["detail"]
    past = dt.date.today() - dt.timedelta(days=8)  # the seven days have passed
    PublicNotice.objects.filter(case__number=number).update(posted_on=past, start_date=past + dt.timedelta(days=1),
                                                            end_date=past + dt.timedelta(days=7))  # fmt: skip
    r = _post(clients["reviewer"], f"/api/v1/cases/{number}/transitions", {"action": "notice_done"})
    assert r.status_code == 200 and r.json()["open_tasks"][0]["office_region_code"] == "330381000000"
    r = _post(clients["approver"], f"/api/v1/cases/{number}/transitions", {"action": "approve", "opinion": "同意"})
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["outcome"] == "approved" and out["enrollment_number"].startswith("DB-330381-")
    assert any(m.startswith(f"已纳入保障：{out['enrollment_number']}") for m in out["messages"])
    assert {d["kind"] for d in out["documents"]} >= {"acceptance_notice", "approval_decision"}
    assert [h["action"] for h in out["history"]] == [
        "open", "accept", "investigate_done", "first_review_pass", "notice_done", "approve"]  # fmt: skip
    r = _post(clients["approver"], f"/api/v1/cases/{number}/transitions", {"action": "refuse", "opinion": "x"})
    assert r.status_code == 409 and "已办结" in r.json()["detail"]


@pytest.mark.django_db
def test_tasks_endpoint_is_scoped_and_flags_deadlines(clients, staff_cases):
    mine, theirs = staff_cases
    items = clients["acceptor"].get("/api/v1/tasks").json()["items"]
    assert [t["case_number"] for t in items] == [mine.number]
    Case.objects.filter(pk=mine.pk)
    mine.tasks.update(due_date=dt.date.today() - dt.timedelta(days=1))
    items = clients["acceptor"].get("/api/v1/tasks?flag=overdue").json()["items"]
    assert [t["flag"] for t in items] == ["overdue"]
    assert clients["acceptor"].get("/api/v1/tasks?flag=near").json()["count"] == 0
    assert [t["case_number"] for t in clients["other"].get("/api/v1/tasks").json()["items"]] == [theirs.number]


@pytest.fixture
def staff_cases(clients, household_in, household_other):
    from minzheng.foundation.accounts.models import User

    mine = case_open(user=User.objects.get(username="api_acceptor"), case_type="dibao_application", region_code="",
                     household=household_in[0], applicant=household_in[1])  # fmt: skip
    theirs = case_open(user=User.objects.get(username="api_other"), case_type="dibao_application", region_code="",
                       household=household_other[0], applicant=household_other[1])  # fmt: skip
    return mine, theirs


@pytest.mark.django_db
def test_deadline_cli(capsys, regions):
    call_command("cases", "deadline", "--from", "2025-06-03", "--working-days", "30")
    assert capsys.readouterr().out.strip() == "2025-07-15"
    call_command("cases", "delegate", "--type", "dibao_application", "--region", "330381001000", "--from", "2026-12-01")
    assert '"delegated": true' in capsys.readouterr().out
    call_command("cases", "deadline", "--from", "2026-09-30", "--working-days", "3")
    assert capsys.readouterr().out.strip() == "2026-10-10"  # 国庆 10-01…10-07; Sat 10-10 is a make-up workday


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_exactly_one_wins(make_user, household_in, assistance_standards, settings, tmp_path):
    """Both county approvers press 批准 at the same moment: the case row lock makes the second wait,
    find the case already decided and be refused; one enrollment, one decision row."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    from django.utils import timezone

    from minzheng.engines.benefits.models import Enrollment

    staff = {
        "acceptor": make_user("c_acceptor", ("acceptor", ANYANG)),
        "investigator": make_user("c_investigator", ("investigator", ANYANG)),
        "reviewer": make_user("c_reviewer", ("reviewer", ANYANG)),
    }
    approvers = [make_user("c_approver1", ("approver", RUIAN)), make_user("c_approver2", ("approver", RUIAN))]
    today = timezone.localdate()
    case = case_open(user=staff["acceptor"], case_type="dibao_application", region_code="",
                     household=household_in[0], applicant=household_in[1])  # fmt: skip
    _materials(staff, case)
    case_act(user=staff["acceptor"], case=case, action="accept", on=today)
    case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="已调查",
             data=investigation(household_in[0], today), on=today)  # fmt: skip
    case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合", on=today)
    after = today + dt.timedelta(days=8)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(user):
        try:
            barrier.wait()
            case_act(user=user, case=case, action="approve", opinion="同意", on=after)
            outcomes.append("ok")
        except Refused as exc:
            outcomes.append("refused" if "已办结" in exc.message else exc.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Enrollment.objects.filter(source_case=case.number).count() == 1
    assert CaseStatus.objects.filter(case=case, action="approve").count() == 1
