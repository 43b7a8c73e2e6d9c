"""Nobody recorded dead is paid, and approval is announced and confirmed (issue 13 items 1 and 3),
in real Chromium: the 公安 death register records the payee of one 低保 household and the 火化
register a member of another; a county finance officer generates the month's cycle and finds both
lines held with their reasons, is told that another officer must approve (no button), and releases
the payee's hold with a reason after checking; the second finance officer finds the cycle on the
home page and in the messages, opens the approve page at phone width, sees the totals, the held and
released lines and the line without a bank account, is refused without ticking the confirmation,
then approves; the bank file leaves the held line out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from minzheng.business.assistance.services import standards_load
from minzheng.business.assistance.sources import SOURCES
from minzheng.engines.benefits import services as benefits
from minzheng.engines.benefits.models import CycleState, LineStatus, PaymentCycle
from minzheng.engines.verification.store import batch_load
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.registry import services as registry
from minzheng.foundation.registry.models import Household, Membership

from .conftest import BROWSER_PASSWORD, browser_db, nav_link, shot

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"
PHONE_390 = {"width": 390, "height": 844}
COLUMNS = {s["code"]: [c["name"] for c in s["columns"]] for s in SOURCES}


def load(source: str, rows: list[dict]) -> None:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS[source], lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    batch = batch_load(source=source, data=out.getvalue().encode(), file_name=f"{source}.csv", user=None,
                       channel="cli")  # fmt: skip
    assert batch.state == "accepted", batch.errors


def living(household_ids, n: int) -> list[tuple[Household, list]]:
    """``n`` households with at least two living members, the head among them."""
    out = []
    for pk in household_ids:
        h = Household.objects.select_related("head").get(pk=pk)
        people = [
            m.person
            for m in Membership.objects.filter(household=h, valid_to__isnull=True, person__death_date__isnull=True)
            .select_related("person")
            .order_by("person_id")
        ]
        if len(people) >= 2 and h.head_id in {p.pk for p in people}:
            out.append((h, people))
        if len(out) == n:
            return out
    raise AssertionError("not enough households with two living members")


def test_held_lines_are_seen_released_with_a_reason_and_approved_with_confirmation(pages, world, tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    standards_load()
    for name in ("ra_finance", "ra_finance2"):
        user_create(username=name, password=BROWSER_PASSWORD, display_name=name, grants=[("finance", RUIAN)])
    county = user_create(username="ra_approver", password=BROWSER_PASSWORD, grants=[("approver", RUIAN)])
    month = timezone.localdate().replace(day=1)
    start = (month - dt.timedelta(days=150)).replace(day=1)
    (dead_payee_home, _), (widow_home, people_b), (clean_home, _) = living(world.anyang_households, 3)
    for i, h in enumerate((dead_payee_home, widow_home, clean_home)):
        registry.household_update(user=None, household=h, data={"bank_account": f"62284800123456{i:05d}"})
        benefits.enrollment_create(user=county, program="dibao", household=h, monthly_amount=f"{700 + 100 * i}.00",
                                   persons_covered=2, start_month=start)  # fmt: skip
    registry.household_update(user=None, household=clean_home, data={"bank_account": ""})
    payee = dead_payee_home.head
    member = next(p for p in people_b if p.pk != widow_home.head_id)
    died = month - dt.timedelta(days=12)
    load("death", [{"id_number": payee.id_number, "name": payee.name, "death_date": died}])
    load("cremation", [{"id_number": member.id_number, "name": member.name, "death_date": died,
                        "cremated_on": died + dt.timedelta(days=2), "funeral_home": "瑞安市殡仪馆"}])  # fmt: skip

    # 1. the maker generates the month's cycle: two lines held, with their reasons
    maker = pages.login(pages.new(), "ra_finance")
    nav_link(maker, "发放", exact=True).click()
    generate = maker.locator("#generate")
    generate.get_by_label("保障项目").select_option("dibao")
    generate.get_by_label("发放月份").fill(f"{month:%Y-%m}")
    generate.get_by_label("发放区划").select_option(RUIAN)
    generate.get_by_role("button", name="生成").click()
    expect(maker.locator("#job")).to_contain_text("计算完成", timeout=30_000)
    maker.get_by_role("link", name="查看发放批次").click()
    held = maker.locator("#held")
    expect(held).to_contain_text("暂缓发放（2 笔，1,500.00 元）")
    expect(held.locator("tr", has_text=f"收款人{payee.name}")).to_contain_text("公安死亡登记")
    expect(held.locator("tr", has_text=f"保障成员{member.name}")).to_contain_text("增减员")
    expect(maker.locator("#flagged")).to_contain_text("未登记银行账号 1 笔，900.00 元")
    # no approve button for the maker: who must approve instead
    approve = maker.locator("#approve")
    expect(approve).to_contain_text("该批次由您计算，请由另一位财务人员审批")
    expect(approve).to_contain_text("ra_finance2")
    expect(approve.get_by_role("button")).to_have_count(0)
    expect(approve.get_by_role("link")).to_have_count(0)
    shot(maker, "payroll-01-held-lines")

    # the maker checks the payee and releases that hold, with a reason
    row = held.locator("tr", has_text=f"收款人{payee.name}")
    row.get_by_label("解除理由").fill("经入户核实，死亡登记系同名误录，公安已出具更正说明")
    row.get_by_role("button", name="解除暂缓").click()
    expect(maker.locator(".messages")).to_contain_text("已解除序号")
    expect(maker.locator("#held")).to_contain_text("暂缓发放（1 笔，800.00 元）")
    cycle = PaymentCycle.objects.get()
    assert (cycle.state, cycle.held_lines, cycle.held_total) == (CycleState.CALCULATED, 1, Decimal("800.00"))

    # 2. the other finance officer: a to-do on the home page and a message
    checker = pages.login(pages.new(viewport=PHONE_390), "ra_finance2")
    todo = checker.locator("#payroll-todo")
    expect(todo).to_contain_text(f"{month.year}年{month.month}月低保（瑞安市）")
    expect(todo).to_contain_text("暂缓发放 1 笔")
    assert checker.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    shot(checker, "phone-payroll-02-home-todo")
    checker.goto(f"{pages.base_url}/messages/")
    expect(checker.locator("main")).to_contain_text("待审批")
    checker.go_back()
    checker.locator("#payroll-todo").get_by_role("link", name=re.compile("核对并审批")).click()

    # 3. the approve page: totals, held and released lines, the line without an account
    figures = checker.locator("#figures")
    expect(figures).to_contain_text("2,400.00 元")
    expect(figures).to_contain_text("1 笔，800.00 元")  # held
    expect(figures).to_contain_text("2 笔，1,600.00 元")  # to be paid
    expect(checker.locator("#held")).to_contain_text("已由ra_finance")
    expect(checker.locator("#held")).to_contain_text("同名误录")
    expect(checker.locator("#flagged")).to_contain_text("未登记银行账号")
    assert checker.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    shot(checker, "phone-payroll-03-approve-page")
    checker.locator("#approve").get_by_role("button").click()  # not ticked
    expect(checker.locator("#approve")).to_contain_text("请先核对并勾选")
    assert PaymentCycle.objects.get().state == CycleState.CALCULATED
    checker.get_by_label(re.compile("我已核对")).check()
    checker.locator("#approve").get_by_role("button", name=re.compile("审批：拨付 2 笔")).click()
    expect(checker.locator(".messages")).to_contain_text("暂缓发放 1 笔 800.00 元不导出、不拨付")
    shot(checker, "phone-payroll-04-approved")

    # 4. the bank file leaves the held line out
    maker.reload()
    with maker.expect_download() as download:
        maker.locator("#export").get_by_role("button", name="下载银行文件").click()
    content = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert payee.name in content and widow_home.head.name not in content
    assert PaymentCycle.objects.get().entitlements.filter(status=LineStatus.HELD).count() == 1
