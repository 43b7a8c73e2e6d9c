import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.jobs.models import JobRun
from minzheng.foundation.registry.models import Household, Person
from tests.conftest import ANYANG_VILLAGE
from tests.foundation.registry.test_import import row, workbook


@pytest.fixture
def web(anyang_user):
    c = Client()
    c.force_login(anyang_user)
    return c


@pytest.mark.django_db
def test_login_required_everywhere():
    for url in ("/", "/persons/", "/households/", "/import/", "/jobs/", "/audit/"):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.django_db
def test_home_counts_own_scope(web, household_in, household_other):
    body = web.get("/").content.decode()
    assert "安阳街道" in body and "管辖范围内人员" in body
    assert "<strong>2</strong><span>管辖范围内人员" in body.replace("\n", "")


@pytest.mark.django_db
def test_person_detail_masked_then_reveal_audited(web, household_in):
    _, head, _ = household_in
    page = web.get(f"/persons/{head.pk}/").content.decode()
    assert head.id_number_masked in page and head.id_number not in page
    r = web.post(f"/persons/{head.pk}/reveal/id_number/", headers={"hx-request": "true"})
    assert head.id_number in r.content.decode()
    ev = AuditEvent.objects.get(action="reveal")
    assert (ev.actor_name, ev.object_id, ev.ip) == ("anyang", str(head.pk), "127.0.0.1")
    assert web.get(f"/persons/{head.pk}/reveal/id_number/").status_code == 405  # reveal is an explicit POST


@pytest.mark.django_db
def test_edit_with_bad_input_shows_chinese_errors_and_changes_nothing(web, household_in):
    _, head, _ = household_in
    data = {"name": "王建国", "ethnicity": "汉族", "hukou_type": "urban", "region_code": ANYANG_VILLAGE, "self_care": "full",
            "phone": "999", "disability_kind": "limb", "disability_grade": ""}  # fmt: skip
    body = web.post(f"/persons/{head.pk}/edit/", data).content.decode()
    assert "手机号" in body and "残疾类别与残疾等级须同时填写" in body
    body = web.post(f"/persons/{head.pk}/edit/", {**data, "region_code": "330381999999"}).content.decode()
    assert "所选的 330381999999 不在可选范围内" in body  # not Django's "选择一个有效的选项"
    head.refresh_from_db()
    assert head.region_code == ANYANG_VILLAGE and head.phone == "13800001111" and head.disability_kind == ""


@pytest.mark.django_db
def test_edit_keeps_secret_fields_when_left_blank(web, household_in):
    _, head, _ = household_in
    data = {"name": "王建军", "ethnicity": "汉族", "hukou_type": "urban", "region_code": ANYANG_VILLAGE, "hukou_region_code": ANYANG_VILLAGE,
            "self_care": "partial", "labour_capacity": "false"}  # fmt: skip
    r = web.post(f"/persons/{head.pk}/edit/", data)
    assert r.status_code == 302
    head.refresh_from_db()
    assert (head.name, head.self_care, head.labour_capacity, head.phone) == ("王建军", "partial", False, "13800001111")
    assert head.name_initials == "wjj"


@pytest.mark.django_db
def test_household_member_add_and_end(web, household_in, anyang_user, ids):
    from minzheng.foundation.registry import services

    household, _, spouse = household_in
    child = services.person_create(
        user=anyang_user,
        data={"name": "王小明", "id_number": ids(), "hukou_type": "urban", "region_code": ANYANG_VILLAGE},
    )
    r = web.post(
        f"/households/{household.pk}/members/add/", {"id_number": child.id_number, "relation": "child"}, follow=True
    )
    assert "已增加成员 王小明" in r.content.decode()
    m = household.memberships.get(person=spouse)
    r = web.post(f"/households/{household.pk}/members/{m.pk}/end/", {"reason": "迁往外地"}, follow=True)
    body = r.content.decode()
    assert "李秀英 已移出" in body and "迁往外地" in body


@pytest.mark.django_db
def test_import_page_refuses_non_excel(web):
    r = web.post(
        "/import/", {"file": SimpleUploadedFile("x.xlsx", b"not a zip", content_type="application/octet-stream")}
    )
    assert "不是有效的 Excel" in r.content.decode()
    assert JobRun.objects.count() == 0


def _wait(job_id, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = JobRun.objects.get(pk=job_id)
        if job.state in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


@pytest.mark.django_db(transaction=True)
def test_import_runs_in_background_and_reports(regions, ids):
    from minzheng.foundation.accounts.services import user_create
    from tests.conftest import ANYANG, PASSWORD

    user_create(username="imp", password=PASSWORD, grants=[("acceptor", ANYANG)])
    c = Client()
    c.post("/login/", {"username": "imp", "password": PASSWORD})
    good = workbook([row(1, "户主", "钱多多", ids()), row(1, "子女", "钱少少", ids())])
    r = c.post("/import/", {"file": SimpleUploadedFile("h.xlsx", good)})
    assert r.status_code == 302
    job = _wait(int(r["Location"].rstrip("/").split("/")[-1]))
    assert job.state == "succeeded" and job.result["accepted"] and job.result["persons"] == 2
    assert Household.objects.filter(head__name="钱多多").exists()
    assert "导入成功" in c.get(f"/jobs/{job.pk}/").content.decode()
    bad = workbook([row(1, "户主", "孙悟空", "110108199003071237")])
    r = c.post("/import/", {"file": SimpleUploadedFile("bad.xlsx", bad)})
    job = _wait(int(r["Location"].rstrip("/").split("/")[-1]))
    page = c.get(f"/jobs/{job.pk}/").content.decode()
    assert "导入未执行" in page and "校验位错误" in page
    assert not Person.objects.filter(name="孙悟空").exists()


@pytest.mark.django_db
def test_export_is_audited(web, household_in):
    r = web.get("/households/?export=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "户编号" and len(rows) == 2
    assert AuditEvent.objects.filter(action="export", actor_name="anyang").exists()


@pytest.mark.django_db
def test_audit_page_for_leader_only(web, leader_user):
    assert web.get("/audit/").status_code == 403
    c = Client()
    c.force_login(leader_user)
    assert "审计日志" in c.get("/audit/?verify=1").content.decode()


@pytest.mark.django_db
def test_region_picker_offers_only_own_villages(web, household_in):
    household, _, _ = household_in
    body = web.get(f"/households/{household.pk}/edit/").content.decode()
    assert 'value="330381001001"' in body and "安阳街道" in body
    assert "330381101009" not in body  # 塘下镇 villages are not offered
    r = web.post(f"/households/{household.pk}/edit/", {"region_code": "330381101009", "hukou_type": "urban"})
    assert "不在可选范围内" in r.content.decode()
    household.refresh_from_db()
    assert household.region_code == ANYANG_VILLAGE


@pytest.mark.django_db
def test_household_new_page(web, anyang_user, ids):
    from minzheng.foundation.registry import services

    p = services.person_create(
        user=anyang_user,
        data={"name": "马一", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
    )
    r = web.post(
        "/households/new/",
        {"head_id_number": "110108199003071238", "region_code": ANYANG_VILLAGE, "hukou_type": "rural"},
    )
    assert "找不到该身份证号" in r.content.decode()
    r = web.post(
        "/households/new/",
        {"head_id_number": p.id_number, "region_code": ANYANG_VILLAGE, "hukou_type": "rural"},
        follow=True,
    )
    assert "已建立家庭" in r.content.decode()
    assert Household.objects.get(head=p).region_code == ANYANG_VILLAGE


@pytest.mark.django_db
def test_register_person_requires_id_number(web):
    form = web.get("/persons/new/").content.decode()
    assert "修改时留空表示不变" not in form
    r = web.post(
        "/persons/new/",
        {
            "name": "无证",
            "ethnicity": "汉族",
            "hukou_type": "rural",
            "region_code": ANYANG_VILLAGE,
            "self_care": "full",
        },
    )
    assert "请填写此项" in r.content.decode()
    assert not Person.objects.filter(name="无证").exists()
