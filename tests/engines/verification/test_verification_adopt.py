"""采用核对结果 item by item (issue 13 item 5): no record in a source is not zero income. The report
tells per source and member "no data" apart from "data found, amount 0"; adoption shows the
investigated figures beside the report's, adopts by default only what the report found, refuses an
item the sources had no data on, asks for confirmation, and audits each adopted item."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minzheng.business.assistance.models import INCOME_FIELDS, HouseholdMeans
from minzheng.business.assistance.services import household_means_write
from minzheng.business.assistance.verification import (
    means_compare,
    report_adopt,
    report_adoption,
    report_assessment_input,
)
from minzheng.engines.verification import services
from minzheng.engines.verification.report import source_coverage
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.documents.text import pdf_text
from minzheng.foundation.files.services import file_open
from minzheng.foundation.validation import Refused
from tests.engines.verification.test_verification import _var_dir, auth, partner_data  # noqa: F401  (fixtures)

SOURCES = ["social_insurance", "tax", "housing_fund", "bank", "real_estate", "vehicle", "business_registration",
           "medical_expense", "death"]  # fmt: skip
INVESTIGATED = {
    "wages_annual": Decimal("30000.00"), "other_income_annual": Decimal("2400.00"),
    "excluded_income_annual": Decimal("1800.00"), "rigid_expense_annual": Decimal(0),
    "financial_assets": Decimal("5000.00"), "houses": 1, "non_residential_houses": 0, "vehicles": 0,
    "business_registrations": 1, "has_able_supporter": None,
}  # fmt: skip


@pytest.fixture
def report(partner_data, household_in, anyang_user, county_user, assistance_standards):  # noqa: F811
    """The household's means as investigated (a house, a shop registered), then a report whose
    sources have no data on either: 不动产 has no row of the members, 市场主体 and 公积金 no batch."""
    household, head, spouse = household_in
    household_means_write(user=anyang_user, household=household, values=INVESTIGATED,
                          as_of=household.created_at.date(), source="declared")  # fmt: skip
    req = services.verification_request(
        user=anyang_user, household=household, sources=SOURCES, case_number="DB-2026-000123", purpose="低保申请",
        authorizations=[auth(head), auth(spouse)],
    )  # fmt: skip
    return services.report_issue(user=county_user, request=req)


def block(report, person, source):
    return next(b for b in report.findings if b["person_id"] == person.pk and b["source"] == source)


@pytest.mark.django_db
def test_report_tells_no_data_from_data_found_amount_zero(report, household_in):
    _, head, spouse = household_in
    assert source_coverage(block(report, head, "business_registration")) == "no_batch"  # never loaded
    assert source_coverage(block(report, head, "real_estate")) == "no_record"  # loaded, nobody of the family
    assert source_coverage(block(report, spouse, "vehicle")) == "records"  # a scrapped motorbike: data, 0 now
    assert block(report, spouse, "vehicle")["rows"] == [] and block(report, spouse, "vehicle")["records"] == 1
    text = pdf_text(file_open(report.document), compact=True)
    assert "无该户人员记录，不能说明该户情况" in text and "暂无数据" in text


@pytest.mark.django_db
def test_adoption_side_by_side_and_default_only_what_was_found(report, household_in):
    rows = {r["field"]: r for r in report_adoption(report)["rows"]}
    assert (rows["wages_annual"]["investigated"], rows["wages_annual"]["reported"]) == ("30000.00", "20000.00")
    assert rows["wages_annual"]["state"] == "found" and rows["wages_annual"]["default"]
    assert any(s["said"].startswith("有数据") for s in rows["wages_annual"]["sources"])
    for field in ("houses", "business_registrations"):
        r = rows[field]
        assert r["state"] == "no_data" and r["reported"] is None and not r["adoptable"] and not r["default"]
    assert [s["said"] for s in rows["houses"]["sources"]] == ["无该户人员记录"]
    assert [s["said"] for s in rows["business_registrations"]["sources"]] == ["暂无数据"]
    # 社保 and 个税 know the head, and show no other income: data found, amount 0 — may be adopted, not by default
    r = rows["other_income_annual"]
    assert r["state"] == "zero" and r["adoptable"] and not r["default"] and r["reported"] == "0.00"
    assert {f for f, r in rows.items() if r["default"]} == {
        "wages_annual",
        "rigid_expense_annual",
        "financial_assets",
        "vehicles",
    }


@pytest.mark.django_db
def test_adopt_writes_only_the_adopted_items_and_audits_them(report, household_in, county_user):
    household = household_in[0]
    means = report_adopt(user=county_user, report=report)  # the default items
    means.refresh_from_db()
    assert means.wages_annual == Decimal("20000.00") and means.vehicles == 1
    assert means.financial_assets == Decimal("10000.00") and means.rigid_expense_annual == Decimal("2400.00")
    # nothing found is not zero: the investigated house, shop and other income stay
    assert means.houses == 1 and means.business_registrations == 1
    assert means.other_income_annual == Decimal("2400.00") and means.excluded_income_annual == Decimal("1800.00")
    event = AuditEvent.objects.filter(object_type="verification.verificationreport", action="update").latest("pk")
    items = {i["item"]: (i["old"], i["new"]) for i in event.changes["items"]}
    assert items == {"wages_annual": ("30000.00", "20000.00"), "rigid_expense_annual": ("0.00", "2400.00"),
                     "financial_assets": ("5000.00", "10000.00"), "vehicles": ("0", "1")}  # fmt: skip
    assert "工资性收入" in event.summary

    # an item the sources had no data on is refused, and nothing changes
    before = HouseholdMeans.objects.get(household=household).updated_at
    with pytest.raises(Refused, match="住房：核对来源无该户数据"):
        report_adopt(user=county_user, report=report, items=["wages_annual", "houses"])
    with pytest.raises(Refused, match="至少选择一项"):
        report_adopt(user=county_user, report=report, items=[])
    assert HouseholdMeans.objects.get(household=household).updated_at == before
    # a zero the report did find may be adopted on purpose
    report_adopt(user=county_user, report=report, items=["other_income_annual"])
    assert HouseholdMeans.objects.get(household=household).other_income_annual == 0


@pytest.mark.django_db
def test_means_compare_takes_assessment_shaped_dicts(report):
    data = report_assessment_input(report)
    investigated = {**data, "incomes": [{"member": 0, "kind": "wages", "annual_amount": "20000.00"},
                                        {"member": 1, "kind": "business", "annual_amount": "3600.00"}]}  # fmt: skip
    rows = {r["field"]: r for r in means_compare(investigated, data)}
    assert not rows["wages_annual"]["differs"] and rows["wages_annual"]["default"]
    assert rows["other_income_annual"]["differs"]
    assert (rows["other_income_annual"]["investigated"], rows["other_income_annual"]["reported"]) == ("3600.00", "0.00")
    assert not rows["other_income_annual"]["default"]  # a zero without evidence is not adopted by default


@pytest.mark.django_db
def test_workbench_adoption_asks_for_confirmation(report, household_in, client, anyang_user):
    household = household_in[0]
    client.force_login(anyang_user)
    detail = client.get(f"/verification/{report.request.number}/").content.decode()
    assert "以下核对来源无该户数据" in detail and "市场主体登记（暂无数据）" in detail
    url = f"/verification/reports/{report.number}/adopt/"
    page = client.get(url).content.decode()
    for expected in ("调查所得", "核对报告", "核对来源无该户数据", "30,000.00", "20,000.00", "无该户人员记录"):
        assert expected in page, expected
    assert 'value="houses"' not in page  # no box to adopt "nothing found"
    r = client.post(url, {"items": ["wages_annual", "houses"]})
    assert r.status_code == 422 and "住房：核对来源无该户数据" in r.content.decode()
    r = client.post(url, {"items": ["wages_annual"]})
    assert r.status_code == 200 and "请确认" in r.content.decode() and "确认采用" in r.content.decode()
    assert HouseholdMeans.objects.get(household=household).wages_annual == Decimal("30000.00")  # not yet
    r = client.post(url, {"items": ["wages_annual"], "confirm": "1"})
    assert r.status_code == 302
    means = HouseholdMeans.objects.get(household=household)
    assert means.wages_annual == Decimal("20000.00") and means.vehicles == 0 and means.houses == 1


@pytest.mark.django_db
def test_api_report_carries_the_evidence(report, county_user):
    from django.test import Client

    from minzheng.foundation.accounts.services import token_issue

    c = Client(headers={"authorization": f"Bearer {token_issue(user=county_user)}"})
    body = c.get(f"/api/v1/verification/reports/{report.number}").json()
    assert body["evidence"]["houses"]["state"] == "no_data"
    assert body["evidence"]["wages_annual"]["state"] == "found"
    assert body["assessment_input"]["property"]["houses"] == 0  # …which the evidence says is not known


@pytest.mark.django_db
def test_the_generic_pages_adopt_through_the_registered_use_only(report, client, anyang_user, county_user):
    """The workbench's adoption and the API's assessment input come from the line's registration
    (``verification.adoption``): the assistance line registered it; without one the report stands
    alone — no 采用核对结果, the adoption page is 404, the API's assessment input and evidence empty."""
    from django.test import Client

    from minzheng.business.assistance import verification as assistance_verification
    from minzheng.engines.verification.adoption import REPORT_USES, report_use
    from minzheng.foundation.accounts.services import token_issue

    assert report_use().adopt is assistance_verification.report_adopt
    client.force_login(anyang_user)
    api = Client(headers={"authorization": f"Bearer {token_issue(user=county_user)}"})
    detail, url = f"/verification/{report.request.number}/", f"/verification/reports/{report.number}/adopt/"
    assert "采用核对结果" in client.get(detail).content.decode()
    with REPORT_USES.temporarily("means", None):
        assert "采用核对结果" not in client.get(detail).content.decode()
        assert client.get(url).status_code == 404
        body = api.get(f"/api/v1/verification/reports/{report.number}").json()
        assert body["number"] == report.number and body["assessment_input"] == {} and body["evidence"] == {}
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_adoption_keeps_the_incomes_per_kind_where_they_add_up(report, household_in, anyang_user, county_user):
    """Means recorded per kind keep their kinds through adoption item by item (the adopted items'
    kinds from the report, the others as recorded); means without kinds stay without."""
    household = household_in[0]
    means = report_adopt(user=county_user, report=report, items=["wages_annual"])
    means.refresh_from_db()
    assert not means.incomes_by_kind  # the investigated means had no kinds: none are guessed
    kinds = {"incomes_by_kind": True, **dict.fromkeys(INCOME_FIELDS.values(), Decimal(0)),
             "income_wages": Decimal("30000.00"), "income_transfer": Decimal("2400.00"),
             "income_basic_pension": Decimal("1800.00")}  # fmt: skip
    household_means_write(user=anyang_user, household=household, values={**INVESTIGATED, **kinds},
                          as_of=household.created_at.date(), source="declared")  # fmt: skip
    means = report_adopt(user=county_user, report=report, items=["wages_annual"])
    means.refresh_from_db()
    assert means.incomes_by_kind and means.wages_annual == means.income_wages == Decimal("20000.00")
    assert (means.income_transfer, means.income_basic_pension) == (Decimal("2400.00"), Decimal("1800.00"))
    means = report_adopt(user=county_user, report=report, items=["other_income_annual"])  # found 0
    means.refresh_from_db()
    assert means.incomes_by_kind and means.other_income_annual == means.income_transfer == 0
    assert means.income_basic_pension == Decimal("1800.00")
