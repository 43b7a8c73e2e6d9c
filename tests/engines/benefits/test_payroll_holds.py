"""Issue 13, items 1–4: nobody recorded dead is paid (held lines, released only explicitly), lines
without a bank account flagged at generate and approve, approval announced to the other finance
officers and confirmed against the figures seen, and the bank's result file recognised from its
content in any layout the cycle was exported in.

Dates are derived from today's month, so the tests do not expire."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.business.assistance.sources import SOURCES
from minzheng.engines.benefits import bankfiles, holds, payroll, selectors
from minzheng.engines.benefits import services as svc
from minzheng.engines.benefits.models import (
    CycleEvent,
    Entitlement,
    EntitlementHold,
    LedgerEntry,
    LedgerKind,
    LineStatus,
)
from minzheng.engines.benefits.services import Refused
from minzheng.engines.monitoring.models import Alert, AlertState, MonitoringRule
from minzheng.engines.verification.store import batch_load
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_verify
from minzheng.foundation.notify.models import Message
from minzheng.foundation.registry import services as registry
from tests.conftest import RUIAN

ROOT = Path(__file__).resolve().parents[3]
COLUMNS = {s["code"]: [c["name"] for c in s["columns"]] for s in SOURCES}


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def month_shift(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.month - 1 + n, 12)
    return dt.date(month.year + y, m + 1, 1)


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


def load(source: str, rows: list[dict]):
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS[source], lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    batch = batch_load(source=source, data=out.getvalue().encode(), file_name=f"{source}.csv", user=None,
                       channel="cli")  # fmt: skip
    assert batch.state == "accepted", batch.errors
    return batch


@pytest.fixture
def finance(make_user):
    return make_user("finance_a", ("finance", RUIAN)), make_user("finance_b", ("finance", RUIAN))


@pytest.fixture
def roll(assistance_standards, household_in, household_other, county_user, ids):
    """安阳 王建国 + 李秀英 (860.50, bank account), 塘下 陈志明 (1,180, no bank account), on 低保 for
    the last six months; the plain ID numbers by name."""
    household, head, spouse = household_in
    other, other_head = household_other
    start = month_shift(this_month(), -6)
    a = svc.enrollment_create(user=county_user, program="dibao", household=household, monthly_amount="860.5",
                              persons_covered=2, start_month=start)  # fmt: skip
    b = svc.enrollment_create(user=county_user, program="dibao", household=other, monthly_amount="1180",
                              persons_covered=1, start_month=start)  # fmt: skip
    plain = {p.name: p.id_number for p in (head, spouse, other_head)}
    return a, b, plain


def died(name: str, plain: dict, on: dt.date, source: str = "death") -> dict:
    row = {"id_number": plain[name], "name": name, "death_date": on}
    if source == "cremation":
        row.update(cremated_on=on + dt.timedelta(days=2), funeral_home="瑞安市殡仪馆")
    return row


def status_by_name() -> dict[str, str]:
    return dict(Entitlement.objects.values_list("payee_name", "status"))


# ---------------------------------------------------------------- item 1: held lines


@pytest.mark.django_db
def test_a_payee_with_a_death_record_is_held_not_exported_not_appropriated(roll, finance):
    maker, checker = finance
    _, _, plain = roll
    month = this_month()
    load("death", [died("陈志明", plain, month - dt.timedelta(days=12))])
    registry.household_update(user=None, household=roll[1].household, data={"bank_account": "6217000011112222333"})

    cycle = payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert status_by_name() == {"王建国": "pending", "陈志明": "held"}
    summary = payroll.cycle_summary(cycle)
    assert summary["held"] == {"lines": 1, "amount": "1180.00"}
    assert (summary["lines"], summary["total"]) == (2, "2040.50")
    hold = EntitlementHold.objects.get()
    assert hold.rule == "assistance.deceased" and "收款人陈志明" in hold.reason and "公安死亡登记" in hold.reason
    assert "停保" in hold.reason and plain["陈志明"] not in hold.reason  # masked ID only
    assert "暂缓发放 1 笔 1,180.00 元" in CycleEvent.objects.filter(cycle=cycle).last().note

    # idempotent: the same lines, the same hold
    again = payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert (again.held_lines, again.held_total) == (1, Decimal("1180.00"))
    assert EntitlementHold.objects.count() == 1 and status_by_name()["陈志明"] == "held"

    c = payroll.payroll_approve(user=checker, cycle=again)
    appropriation = LedgerEntry.objects.get(kind=LedgerKind.APPROPRIATION)
    assert (appropriation.amount, appropriation.lines) == (Decimal("860.50"), 1)
    assert "暂缓发放 1 笔" in CycleEvent.objects.filter(cycle=c).last().note
    stats = selectors.payroll_statistics(user=None, month=month, level="county")
    assert sum(r["amount_due"] for r in stats) == Decimal("860.50")  # the held line is not due
    content = payroll.payroll_export(user=maker, cycle=c, format="csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["王建国"]  # the held line is not in the bank file
    assert status_by_name() == {"王建国": "pending", "陈志明": "held"}
    c.refresh_from_db()
    assert c.state == "exported"
    # a held line is not released after approval
    with pytest.raises(Refused, match="审批前"):
        payroll.payroll_hold_release(user=checker, cycle=c, line_no=2, reason="经核实本人健在")


@pytest.mark.django_db
def test_a_counted_members_death_holds_the_line_pointing_to_the_member_change(roll, finance):
    _, _, plain = roll
    month = this_month()
    load("cremation", [died("李秀英", plain, month - dt.timedelta(days=40), "cremation")])
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=month)
    assert status_by_name() == {"王建国": "held", "陈志明": "pending"}
    (hold,) = EntitlementHold.objects.filter(cycle=cycle)
    assert "保障成员李秀英" in hold.reason and "增减员" in hold.reason and "殡葬火化记录" in hold.reason
    # the amount is not changed silently
    assert Entitlement.objects.get(payee_name="王建国").amount == Decimal("860.50")

    # once the member change is done (membership ended, new amount), nothing is held any more
    svc.enrollment_member_change(user=None, enrollment=roll[0], monthly_amount="530", remove=roll[0].household
                                 .memberships.get(person__name="李秀英").person, reason="death",
                                 effective_month=month)  # fmt: skip
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=month)
    assert status_by_name() == {"王建国": "pending", "陈志明": "pending"} and cycle.held_lines == 0
    assert not EntitlementHold.objects.exists()


@pytest.mark.django_db
def test_registry_death_and_open_alerts_hold_a_death_after_the_paid_month_does_not(roll, finance, household_in):
    _, head, spouse = household_in
    _, _, plain = roll
    month = this_month()
    earlier = month_shift(month, -2)
    load("death", [died("陈志明", plain, month - dt.timedelta(days=5))])
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=earlier)
    assert cycle.held_lines == 0  # two months ago he was alive

    rule = MonitoringRule.objects.get(code="member_deceased")
    alert = Alert.objects.create(
        number="YJ-TEST-1", rule=rule, household=roll[0].household, person=spouse, subject_key="h:1",
        region_code=spouse.region_code, office_code="330381001000", evidence={}, evidence_key="x", severity="high",
    )  # fmt: skip
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=earlier)
    (hold,) = EntitlementHold.objects.filter(cycle=cycle)
    assert "YJ-TEST-1" in hold.reason and status_by_name()["王建国"] == "held"
    Alert.objects.filter(pk=alert.pk).update(state=AlertState.CLOSED)
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=earlier)
    assert cycle.held_lines == 0

    registry.person_update(user=None, person=head, data={"death_date": earlier + dt.timedelta(days=3)})
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=earlier)
    (hold,) = EntitlementHold.objects.filter(cycle=cycle)
    assert "平台登记的死亡日期" in hold.reason and "收款人王建国" in hold.reason


@pytest.mark.django_db
def test_releasing_a_hold_is_explicit_audited_survives_recalculation_and_is_exported(roll, finance, anyang_user):
    maker, checker = finance
    _, _, plain = roll
    month = this_month()
    load("death", [died("王建国", plain, month - dt.timedelta(days=3))])
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert cycle.held_lines == 1
    with pytest.raises(ValidationError, match="理由"):
        payroll.payroll_hold_release(user=maker, cycle=cycle, line_no=1, reason=" ")
    with pytest.raises(PermissionDenied):
        payroll.payroll_hold_release(user=anyang_user, cycle=cycle, line_no=1, reason="经核实本人健在")
    with pytest.raises(Refused, match="没有暂缓发放"):
        payroll.payroll_hold_release(user=maker, cycle=cycle, line_no=2, reason="经核实本人健在")
    seen = payroll.approval_figures(cycle)

    line = payroll.payroll_hold_release(user=maker, cycle=cycle, line_no=1, reason="经入户核实本人健在，死亡登记有误")
    assert line.status == LineStatus.PENDING and (cycle.held_lines, cycle.held_total) == (0, Decimal("0.00"))
    audit = AuditEvent.objects.get(action="release_hold")
    assert "死亡登记有误" in audit.summary and audit.changes["line_no"] == 1 and audit_verify().ok
    hold = EntitlementHold.objects.get()
    assert hold.released_by == maker and hold.release_reason.startswith("经入户核实")

    # recalculated: the release stands while the reason is the same
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=month)
    assert cycle.held_lines == 0 and status_by_name()["王建国"] == "pending"

    # the approver confirmed figures from before the release: refused, then approved on the new ones
    with pytest.raises(Refused, match="重新核对"):
        payroll.payroll_approve(user=checker, cycle=cycle, seen=seen)
    payroll.payroll_approve(user=checker, cycle=cycle, seen=payroll.approval_figures(cycle))
    content = payroll.payroll_export(user=maker, cycle=cycle, format="csv")
    assert "王建国" in content.decode("utf-8-sig")


def test_the_engine_does_not_know_the_death_source():
    """The hold mechanism is generic; the death check lives in the business line."""
    for path in (ROOT / "minzheng" / "engines" / "benefits").rglob("*.py"):
        text = path.read_text()
        assert "src_death" not in text and "member_deceased" not in text, path
    assert "assistance.deceased" in holds.HOLD_CHECKS


# ---------------------------------------------------------------- item 2: lines without a bank account


@pytest.mark.django_db
def test_lines_without_a_bank_account_are_flagged_at_generate_and_approve(roll, finance):
    maker, checker = finance
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=this_month())
    summary = payroll.cycle_summary(cycle)
    assert summary["no_account"] == {"lines": 1, "amount": "1180.00"}
    assert summary["no_payee"] == {"lines": 0, "amount": "0.00"}
    assert "未登记银行账号 1 笔 1,180.00 元" in CycleEvent.objects.filter(cycle=cycle).last().note
    payroll.payroll_approve(user=checker, cycle=cycle)
    assert "未登记银行账号 1 笔" in CycleEvent.objects.filter(cycle=cycle).last().note
    assert AuditEvent.objects.filter(action="approve").last().changes["no_account_lines"] == 1


@pytest.mark.django_db
def test_cli_generate_prints_held_and_unpayable_lines(roll, finance, capsys):
    _, _, plain = roll
    month = this_month()
    load("death", [died("陈志明", plain, month - dt.timedelta(days=12))])
    call_command("payroll", "generate", "--program", "dibao", "--month", f"{month:%Y-%m}", "--user", "finance_a")
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out["lines"], out["total"]) == (2, "2040.50")
    assert out["held"] == {"lines": 1, "amount": "1180.00"}
    assert out["no_account"] == {"lines": 0, "amount": "0.00"}  # the line without an account is the held one

    args = ["--program", "dibao", "--month", f"{month:%Y-%m}"]
    call_command("payroll", "held", *args)
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (line,) = out["held_lines"]
    assert (line["line"], line["payee"], line["amount"], line["held"]) == (2, "陈志明", "1180.00", True)
    assert "公安死亡登记" in line["reasons"][0] and plain["陈志明"] not in json.dumps(out)
    with pytest.raises(CommandError, match="理由"):
        call_command("payroll", "release", *args, "--line", "2", "--user", "finance_b")
    with pytest.raises(CommandError, match="--user"):
        call_command("payroll", "release", *args, "--line", "2", "--reason", "经核实本人健在")
    call_command("payroll", "release", *args, "--line", "2", "--reason", "经核实本人健在", "--user", "finance_b")
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["held"] == {"lines": 0, "amount": "0.00"} and out["no_account"] == {"lines": 1, "amount": "1180.00"}


# ---------------------------------------------------------------- item 3: announced


@pytest.mark.django_db(transaction=True)
def test_a_calculated_cycle_is_announced_to_the_other_finance_officers(roll, finance, make_user):
    maker, checker = finance
    township_finance = make_user("finance_t", ("finance", "330381001000"))  # cannot approve a county cycle
    payroll.payroll_generate(user=maker, program="dibao", month=this_month())
    msgs = Message.objects.filter(related_type="benefits.cycle")
    assert [m.recipient_id for m in msgs] == [checker.pk]
    (m,) = msgs
    assert "待审批" in m.subject and "finance_a" in m.body and "2040.50" in m.body.replace(",", "")
    assert "未登记银行账号 1 笔" in m.body
    assert township_finance.pk not in {m.recipient_id for m in msgs}


# ---------------------------------------------------------------- item 4: result file layouts


def fixed_result(export: bytes) -> bytes:
    out = []
    for record in export.split(b"\r\n"):
        if record.startswith(b"D"):
            out.append(record + "成功".encode("gb18030") + b" " * 60)
        elif record:
            out.append(record)
    return b"\r\n".join(out) + b"\r\n"


def csv_result(export: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(export.decode("utf-8-sig"), newline="")))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*rows[0], "处理结果", "失败原因"])
    for r in rows[1:]:
        w.writerow([*r, "成功", ""])
    return buf.getvalue().encode("gb18030")  # saved by the bank's Windows tool


@pytest.mark.django_db
def test_the_result_file_layout_is_recognised_from_its_content(roll, finance):
    maker, checker = finance
    registry.household_update(user=None, household=roll[1].household, data={"bank_account": "6217000011112222333"})
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=this_month())
    payroll.payroll_approve(user=checker, cycle=cycle)
    fixed = payroll.payroll_export(user=maker, cycle=cycle, format="fixed_gb18030")
    cycle.refresh_from_db()
    # a CSV result when only the fixed-width layout went out: refused, saying what is expected
    with pytest.raises(Refused, match=r"没有按此格式导出过.*定长文本"):
        payroll.payroll_reconcile(
            user=maker,
            cycle=cycle,
            content=csv_result(b"\xef\xbb\xbf" + "户主姓名,身份证号,银行账号,金额,摘要\r\n".encode()),
        )
    with pytest.raises(Refused, match="无法识别回盘文件的格式"):
        payroll.payroll_reconcile(user=maker, cycle=cycle, content=b"%PDF-1.4 \x00\x01")
    with pytest.raises(Refused, match="空的"):
        payroll.payroll_reconcile(user=maker, cycle=cycle, content=b"\r\n")

    # the same cycle exported again as CSV: a result in either layout is read
    csv_export = payroll.payroll_export(user=maker, cycle=cycle, format="csv")
    cycle.refresh_from_db()
    assert cycle.bank_formats == ["fixed_gb18030", "csv"] and cycle.bank_format == "csv"
    res = payroll.payroll_reconcile(user=maker, cycle=cycle, content=fixed_result(fixed))
    assert (res.paid, res.state, res.format) == (2, "reconciled", "fixed_gb18030")
    res = payroll.payroll_reconcile(user=maker, cycle=cycle, content=csv_result(csv_export))
    assert (res.paid, res.unchanged, res.format) == (0, 2, "csv")


def test_detect_result_format_by_content_not_name():
    assert bankfiles.detect_result_format("户主姓名,摘要,处理结果\r\n".encode("gb18030"), ["csv"]).code == "csv"
    record = b"D" + b" " * sum(w for _, w in bankfiles.FIXED_FIELDS)
    assert bankfiles.detect_result_format(b"H00000001000000000012345\r\n" + record, ["csv", "fixed_gb18030"]).code == (
        "fixed_gb18030"
    )
    with pytest.raises(bankfiles.FileRefused, match="CSV"):
        bankfiles.detect_result_format(b"hello world", ["csv"])


# ---------------------------------------------------------------- the set-based join, against a naive one


@pytest.fixture
def families(assistance_standards, county_user, ids):
    """Four households of three in 安阳 on 低保 (the last one as a 单人户 of its second member)."""
    from tests.conftest import ANYANG_VILLAGE

    out = []
    for i in range(4):
        people = [
            registry.person_create(user=county_user, data={"name": f"{'赵钱孙李'[i]}{'甲乙丙'[j]}", "id_number": ids(),
                                                           "hukou_type": "urban", "region_code": ANYANG_VILLAGE})
            for j in range(3)
        ]  # fmt: skip
        h = registry.household_create(user=county_user, head=people[0], members=[(p, "child") for p in people[1:]],
                                      data={"region_code": ANYANG_VILLAGE, "hukou_type": "urban"})  # fmt: skip
        svc.enrollment_create(user=county_user, program="dibao", household=h, monthly_amount="500",
                              persons_covered=1 if i == 3 else 3, person=people[1] if i == 3 else None,
                              start_month=month_shift(this_month(), -3))  # fmt: skip
        out.append((h, people))
    return out


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dead=st.sets(st.integers(0, 11)), ended=st.sets(st.integers(0, 11)))
def test_lines_of_persons_matches_a_line_by_line_reading(families, finance, dead, ended):
    """``holds.lines_of_persons`` (one statement from the persons' side) finds exactly what reading
    every line would: the payee, and the members whose membership is open (for a 单人户 only that
    person), of each line."""
    from minzheng.engines.benefits.models import Enrollment
    from minzheng.foundation.registry.models import Membership

    people = [p for _, ps in families for p in ps]
    with transaction.atomic():
        for i in ended:
            if i % 3:  # a head stays a member
                Membership.objects.filter(person=people[i], valid_to__isnull=True).update(valid_to=this_month())
        cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=this_month())
        dead_ids = {people[i].pk for i in dead}
        got = {
            (h.enrollment_id, h.person_id, h.is_payee)
            for h in holds.lines_of_persons(cycle, person_ids=sorted(dead_ids))
        }
        want = set()
        for e in Enrollment.objects.filter(program_id="dibao").select_related("household"):
            payee = e.person_id or e.household.head_id
            members = set(
                Membership.objects.filter(household_id=e.household_id, valid_to__isnull=True).values_list(
                    "person_id", flat=True
                )
            )
            if e.person_id:
                members &= {e.person_id}
            for pid in (members | {payee}) & dead_ids:
                want.add((e.pk, pid, pid == payee))
        assert got == want
        transaction.set_rollback(True)
