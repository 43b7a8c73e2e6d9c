"""采用核对结果 in real Chromium (issue 13 item 5): a household investigated with a house and a shop
registered gets a 核对报告 whose sources have no data on either (不动产 has no row of the family,
市场主体登记 has never been loaded). The township opens the adoption page: the investigated figures
beside the report's, "核对来源无该户数据" where the sources said nothing and no box to adopt it, only
the items the report found ticked; it leaves out the car, confirms, and only the ticked items change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from minzheng.business.assistance.models import HouseholdMeans
from minzheng.business.assistance.services import household_means_write, standards_load
from minzheng.engines.verification import services as verification
from minzheng.engines.verification.models import DataSource
from minzheng.engines.verification.report import members_of
from minzheng.engines.verification.store import batch_load
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.registry.models import Household

from .conftest import BROWSER_PASSWORD, browser_db, shot

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"
PDF = b"%PDF-1.4\n% authorisation letter\n"


def load(source: str, rows: list[dict]):
    ds = DataSource.objects.get(code=source)
    names = [c["name"] for c in ds.columns]
    lines = [",".join(names)] + [",".join(str(r.get(n, "")) for n in names) for r in rows]
    batch = batch_load(source=source, data=("\n".join(lines) + "\n").encode(), file_name=f"{source}.csv",
                       user=None, channel="cli")  # fmt: skip
    assert batch.state == "accepted", batch.errors


def months_back(n: int) -> list[str]:
    day, out = timezone.localdate().replace(day=1), []
    for _ in range(n):
        out.append(day.strftime("%Y-%m"))
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return out


def test_adoption_item_by_item_never_takes_nothing_found(pages, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    standards_load()
    county = user_create(username="ra_verifier", password=BROWSER_PASSWORD, display_name="瑞安市核对员",
                         grants=[("approver", RUIAN)])  # fmt: skip
    household = Household.objects.get(pk=world.anyang_households[0])
    members = [m.person for m in members_of(household)]
    head = members[0]
    adult = timezone.localdate().replace(year=timezone.localdate().year - 18)
    # the investigation: wages 30,000 a year, a house, a registered shop, no car
    household_means_write(user=world.anyang_user, household=household, as_of=timezone.localdate(), source="declared",
                          values={"wages_annual": Decimal(30000), "other_income_annual": Decimal(0),
                                  "excluded_income_annual": Decimal(0), "rigid_expense_annual": Decimal(0),
                                  "financial_assets": Decimal(5000), "houses": 1, "non_residential_houses": 0,
                                  "vehicles": 0, "business_registrations": 1, "has_able_supporter": None})  # fmt: skip
    # partner data: 社保 shows a wage, 车管 a car; 不动产 is loaded but has nobody of the family
    load("social_insurance", [{"id_number": head.id_number, "name": head.name, "insurance_type": "employee_pension",
                               "month": m, "monthly_wage_base": "2000.00"} for m in months_back(12)])  # fmt: skip
    load("vehicle", [{"id_number": head.id_number, "name": head.name, "plate_no": "浙C12345",
                      "vehicle_type": "small_passenger", "registered_on": "2024-03-01", "purchase_price": "86000",
                      "status": "normal"}])  # fmt: skip
    load("real_estate", [{"id_number": "110101199003077731", "name": "路人", "certificate_no": "浙(2020)瑞安市不动产权第1号",
                          "property_type": "residential", "area": "80", "registered_on": "2020-01-01"}])  # fmt: skip
    req = verification.verification_request(
        user=world.anyang_user, household=household, purpose="低保申请",
        sources=["social_insurance", "vehicle", "real_estate", "business_registration"],
        authorizations=[{"person": p, "signer_name": p.name if p.birth_date <= adult else head.name,
                         "signer_role": "self" if p.birth_date <= adult else "guardian", "file": PDF,
                         "file_name": f"授权书-{p.pk}.pdf", "signed_at": timezone.localdate(), "expires_at": None}
                        for p in members],
    )  # fmt: skip
    report = verification.report_issue(user=county, request=req)

    page = pages.login(pages.new(), "anyang_acceptor")
    page.goto(f"{pages.base_url}/verification/{req.number}/")
    expect(page.locator("#report")).to_contain_text("无该人员记录")
    page.get_by_role("link", name="采用核对结果").click()
    table = page.locator("table")
    houses = table.locator("tr", has_text="住房")
    expect(houses.first).to_contain_text("核对来源无该户数据")
    expect(houses.first.locator("input[type=checkbox]")).to_have_count(0)
    expect(table.locator("tr", has_text="市场主体登记")).to_contain_text("暂无数据")
    wages = table.locator("tr", has_text="工资性收入")
    expect(wages).to_contain_text("30,000.00")
    expect(wages).to_contain_text("24,000.00")
    expect(page.get_by_label("采用工资性收入")).to_be_checked()
    expect(page.get_by_label("采用机动车")).to_be_checked()
    shot(page, "verification-adopt-items")
    page.get_by_label("采用机动车").uncheck()  # the car was sold: the township keeps its own finding
    page.get_by_role("button", name="下一步：确认").click()
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("请确认")
    expect(confirm).to_contain_text("工资性收入")
    expect(confirm).not_to_contain_text("机动车")
    assert HouseholdMeans.objects.get(household=household).wages_annual == Decimal(30000)  # nothing written yet
    shot(page, "verification-adopt-confirm")
    page.get_by_role("button", name="确认采用").click()
    expect(page.locator("main")).to_contain_text("其余项目保持调查所得")

    means = HouseholdMeans.objects.get(household=household)
    assert means.wages_annual == Decimal("24000.00")
    assert (means.houses, means.business_registrations, means.vehicles) == (1, 1, 0)
    event = AuditEvent.objects.filter(object_type="verification.verificationreport", object_id=str(report.pk),
                                      action="update").get()  # fmt: skip
    assert [i["item"] for i in event.changes["items"]] == ["wages_annual"]
