"""家庭经济状况核对: the request and its 授权书, the report over loaded partner batches (findings,
batch ids, summary against the standards, the PDF), adopting it as the household's means, the 复议
with a corrected version, and the API's region scoping."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from minzheng.business.assistance.assessment import assessment_run
from minzheng.business.assistance.models import HouseholdMeans
from minzheng.business.assistance.verification import report_adopt, report_assessment_input
from minzheng.engines.verification import services
from minzheng.engines.verification.models import (
    Authorization,
    DataSource,
    ReportAppeal,
    RequestState,
    VerificationReport,
    VerificationRequest,
)
from minzheng.engines.verification.store import batch_load
from minzheng.foundation.accounts.services import token_issue
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.documents.text import pdf_text
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_open
from minzheng.foundation.validation import Refused

PDF = b"%PDF-1.4\n% authorisation letter\n"
ALL_SOURCES = [
    "death", "cremation", "vehicle", "real_estate", "social_insurance", "unemployment", "business_registration",
    "housing_fund", "tax", "bank", "medical_expense", "disability_certificate", "student_aid",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


def load(source: str, rows: list[dict], *, as_of: dt.date | None = None):
    """A partner batch through the real loader (CSV with every declared column)."""
    ds = DataSource.objects.get(code=source)
    names = [c["name"] for c in ds.columns]
    lines = [",".join(names)] + [",".join(str(r.get(n, "")) for n in names) for r in rows]
    batch = batch_load(
        source=source, data=("\n".join(lines) + "\n").encode(), file_name=f"{source}.csv", user=None,
        channel="cli", as_of=as_of,
    )  # fmt: skip
    assert batch.state == "accepted", batch.errors
    return batch


def months_back(n: int) -> list[str]:
    """The last ``n`` months (YYYY-MM), this month included."""
    day = timezone.localdate().replace(day=1)
    out = []
    for _ in range(n):
        out.append(day.strftime("%Y-%m"))
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return out


def auth(person, *, role="self", signer=None, signed=None, expires=None, data=PDF):
    return {
        "person": person,
        "signer_name": signer or person.name,
        "signer_role": role,
        "file": data,
        "file_name": f"授权书-{person.pk}.pdf",
        "signed_at": signed or timezone.localdate(),
        "expires_at": expires,
    }


@pytest.fixture
def partner_data(household_in, household_other, ids):
    """Batches of every source: the head earns (社保 6 months × 3,000, 个税 20,000 for last year),
    owns a car; the spouse has 10,000 in deposits; a stranger has a house and a company."""
    _, head, spouse = household_in
    _, other_head = household_other
    stranger = ids(birth=dt.date(1980, 3, 3))
    last_year = timezone.localdate().year - 1
    b = {}
    b["social_insurance"] = load("social_insurance", [
        {"id_number": head.id_number, "name": head.name, "insurance_type": "employee_pension", "month": m,
         "monthly_wage_base": "3000.00", "contribution": "240", "employer": "瑞安某厂"}
        for m in months_back(6)
    ] + [{"id_number": stranger, "name": "路人", "insurance_type": "employee_pension", "month": months_back(1)[0],
          "monthly_wage_base": "9000"}])  # fmt: skip
    b["tax"] = load("tax", [
        {"id_number": head.id_number, "name": head.name, "tax_year": last_year, "income_type": "wages",
         "annual_income": "20000.00", "withholder": "瑞安某厂"},
        {"id_number": head.id_number, "name": head.name, "tax_year": last_year - 1, "income_type": "wages",
         "annual_income": "99000.00"},
    ])  # fmt: skip
    b["vehicle"] = load("vehicle", [
        {"id_number": head.id_number, "name": head.name, "plate_no": "浙C12345", "vehicle_type": "small_passenger",
         "registered_on": "2024-03-01", "purchase_price": "86000", "status": "normal"},
        {"id_number": spouse.id_number, "name": spouse.name, "plate_no": "浙C99999", "vehicle_type": "motorcycle",
         "registered_on": "2010-03-01", "status": "scrapped", "cancelled_on": "2020-01-01"},
    ])  # fmt: skip
    b["bank"] = load("bank", [
        {"id_number": spouse.id_number, "name": spouse.name, "institution": "瑞安农商银行", "account_no": "6228480012345678",
         "product_type": "deposit", "balance": "10000.00"},
    ])  # fmt: skip
    b["real_estate"] = load("real_estate", [
        {"id_number": stranger, "name": "路人", "certificate_no": "浙(2020)瑞安市不动产权第0000001号",
         "property_type": "non_residential", "area": "50", "registered_on": "2020-01-01"},
        {"id_number": other_head.id_number, "name": other_head.name, "certificate_no": "浙(2019)瑞安市不动产权第0000002号",
         "property_type": "residential", "area": "120.5", "share": "100", "registered_on": "2019-01-01"},
    ])  # fmt: skip
    b["medical_expense"] = load("medical_expense", [
        {"id_number": spouse.id_number, "name": spouse.name, "settled_on": (timezone.localdate() - dt.timedelta(days=40)).isoformat(),
         "visit_type": "inpatient", "total_cost": "8000", "fund_paid": "5600", "out_of_pocket": "2400"},
    ])  # fmt: skip
    return b


def make_request(user, household, head, spouse, **kw):
    return services.verification_request(
        user=user, household=household, sources=kw.pop("sources", ALL_SOURCES), case_number="DB-2026-000123",
        purpose="低保申请", authorizations=kw.pop("authorizations", [auth(head), auth(spouse)]), **kw,
    )  # fmt: skip


# ---------------------------------------------------------------- the request


@pytest.mark.django_db
def test_request_without_authorisations_is_refused_and_nothing_written(household_in, anyang_user, tangxia_user, ids):
    household, head, spouse = household_in
    files_before = StoredFile.objects.count()
    with pytest.raises(Refused, match="没有授权书：李秀英"):
        make_request(anyang_user, household, head, spouse, authorizations=[auth(head)])
    with pytest.raises(Refused, match="没有授权书"):
        make_request(anyang_user, household, head, spouse, authorizations=[])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(Refused, match=r"已于 .* 过期"):
        make_request(anyang_user, household, head, spouse, authorizations=[auth(head), auth(spouse, expires=yesterday)])
    with pytest.raises(Refused, match="在世，继承人不能代为签署"):
        make_request(anyang_user, household, head, spouse, authorizations=[auth(head), auth(spouse, role="heir")])
    with pytest.raises(Refused, match="请至少选择一项核对项目"):
        make_request(anyang_user, household, head, spouse, sources=[])
    with pytest.raises(PermissionDenied):
        make_request(tangxia_user, household, head, spouse)
    assert not VerificationRequest.objects.exists() and not Authorization.objects.exists()
    assert StoredFile.objects.count() == files_before


@pytest.mark.django_db
def test_a_minor_needs_a_guardian_and_a_deceased_member_an_heir(household_in, anyang_user, ids):
    from minzheng.foundation.registry import services as registry

    household, head, spouse = household_in
    child = registry.person_create(user=anyang_user, data={
        "name": "王小明", "id_number": ids(birth=timezone.localdate().replace(year=timezone.localdate().year - 8)),
        "hukou_type": "urban", "region_code": household.region_code})  # fmt: skip
    registry.membership_add(user=anyang_user, household=household, person=child, relation="child")
    with pytest.raises(Refused, match="王小明未满18周岁，授权书须由监护人签署"):
        make_request(anyang_user, household, head, spouse, authorizations=[auth(head), auth(spouse), auth(child)])
    spouse.death_date = timezone.localdate() - dt.timedelta(days=30)
    spouse.save(update_fields=["death_date"])
    with pytest.raises(Refused, match="李秀英已死亡，授权书须由继承人签署"):
        make_request(anyang_user, household, head, spouse, authorizations=[
            auth(head), auth(spouse), auth(child, role="guardian", signer="王建国")])  # fmt: skip
    req = make_request(anyang_user, household, head, spouse, authorizations=[
        auth(head), auth(spouse, role="heir", signer="王建国"), auth(child, role="guardian", signer="王建国")])  # fmt: skip
    assert req.number.startswith(f"HD{timezone.localdate().year}") and req.state == RequestState.REQUESTED
    assert req.due > timezone.localdate() and req.office_code == household.region_code[:9] + "000"
    assert req.authorizations.count() == 3 and req.authorizations.get(person=child).signer_role == "guardian"
    assert AuditEvent.objects.filter(object_type="verification.verificationrequest", object_id=str(req.pk)).exists()


# ---------------------------------------------------------------- the report


@pytest.fixture
def issued(partner_data, household_in, anyang_user, county_user, assistance_standards):
    household, head, spouse = household_in
    req = make_request(anyang_user, household, head, spouse)
    report = services.report_issue(user=county_user, request=req)
    return req, report


@pytest.mark.django_db
def test_report_finds_the_right_items_over_the_current_batches(issued, partner_data, household_in):
    req, report = issued
    _, head, spouse = household_in
    req.refresh_from_db()
    assert req.state == RequestState.REPORTED and report.version == 1
    assert report.batches["vehicle"] == partner_data["vehicle"].pk and report.batches["tax"] == partner_data["tax"].pk
    assert report.batches["death"] is None  # no batch loaded yet: read as empty, recorded as such
    assert set(report.batches) == set(ALL_SOURCES)

    def rows(person, source):
        return next(b for b in report.findings if b["person_id"] == person.pk and b["source"] == source)["rows"]

    si = rows(head, "social_insurance")
    assert [(r["item"], r["annual_amount"], r["count"]) for r in si] == [("insured_wages", "18000.00", 6)]
    tax = rows(head, "tax")
    assert [(r["income_kind"], r["annual_amount"]) for r in tax] == [("wages", "20000.00")]  # the latest year only
    assert [(r["property_kind"], r["count"], r["value"]) for r in rows(head, "vehicle")] == [
        ("vehicles", 1, "86000.00")
    ]
    assert "浙C12345" in rows(head, "vehicle")[0]["detail"]
    assert rows(spouse, "vehicle") == []  # scrapped
    assert [(r["item"], r["value"]) for r in rows(spouse, "bank")] == [("deposit", "10000.00")]
    assert rows(spouse, "medical_expense")[0]["annual_amount"] == "2400.00"
    assert all(b["rows"] == [] for b in report.findings if b["source"] == "real_estate")  # strangers' houses
    block = next(b for b in report.findings if b["source"] == "vehicle")
    assert block["batch_version"] == 1 and block["id_masked"] and "*" in block["id_masked"]

    s = report.summary
    assert s["members"] == 2
    # the same wage in 社保 (18,000) and 个税 (20,000) counts once, at the higher amount
    assert [(i["kind"], i["annual"]) for i in s["income"]] == [("wages", "20000.00")]
    checks = {c["code"]: c for c in s["checks"]}
    # (20,000 × 0.9 − 2,400 medical) / 12 / 2 = 650.00 < 1,180
    assert checks["income"]["actual"] == "650.00" and checks["income"]["limit"] == "1180.00"
    assert not checks["income"]["over"] and "低保标准 1,180.00" in checks["income"]["standard"]
    assert checks["financial_assets"]["limit"] == "56640.00" and not checks["financial_assets"]["over"]
    assert checks["vehicles"]["over"] and (checks["vehicles"]["actual"], checks["vehicles"]["limit"]) == ("1", "0")
    assert s["over_limit"] and s["reasons"] == ["机动车"]
    assert AuditEvent.objects.filter(object_type="verification.verificationreport", object_id=str(report.pk)).exists()


@pytest.mark.django_db
def test_report_pdf_shows_the_findings_and_no_full_id_number(issued, household_in):
    req, report = issued
    _, head, spouse = household_in
    text = pdf_text(file_open(report.document), compact=True)
    for expected in ("家庭经济状况核对报告", report.number, req.number, "王建国", "李秀英", "浙C12345", "瑞安农商银行",
                     "机动车", "超出", "第1版"):  # fmt: skip
        assert expected in text, expected
    for person in (head, spouse):
        assert person.id_number not in text and person.id_number_masked in text


@pytest.mark.django_db
def test_only_a_county_issuer_issues_and_only_once(partner_data, household_in, anyang_user, county_user,
                                                    make_user, assistance_standards):  # fmt: skip
    household, head, spouse = household_in
    req = make_request(anyang_user, household, head, spouse)
    with pytest.raises(PermissionDenied):
        services.report_issue(user=anyang_user, request=req)
    township_approver = make_user("tx_approver", ("approver", "330381001000"))
    with pytest.raises(PermissionDenied, match="县级"):
        services.report_issue(user=township_approver, request=req)
    services.report_issue(user=county_user, request=req)
    with pytest.raises(Refused, match="已出报告"):
        services.report_issue(user=county_user, request=req)
    assert VerificationReport.objects.count() == 1


@pytest.mark.django_db
def test_adopt_writes_the_means_and_the_assessment_takes_the_input(issued, household_in, county_user):
    _, report = issued
    household = household_in[0]
    data = report_assessment_input(report)
    assert data["region_code"] == household.region_code and len(data["members"]) == 2
    assert data["incomes"] == [{"member": 0, "kind": "wages", "annual_amount": "20000.00"}]
    assert data["expenses"] == [{"kind": "medical", "annual_amount": "2400.00"}]
    assert data["property"]["vehicles"] == 1 and data["property"]["financial_assets"] == "10000.00"
    result = assessment_run(data)
    assert result["classification"] == "not_eligible" and result["property_ok"] is False

    report_adopt(user=county_user, report=report)
    means = HouseholdMeans.objects.get(household=household)
    assert means.source == "verification" and means.wages_annual == Decimal("20000.00")
    assert means.vehicles == 1 and means.financial_assets == Decimal("10000.00")
    assert means.rigid_expense_annual == Decimal("2400.00")
    assert AuditEvent.objects.filter(object_type="assistance.householdmeans").exists()
    assert AuditEvent.objects.filter(summary__contains=f"采用核对报告 {report.number}").exists()


@pytest.mark.django_db
def test_appeal_corrected_gives_version_2_and_upheld_keeps_the_report(issued, household_in, anyang_user, county_user):
    req, report = issued
    household, head, _ = household_in
    appeal = services.appeal_file(user=anyang_user, report=report, grounds="车辆已出售", filed_by_name="王建国")
    req.refresh_from_db()
    assert req.state == RequestState.APPEALED
    with pytest.raises(Refused, match="已有复议"):
        services.appeal_file(user=anyang_user, report=report, grounds="再议", filed_by_name="王建国")
    with pytest.raises(PermissionDenied):
        services.appeal_decide(user=anyang_user, appeal=appeal, upheld=True, decision="维持")
    with pytest.raises(Refused, match="未找到对应的核对结果"):
        services.appeal_decide(user=county_user, appeal=appeal, upheld=False, decision="更正", corrections=[
            {"person_id": head.pk, "source": "vehicle", "item": "boat", "action": "exclude", "reason": "x"}])  # fmt: skip
    assert VerificationReport.objects.count() == 1  # the refused correction wrote nothing

    appeal = services.appeal_decide(user=county_user, appeal=appeal, upheld=False, decision="车辆已于上月过户，予以更正",
                                    corrections=[{"person_id": head.pk, "source": "vehicle", "item": "vehicle",
                                                  "action": "exclude", "reason": "已过户（附过户证明）"}])  # fmt: skip
    v2 = appeal.corrected_report
    assert appeal.state == "corrected" and v2.version == 2 and v2.request_id == req.pk and v2.number != report.number
    assert not v2.summary["over_limit"] and v2.summary["corrections"][0]["reason"] == "已过户（附过户证明）"
    assert "已过户" in pdf_text(file_open(v2.document), compact=True)
    req.refresh_from_db()
    assert req.state == RequestState.REPORTED
    with pytest.raises(Refused, match="只能采用最新版本"):
        report_adopt(user=county_user, report=report)
    report_adopt(user=county_user, report=v2)
    assert HouseholdMeans.objects.get(household=household).vehicles == 0

    second = services.appeal_file(user=anyang_user, report=v2, grounds="存款有误", filed_by_name="李秀英")
    second = services.appeal_decide(user=county_user, appeal=second, upheld=True, decision="经核实，维持")
    assert second.state == "upheld" and second.corrected_report is None
    assert ReportAppeal.objects.count() == 2 and VerificationReport.objects.count() == 2


# ---------------------------------------------------------------- API and CLI


def api(user) -> Client:
    return Client(headers={"authorization": f"Bearer {token_issue(user=user)}"})


@pytest.mark.django_db
def test_api_report_scoped_to_regions(issued, anyang_user, tangxia_user, household_in):
    _, report = issued
    r = api(anyang_user).get(f"/api/v1/verification/reports/{report.number}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["number"] == report.number and body["batches"] == report.batches
    assert body["assessment_input"]["incomes"][0]["annual_amount"] == "20000.00"
    assert household_in[1].id_number not in r.content.decode()
    r = api(tangxia_user).get(f"/api/v1/verification/reports/{report.number}")
    assert r.status_code == 404 and "找不到" in r.json()["detail"]
    assert api(anyang_user).get("/api/v1/verification/reports/HB0000").status_code == 404
    partner = token_issue(user=anyang_user, scopes=["sources:death"])
    r = Client(headers={"authorization": f"Bearer {partner}"}).get(f"/api/v1/verification/reports/{report.number}")
    assert r.status_code == 401


@pytest.mark.django_db
def test_cli_report_json(issued, capsys):
    _, report = issued
    call_command("verify", "report", report.number)
    data = json.loads(capsys.readouterr().out)
    assert data["number"] == report.number and data["summary"]["reasons"] == ["机动车"]
