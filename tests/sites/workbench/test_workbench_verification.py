"""Workbench pages of 家庭经济状况核对: the request journey (new with 授权书 uploads → issue →
report with PDF → adopt → 复议 → corrected version), refusals as 409, other regions as 404, and
批量核对 with its Excel download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from minzheng.business.assistance.models import HouseholdMeans
from minzheng.engines.verification.models import VerificationReport, VerificationRequest
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.jobs.models import JobRun, JobState
from minzheng.foundation.jobs.services import job_run
from tests.engines.verification.test_verification import PDF, partner_data  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _letter(name: str):
    return SimpleUploadedFile(name, PDF, "application/pdf")


def _post_new(client, household, head, spouse, *, with_spouse=True):
    today = timezone.localdate().isoformat()
    data = {
        "household": household.pk,
        "sources": ["vehicle", "tax", "social_insurance", "bank", "medical_expense"],
        "case_number": "DB-2026-000001",
        "purpose": "低保申请",
    }
    for p in (head, spouse) if with_spouse else (head,):
        data.update({f"file_{p.pk}": _letter(f"授权书{p.pk}.pdf"), f"signer_{p.pk}": p.name, f"role_{p.pk}": "self",
                     f"signed_{p.pk}": today, f"expires_{p.pk}": ""})  # fmt: skip
    return client.post("/verification/new/", data)


@pytest.mark.django_db
def test_request_journey(partner_data, household_in, anyang_user, county_user, assistance_standards):  # noqa: F811
    household, head, spouse = household_in
    town, county = client_for(anyang_user), client_for(county_user)
    assert town.get("/verification/").status_code == 200
    assert town.get("/verification/new/?q=王建国").status_code == 200
    r = town.get(f"/verification/new/?household={household.pk}")
    assert r.status_code == 200 and "李秀英" in r.content.decode() and "授权书" in r.content.decode()

    r = _post_new(town, household, head, spouse, with_spouse=False)
    assert r.status_code == 409 and "没有授权书：李秀英" in r.content.decode()
    assert not VerificationRequest.objects.exists()

    r = _post_new(town, household, head, spouse)
    req = VerificationRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/verification/{req.number}/"
    page = town.get(r["Location"]).content.decode()
    assert req.number in page and "/issue/" not in page  # a township caseworker does not issue
    r = town.get("/verification/")
    assert req.number in r.content.decode() and "已申未出报告" in r.content.decode()
    a = req.authorizations.first()
    r = town.get(f"/verification/{req.number}/authorizations/{a.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")

    assert f"/verification/{req.number}/issue/" in county.get(f"/verification/{req.number}/").content.decode()
    r = county.post(f"/verification/{req.number}/issue/")
    assert r.status_code == 302
    report = VerificationReport.objects.get()
    page = town.get(f"/verification/{req.number}/").content.decode()
    for expected in (report.number, "浙C12345", "机动车", "超出", "低保标准", "采用核对结果"):
        assert expected in page, expected
    assert head.id_number not in page
    r = county.post(f"/verification/{req.number}/issue/")
    assert r.status_code == 409 and "不能再出具报告" in r.content.decode()

    r = town.get(f"/verification/reports/{report.number}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="read", summary__contains=f"下载核对报告 {report.number}").exists()

    r = town.get(f"/verification/reports/{report.number}/adopt/")
    assert r.status_code == 200 and 'value="vehicles" id="item-vehicles" checked' in r.content.decode()
    r = town.post(f"/verification/reports/{report.number}/adopt/", {"items": ["vehicles"], "confirm": "1"})
    assert r.status_code == 302 and HouseholdMeans.objects.get(household=household).vehicles == 1

    r = town.post(f"/verification/reports/{report.number}/appeal/", {"filed_by_name": "王建国", "grounds": "车已卖"})
    assert r.status_code == 302
    appeal = report.appeals.get()
    vehicle = next(b for b in report.findings if b["source"] == "vehicle" and b["rows"])
    key = f"{vehicle['person_id']}|vehicle|vehicle|0"
    r = county.post(f"/verification/appeals/{appeal.pk}/decide/",
                    {"outcome": "corrected", "exclude": [key], "reason": "已过户", "decision": "予以更正"})  # fmt: skip
    assert r.status_code == 302
    v2 = VerificationReport.objects.get(version=2)
    assert not v2.summary["over_limit"]
    page = town.get(f"/verification/{req.number}/").content.decode()
    assert v2.number in page and "已过户" in page and "历次报告" in page


@pytest.mark.django_db
def test_other_regions_are_404_and_grants_403(partner_data, household_in, anyang_user, tangxia_user, county_user,  # noqa: F811
                                               assistance_standards):  # fmt: skip
    household, head, spouse = household_in
    _post_new(client_for(anyang_user), household, head, spouse)
    req = VerificationRequest.objects.get()
    other = client_for(tangxia_user)
    assert other.get(f"/verification/{req.number}/").status_code == 404
    assert other.get(f"/verification/new/?household={household.pk}").status_code == 404
    assert req.number not in other.get("/verification/").content.decode()
    assert client_for(anyang_user).post(f"/verification/{req.number}/issue/").status_code == 403
    assert client_for(anyang_user).get("/verification/batch/").status_code == 403


@pytest.mark.django_db
def test_batch_page_runs_a_job_and_offers_the_excel(partner_data, household_in, county_user, anyang_user,  # noqa: F811
                                                     assistance_standards):  # fmt: skip
    from minzheng.engines.benefits import services as benefits

    household = household_in[0]
    benefits.enrollment_create(user=county_user, program="dibao", household=household, monthly_amount="500",
                               persons_covered=2)  # fmt: skip
    c = client_for(county_user)
    assert c.get("/verification/batch/").status_code == 200
    r = c.post("/verification/batch/", {"program": "dibao", "region": ""})
    job = JobRun.objects.get(kind="verification.batch")
    assert r.status_code == 302 and r["Location"] == f"/verification/batch/{job.pk}/"
    assert c.get(r["Location"]).status_code == 200
    job = job_run(job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    page = c.get(f"/verification/batch/{job.pk}/").content.decode()
    assert "超出标准" in page and "机动车" in page and "下载超标名单" in page
    r = c.get(f"/verification/batch/{job.pk}/file/")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"PK")
    assert client_for(anyang_user).get(f"/verification/batch/{job.pk}/").status_code == 403
    assert c.post("/verification/batch/", {"program": "nonsense"}).status_code == 422
