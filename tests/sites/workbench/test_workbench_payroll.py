"""Issue 13 items 1–4 on the workbench: the approve page (totals, held lines, lines without a bank
account, explicit confirmation checked on the server), the maker told that another officer must
approve (no button that can only fail), releasing a hold with a reason, the to-do on the other
finance officer's home page, and the layouts a result file may come back in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from minzheng.engines.benefits import payroll
from minzheng.engines.benefits.models import CycleState, EntitlementHold, LineStatus, PaymentCycle
from minzheng.foundation.audit.models import AuditEvent
from tests.engines.benefits.test_payroll_holds import died, finance, load, roll, this_month  # noqa: F401  (fixtures)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def cycle(roll, finance):  # noqa: F811
    """This month's 低保 cycle of 瑞安市, calculated by finance_a: 陈志明's line is held (a death
    record) and 王建国's line has an account; 陈志明 has none."""
    _, _, plain = roll
    load("death", [died("陈志明", plain, this_month() - dt.timedelta(days=12))])
    return payroll.payroll_generate(user=finance[0], program="dibao", month=this_month())


@pytest.mark.django_db
def test_the_approve_page_shows_figures_held_and_flagged_lines_and_wants_confirmation(cycle, finance):  # noqa: F811
    checker = client_for(finance[1])
    page = text(checker.get(f"/benefits/payroll/{cycle.pk}/approve/"))
    assert "2,040.50 元" in page and "暂缓发放" in page and "1 笔，1,180.00 元" in page
    assert "收款人陈志明" in page and "公安死亡登记" in page
    assert "本次拨付" in page and "1 笔，860.50 元" in page
    assert "我已核对" in page and "审批：拨付 1 笔，860.50 元" in page

    # not ticked: refused in Chinese, nothing approved
    figures = payroll.approval_figures(cycle)
    r = checker.post(f"/benefits/payroll/{cycle.pk}/approve/", figures)
    assert r.status_code == 422 and "请先核对并勾选" in text(r)
    # figures from an older page (tampered or stale): refused
    r = checker.post(f"/benefits/payroll/{cycle.pk}/approve/", {**figures, "confirm": "on", "held_lines": 0})
    assert r.status_code == 409 and "请重新核对后再审批" in text(r)
    # missing figures: asked to reload
    r = checker.post(f"/benefits/payroll/{cycle.pk}/approve/", {"confirm": "on"})
    assert r.status_code == 422 and "请刷新页面" in text(r)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.CALCULATED

    r = checker.post(f"/benefits/payroll/{cycle.pk}/approve/", {**figures, "confirm": "on"}, follow=True)
    assert "已审批" in text(r) and "暂缓发放 1 笔 1,180.00 元不导出、不拨付" in text(r)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.APPROVED


@pytest.mark.django_db
def test_the_maker_sees_no_approve_button_but_who_must_approve(cycle, finance):  # noqa: F811
    maker = client_for(finance[0])
    detail = text(maker.get(f"/benefits/payroll/{cycle.pk}/"))
    assert "该批次由您计算，请由另一位财务人员审批" in detail and "finance_b" in detail
    assert "核对并审批" not in detail
    page = text(maker.get(f"/benefits/payroll/{cycle.pk}/approve/"))
    assert "请由另一位财务人员审批" in page and "审批：拨付" not in page and 'name="confirm"' not in page
    r = maker.post(f"/benefits/payroll/{cycle.pk}/approve/", {**payroll.approval_figures(cycle), "confirm": "on"})
    assert r.status_code == 409 and "双人复核" in text(r)
    # the other officer's detail page links to the approve page
    assert "核对并审批" in text(client_for(finance[1]).get(f"/benefits/payroll/{cycle.pk}/"))


@pytest.mark.django_db
def test_a_hold_is_released_on_the_page_with_a_reason(cycle, finance, anyang_user):  # noqa: F811
    maker = client_for(finance[0])
    r = maker.post(f"/benefits/payroll/{cycle.pk}/release/", {"line_no": 2, "reason": ""}, follow=True)
    assert "请写明解除暂缓发放的理由" in text(r)
    assert EntitlementHold.objects.get().released_at is None
    # a township caseworker cannot see the county cycle at all
    assert client_for(anyang_user).post(f"/benefits/payroll/{cycle.pk}/release/", {"line_no": 2}).status_code == 404
    r = maker.post(
        f"/benefits/payroll/{cycle.pk}/release/",
        {"line_no": 2, "reason": "经入户核实本人健在，公安已更正死亡登记", "next": "approve"},
    )
    assert r.status_code == 302 and r["Location"].endswith(f"/benefits/payroll/{cycle.pk}/approve/")
    cycle.refresh_from_db()
    assert cycle.held_lines == 0 and cycle.entitlements.get(line_no=2).status == LineStatus.PENDING
    assert AuditEvent.objects.filter(action="release_hold", actor_name="finance_a").exists()
    page = text(client_for(finance[1]).get(f"/benefits/payroll/{cycle.pk}/approve/"))
    assert "已由finance_a" in page and "公安已更正死亡登记" in page and "已解除，随批次发放" in page


@pytest.mark.django_db
def test_the_other_finance_officer_has_a_to_do_on_the_home_page(cycle, finance):  # noqa: F811
    home = text(client_for(finance[1]).get("/"))
    assert "待审批的发放批次" in home and f"/benefits/payroll/{cycle.pk}/approve/" in home
    assert "待审批的发放批次" not in text(client_for(finance[0]).get("/"))  # the maker's own cycle
    payroll.payroll_approve(user=finance[1], cycle=cycle)
    assert "待审批的发放批次" not in text(client_for(finance[1]).get("/"))


@pytest.mark.django_db
def test_the_reconcile_upload_says_which_layouts_it_takes(cycle, finance):  # noqa: F811
    payroll.payroll_approve(user=finance[1], cycle=cycle)
    maker = client_for(finance[0])
    maker.post(f"/benefits/payroll/{cycle.pk}/export/", {"format": "fixed_gb18030"})
    page = text(maker.get(f"/benefits/payroll/{cycle.pk}/"))
    assert "本批次可接受" in page and "定长文本（GB18030）" in page and "CSV：" not in page
    maker.post(f"/benefits/payroll/{cycle.pk}/export/", {"format": "csv"})
    page = text(maker.get(f"/benefits/payroll/{cycle.pk}/"))
    assert "定长文本（GB18030）" in page and "CSV：" in page
    assert PaymentCycle.objects.get().bank_formats == ["fixed_gb18030", "csv"]


# ---------------------------------------------------------------- 一次性发放: the programs a line declares


@pytest.mark.django_db
def test_the_payments_page_opens_on_the_first_program_a_line_declared_to_pay_once(anyang_user):
    from minzheng.engines.benefits.models import Program
    from minzheng.engines.benefits.payments import ONEOFF_PROGRAMS, oneoff_programs

    # the assistance line declares 临时救助 (the engine and the page name no program)
    assert [p.code for p in oneoff_programs()] == ["temp_assistance"]
    page = text(client_for(anyang_user).get("/benefits/payments/"))
    assert '<option value="temp_assistance" selected>' in page and "<h1>一次性发放（临时救助）</h1>" in page
    # another line's one-off program, ordered before it, becomes the page's default
    Program.objects.create(code="test_oneoff", name="测试补助", short_name="测试补助", pays_monthly=False, sort=0)
    Program.objects.filter(code="temp_assistance").update(sort=90)
    with ONEOFF_PROGRAMS.temporarily("test_oneoff", "test_oneoff"):
        page = text(client_for(anyang_user).get("/benefits/payments/"))
    assert '<option value="test_oneoff" selected>' in page and "<h1>一次性发放（测试补助、临时救助）</h1>" in page
