"""批量核对: a small roll against loaded partner batches lists exactly the households over the
limits, with the reasons; the job's result and Excel; the command line."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from openpyxl import load_workbook

from minzheng.engines.benefits import services as benefits
from minzheng.engines.verification.batch import BATCH_JOB, batch_start, quarter
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_open
from minzheng.foundation.jobs.models import JobState
from minzheng.foundation.jobs.services import job_run
from minzheng.foundation.registry import services as registry
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE
from tests.engines.verification.test_verification import load


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


def family(user, region, ids, names, *, births=None):
    people = []
    for i, name in enumerate(names):
        birth = (births or {}).get(i, dt.date(1975, 1, 1 + i))
        people.append(registry.person_create(user=user, data={
            "name": name, "id_number": ids(birth=birth), "hukou_type": "urban", "region_code": region}))  # fmt: skip
    h = registry.household_create(
        user=user, data={"region_code": region, "hukou_type": "urban"}, head=people[0],
        members=[(p, "spouse" if i == 1 else "child") for i, p in enumerate(people[1:], start=1)],
    )  # fmt: skip
    return h, people


@pytest.fixture
def roll(assistance_standards, anyang_user, tangxia_user, county_user, ids):
    """A: a car (over); B: wages 30,000 for one person (over: 2,250 > 1,180); C: small deposits
    (within); D in 塘下: a shop (over); E: a car but not on the roll."""
    a, (_, a2) = family(anyang_user, ANYANG_VILLAGE, ids, ["甲一", "甲二"])
    b, (b1,) = family(anyang_user, ANYANG_VILLAGE, ids, ["乙一"])
    c, (c1, c2) = family(anyang_user, ANYANG_VILLAGE, ids, ["丙一", "丙二"])
    d, (d1,) = family(tangxia_user, TANGXIA_VILLAGE, ids, ["丁一"])
    e, (e1,) = family(anyang_user, ANYANG_VILLAGE, ids, ["戊一"])
    for h, n in ((a, 2), (b, 1), (c, 2), (d, 1)):
        benefits.enrollment_create(
            user=county_user, program="dibao", household=h, monthly_amount="500", persons_covered=n
        )
    year = dt.date.today().year - 1
    load("vehicle", [
        {"id_number": a2.id_number, "name": a2.name, "plate_no": "浙C11111", "vehicle_type": "small_passenger",
         "registered_on": "2023-05-01", "purchase_price": "120000", "status": "normal"},
        {"id_number": e1.id_number, "name": e1.name, "plate_no": "浙C22222", "vehicle_type": "small_passenger",
         "registered_on": "2023-05-01", "status": "normal"},
    ])  # fmt: skip
    load("tax", [
        {"id_number": b1.id_number, "name": b1.name, "tax_year": year, "income_type": "wages", "annual_income": "30000"},
        {"id_number": c1.id_number, "name": c1.name, "tax_year": year, "income_type": "wages", "annual_income": "12000"},
    ])  # fmt: skip
    load("bank", [
        {"id_number": c2.id_number, "name": c2.name, "institution": "农行", "account_no": "62284800001",
         "product_type": "deposit", "balance": "5000"},
    ])  # fmt: skip
    load("real_estate", [
        {"id_number": d1.id_number, "name": d1.name, "certificate_no": "浙(2021)瑞安市不动产权第0000009号",
         "property_type": "non_residential", "area": "30", "registered_on": "2021-01-01"},
    ])  # fmt: skip
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def rows_of(data: bytes) -> list[dict]:
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_quarter():
    assert quarter(dt.date(2026, 11, 24)) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert quarter(dt.date(2026, 1, 1)) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert quarter(dt.date(2026, 6, 30)) == (dt.date(2026, 4, 1), dt.date(2026, 7, 1))


@pytest.mark.django_db
def test_batch_job_lists_exactly_the_households_over_the_limits(roll, county_user):
    job = batch_start(user=county_user, program="dibao", run=False)
    assert job.kind == BATCH_JOB and job.params == {"program": "dibao", "region": "330381"}
    job = job_run(job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    r = job.result
    assert (r["households"], r["persons"], r["over_limit"]) == (4, 6, 3)
    assert r["by_reason"] == {"家庭人均月收入": 1, "非住宅房产": 1, "机动车": 1}
    assert r["batches"]["vehicle"] and r["batches"]["death"] is None
    assert set(r["seconds"]) >= {"cohort", "findings", "judge", "total"}
    stored = StoredFile.objects.get(pk=r["report"])
    rows = rows_of(file_open(stored))
    assert {x["家庭编号"] for x in rows} == {roll["A"].number, roll["B"].number, roll["D"].number}
    by_number = {x["家庭编号"]: x for x in rows}
    assert "机动车 1 辆，超过 0 辆" in by_number[roll["A"].number]["超标原因"]
    assert by_number[roll["B"].number]["家庭人均月收入"] == 2250
    assert "家庭人均月收入" in by_number[roll["B"].number]["超标原因"]
    assert by_number[roll["A"].number]["户主"] == "甲一" and "*" in by_number[roll["A"].number]["户主身份证号（脱敏）"]
    assert job.percent == 100 and "完成" in job.log


@pytest.mark.django_db
def test_batch_by_region_and_permissions(roll, county_user, anyang_user, make_user):
    job = job_run(batch_start(user=county_user, program="dibao", region="330381001", run=False).pk)
    assert (job.result["households"], job.result["over_limit"]) == (3, 2)
    with pytest.raises(PermissionDenied):
        batch_start(user=anyang_user, program="dibao", run=False)
    other = make_user("tangxia_approver", ("approver", "330381101000"))
    with pytest.raises(PermissionDenied):
        batch_start(user=other, program="dibao", region="330381001", run=False)
    job = job_run(batch_start(user=county_user, program="tekun", run=False).pk)
    assert (job.result["households"], job.result["over_limit"]) == (0, 0)
    job = job_run(batch_start(user=county_user, program="due_review", run=False).pk)
    assert job.state == JobState.SUCCEEDED, job.error


@pytest.mark.django_db
def test_cli_batch(roll, capsys, tmp_path):
    out = tmp_path / "over.xlsx"
    call_command("verify", "batch", "--program", "dibao", "--region", "330381001", "--out", str(out))
    data = json.loads(capsys.readouterr().out)
    assert data == {"households": 3, "over_limit": 2, "report": str(out)}
    assert {x["家庭编号"] for x in rows_of(out.read_bytes())} == {roll["A"].number, roll["B"].number}


@pytest.mark.django_db
def test_batch_of_every_roll_is_the_sum_of_the_programs(roll, county_user):
    benefits.enrollment_create(
        user=county_user, program="dibao_edge", household=roll["E"], monthly_amount="0", persons_covered=1
    )
    per_program = [
        job_run(batch_start(user=county_user, program=p, run=False).pk).result for p in ("dibao", "dibao_edge")
    ]
    every = job_run(batch_start(user=county_user, program="all", run=False).pk).result
    assert every["households"] == sum(r["households"] for r in per_program) == 5
    assert every["over_limit"] == sum(r["over_limit"] for r in per_program)
    listed = {x["家庭编号"] for x in rows_of(file_open(StoredFile.objects.get(pk=every["report"])))}
    assert roll["A"].number in listed and roll["C"].number not in listed
