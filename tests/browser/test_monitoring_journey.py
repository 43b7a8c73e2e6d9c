"""Partner data to a handled alert, in real Chromium: the county loads the 公安 death register
(first a file with a bad row, refused whole, then the corrected one), runs the monitoring rules;
the township sees the alert for its household whose member died while on the 低保 roll, opens a
re-check (复核认定) — a review case — and finds both on the household's assistance chain (救助链)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from minzheng.business.assistance.services import standards_load
from minzheng.engines.benefits import services as benefits
from minzheng.engines.cases.models import Case
from minzheng.engines.monitoring.models import Alert, AlertState
from minzheng.engines.verification.models import SourceBatch
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.registry.models import Household, Membership

from .conftest import ANYANG, BROWSER_PASSWORD, browser_db, nav_link, shot

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"
HEADER = "id_number,name,death_date,cancelled_on,region_code"


def test_death_record_becomes_a_handled_alert(pages, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    standards_load()
    county = user_create(username="ra_approver", password=BROWSER_PASSWORD, display_name="瑞安市审批员",
                         grants=[("approver", RUIAN)])  # fmt: skip
    household = Household.objects.get(pk=world.anyang_households[0])
    members = list(Membership.objects.filter(household=household, valid_to__isnull=True).select_related("person"))
    benefits.enrollment_create(
        user=county, program="dibao", household=household, monthly_amount="600", persons_covered=len(members)
    )
    member = members[-1].person
    died = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    bad = tmp_path / "死亡登记-有误.csv"
    bad.write_text(f"{HEADER}\n{member.id_number},{member.name},{died},,\n110101199003070000,某某,2026-13-01,,\n")
    good = tmp_path / "死亡登记.csv"
    good.write_text(f"{HEADER}\n{member.id_number},{member.name},{died},,\n")

    # 1. the county's 核对 office loads the death register: the bad file is refused whole
    page = pages.login(pages.new(), "ra_approver")
    nav_link(page, "数据源").click()
    page.get_by_role("link", name="死亡登记").first.click()
    page.get_by_role("link", name="上传").first.click()
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#job [role=alert]")).to_contain_text("已拒收", timeout=30_000)
    page.get_by_role("link", name="查看批次与全部错误").click()
    errors = page.locator("table").last
    expect(errors.locator("tr", has_text="身份证号校验位错误")).to_contain_text("3")
    expect(errors).to_contain_text("不是有效日期")
    shot(page, "sources-batch-refused")
    assert not SourceBatch.objects.filter(state="accepted").exists()
    page.get_by_role("link", name="重新上传").click()
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#job")).to_contain_text("已接收：第 1 版", timeout=30_000)

    # 2. run every rule now
    nav_link(page, "预警").click()
    page.get_by_role("link", name="监测规则").first.click()
    page.get_by_role("button", name="立即运行全部规则").click()
    page.wait_for_function(
        "() => !document.querySelector('[hx-trigger]') || /完成|已完成|成功/.test(document.body.innerText)",
        timeout=60_000,
    )
    alert = Alert.objects.get(rule_id="member_deceased")
    assert alert.household_id == household.pk and alert.office_code == ANYANG

    # 3. the township handles it: a re-check opens a review case
    township = pages.login(pages.new(), "anyang_acceptor")
    nav_link(township, "预警").click()
    expect(township.locator("main")).to_contain_text(alert.number)
    township.get_by_role("link", name=alert.number).click()
    expect(township.locator("main")).to_contain_text(member.name)
    expect(township.locator("main")).to_contain_text(died)
    shot(township, "monitoring-alert")
    township.get_by_label("复核认定").check()
    township.get_by_label("处置情况").fill("保障对象家庭成员已死亡，发起复核，核减保障人数。")
    township.get_by_role("button", name="保存处置").click()
    case = Case.objects.get(household=household, case_type__code="assistance_review")
    expect(township.locator("main")).to_contain_text(case.number)
    alert.refresh_from_db()
    assert alert.state != AlertState.OPEN and alert.handlings.get().case_number == case.number

    # 4. the household's assistance chain shows the alert and its handling
    township.goto(f"{pages.base_url}/households/{household.pk}/")
    township.get_by_role("link", name="救助链").click()
    chain = township.locator("main")
    expect(chain).to_contain_text(alert.number)
    expect(chain).to_contain_text("复核认定")
    shot(township, "assistance-chain")
