"""Workbench 数据源 pages: catalog with 逾期, source detail, upload journey through the background
job, refused batch errors in Chinese, batch detail with an audited reveal, permissions."""

import datetime as dt
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minzheng.engines.verification import store
from minzheng.engines.verification.models import SourceBatch
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.jobs.models import JobRun
from tests.conftest import PASSWORD, RUIAN

HEADER = "id_number,name,death_date,cancelled_on,region_code"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


def _wait(job_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = JobRun.objects.get(pk=job_id)
        if job.state in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job did not finish: {job.state} {job.progress} {job.log} {job.error}")


@pytest.mark.django_db
def test_pages_need_sources_view(anyang_user, leader_user):
    township = Client()
    township.force_login(anyang_user)
    assert "数据源" not in township.get("/").content.decode().split("<main>")[0]
    for url in ("/sources/", "/sources/death/", "/sources/death/upload/"):
        assert township.get(url).status_code == 403, url
    leader = Client()
    leader.force_login(leader_user)
    assert ">数据源</a>" in leader.get("/").content.decode()
    assert leader.get("/sources/").status_code == 200
    assert leader.get("/sources/death/").status_code == 200
    assert leader.get("/sources/death/upload/").status_code == 403  # view only
    assert leader.get("/sources/nope/").status_code == 404


@pytest.mark.django_db
def test_list_shows_overdue_and_detail_shows_schema(county_user, ids):
    old = store.batch_load(
        source="death", data=f"{HEADER}\n{ids()},甲,2025-01-01,,\n", file_name="d.csv", user=None,
        channel="cli", as_of=dt.date.today() - dt.timedelta(days=60),
    )  # fmt: skip
    store.batch_load(
        source="vehicle",
        data="id_number,name,plate_no,vehicle_type,registered_on,purchase_price,status,cancelled_on\n"
        f"{ids()},乙,浙C1,truck,2024-01-01,,normal,\n",
        file_name="v.csv",
        user=None,
        channel="cli",
    )
    web = Client()
    web.force_login(county_user)
    page = web.get("/sources/").content.decode()
    death_row = page[page.index("死亡登记") : page.index("</tr>", page.index("死亡登记"))]
    vehicle_row = page[page.index("机动车登记") : page.index("</tr>", page.index("机动车登记"))]
    assert "逾期" in death_row and "第 1 版" in death_row
    assert "逾期" not in vehicle_row and "正常" in vehicle_row
    detail = web.get("/sources/death/").content.decode()
    assert "death_date" in detail and "死亡日期" in detail and "下载表头模板" in detail
    assert f"/sources/batches/{old.pk}/" in detail
    template = web.get("/sources/death/template.csv")
    assert template.content.decode("utf-8-sig").strip() == HEADER


@pytest.mark.django_db(transaction=True)
def test_upload_journey_accepted_then_refused(regions, ids, make_user):
    make_user("county_web", ("approver", RUIAN))
    web = Client()
    assert web.post("/login/", {"username": "county_web", "password": PASSWORD}).status_code == 302
    person = ids()
    good = f"{HEADER}\n{person},王五,2025-03-01,,\n".encode()
    r = web.post(
        "/sources/death/upload/",
        {"file": SimpleUploadedFile("death.csv", good, content_type="text/csv"), "as_of": "2025-03-31"},
    )
    assert r.status_code == 302
    job = _wait(int(r["Location"].rstrip("/").split("/")[-1]))
    assert job.state == "succeeded" and job.result["accepted"], job.error
    batch = SourceBatch.objects.get(pk=job.result["batch"])
    assert batch.channel == "upload" and batch.loaded_by.username == "county_web"
    page = web.get(f"/sources/jobs/{job.pk}/").content.decode()
    assert "已接收：第 1 版" in page
    detail = web.get(f"/sources/batches/{batch.pk}/").content.decode()
    assert "王五" in detail and person not in detail and person[:6] + "********" + person[-4:] in detail
    revealed = web.post(f"/sources/batches/{batch.pk}/reveal/2/")
    assert revealed.status_code == 200 and person in revealed.content.decode()
    assert AuditEvent.objects.filter(action="reveal", object_type="verification.sourcebatch").count() == 1

    bad = f"{HEADER}\n{person},王五,2025-13-01,,\n".encode()
    r = web.post("/sources/death/upload/", {"file": SimpleUploadedFile("bad.csv", bad, content_type="text/csv")})
    job = _wait(int(r["Location"].rstrip("/").split("/")[-1]))
    assert job.state == "succeeded" and not job.result["accepted"]
    page = web.get(f"/sources/jobs/{job.pk}/").content.decode()
    assert "已拒收" in page and "当前数据不变" in page
    refused = SourceBatch.objects.get(pk=job.result["batch"])
    detail = web.get(f"/sources/batches/{refused.pk}/").content.decode()
    assert "死亡日期（death_date）" in detail and "不是有效日期" in detail and "重新上传" in detail
    assert store.current_batches(["death"])["death"] == batch
    assert not list((batch.source and store.batch_path(batch).parent).glob("*.tmp"))


@pytest.mark.django_db
def test_upload_form_refuses_binary_and_future_dates(county_user):
    web = Client()
    web.force_login(county_user)
    r = web.post("/sources/death/upload/", {"file": SimpleUploadedFile("x.csv", b"\x00\x01\x02binary")})
    assert "不是 CSV 或 Excel" in r.content.decode()
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = web.post("/sources/death/upload/", {"file": SimpleUploadedFile("x.csv", b"a,b\n"), "as_of": future})
    assert "不能晚于今天" in r.content.decode()
    assert not JobRun.objects.exists()
