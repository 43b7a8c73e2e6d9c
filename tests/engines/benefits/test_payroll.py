"""Monthly payroll (社会化发放): generate from the events in force, maker-checker approval, frozen
cycles, bank files, all-or-nothing reconciliation, reissue, funds ledger, statistics, scoping, CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.engines.benefits import bankfiles, payroll, selectors
from minzheng.engines.benefits import services as svc
from minzheng.engines.benefits.models import (
    CycleEvent,
    CycleState,
    Entitlement,
    LedgerEntry,
    LedgerKind,
    LineStatus,
    PaymentCycle,
)
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_verify
from minzheng.foundation.jobs.models import JobState
from minzheng.foundation.jobs.services import job_run
from minzheng.foundation.parameters.services import standard_set
from minzheng.foundation.registry import services as registry
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA, TANGXIA_VILLAGE

D = dt.date
DEC = D(2026, 12, 1)
JAN = D(2027, 1, 1)
ROOT = Path(__file__).resolve().parents[3]


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture
def finance(make_user):
    """Two county 财务 users: one calculates, the other approves."""
    return make_user("finance_a", ("finance", RUIAN)), make_user("finance_b", ("finance", RUIAN))


@pytest.fixture
def roll(assistance_standards, household_in, household_other, county_user):
    """安阳 (urban, 2 persons, 860.50, with a bank account) and 塘下 (rural, 1 person, 1,180, no
    bank account) on 低保 from 2026-12."""
    household, _head, _spouse = household_in
    other, _ = household_other
    a = svc.enrollment_create(user=county_user, program="dibao", household=household, monthly_amount="860.5",
                              persons_covered=2, components=[{"item": "gap", "amount": "860.5"}],
                              start_month=DEC)  # fmt: skip
    b = svc.enrollment_create(user=county_user, program="dibao", household=other, monthly_amount="1180",
                              persons_covered=1, start_month=DEC)  # fmt: skip
    return a, b


def raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def lines_of(cycle) -> list[tuple]:
    return list(
        Entitlement.objects.filter(cycle=cycle)
        .order_by("line_no")
        .values_list("line_no", "payee_name", "amount", "persons_covered", "status")
    )


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def result_file(export: bytes, outcomes: dict | None = None, edit=None) -> bytes:
    """The bank's result file for an exported CSV: every line 成功 unless ``outcomes`` maps its
    reference to (result, reason); ``edit(row)`` may alter a row (list of cells)."""
    rows = csv_rows(export)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([*rows[0], "处理结果", "失败原因"])
    for r in rows[1:]:
        result, reason = (outcomes or {}).get(r[4].split()[0], ("成功", ""))
        row = [*r, result, reason]
        if edit:
            row = edit(row)
        w.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def approved(finance, **kw):
    maker, checker = finance
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=kw.get("month", DEC))
    return payroll.payroll_approve(user=checker, cycle=cycle)


# ------------------------------------------------------------------ region helpers


def test_code_prefix_by_level_not_trailing_zeros():
    assert payroll.code_prefix("330381100000") == "330381100"  # a township whose code ends in 100
    assert payroll.code_prefix("330381000000") == "330381"
    assert payroll.code_prefix("330381001001") == "330381001001"
    assert payroll.common_prefix("330381001001", "330381101009") == "330381"
    assert payroll.common_prefix("330381001001", "330381001009") == "330381001"
    assert payroll.common_prefix("330381001001", "350500000000") == ""


def test_month_parse():
    assert payroll.month_parse("2026-12") == DEC and payroll.month_parse(D(2026, 12, 17)) == DEC
    for bad in ("2026-13", "12/2026", "", None):
        with pytest.raises(ValidationError, match="YYYY-MM"):
            payroll.month_parse(bad)


# ------------------------------------------------------------------ generate


@pytest.mark.django_db
def test_generate_one_line_per_payable_enrollment_idempotently(roll, finance):
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month="2026-12")
    assert cycle.region_code == RUIAN  # the narrowest region holding 安阳 and 塘下
    assert (cycle.state, cycle.lines, cycle.persons, cycle.total) == ("calculated", 2, 3, Decimal("2040.50"))
    first = lines_of(cycle)
    assert first == [
        (1, "王建国", Decimal("860.50"), 2, "pending"),  # 安阳 (330381001…) before 塘下 (330381101…)
        (2, "陈志明", Decimal("1180.00"), 1, "pending"),
    ]
    line = Entitlement.objects.get(cycle=cycle, line_no=1)
    assert line.components == [{"item": "gap", "amount": "860.50"}] and line.bank_account_masked.startswith("6228")
    # the snapshot is the stored ciphertext, copied in SQL, never decrypted and re-encrypted
    (copied,) = raw("SELECT payee_id_number FROM benefits_entitlement WHERE id = %s", [line.pk])
    (stored,) = raw("SELECT id_number FROM registry_person WHERE name = %s", ["王建国"])
    assert copied == stored and copied[0].startswith("sm4g:")

    again = payroll.payroll_generate(user=finance[0], program="dibao", month=DEC)
    assert again.pk == cycle.pk and lines_of(again) == first
    assert (again.lines, again.persons, again.total) == (2, 3, Decimal("2040.50"))
    assert Entitlement.objects.count() == 2 and PaymentCycle.objects.count() == 1
    assert list(CycleEvent.objects.filter(cycle=cycle).values_list("state", flat=True)) == ["calculated"] * 2
    audits = AuditEvent.objects.filter(object_type="benefits.cycle", action="calculate").order_by("seq")
    assert audits.count() == 2 and "重新计算" in audits.last().summary
    assert audits.last().changes["before"]["total"] == "2040.50"
    assert audit_verify().ok


@pytest.mark.django_db
def test_the_event_in_force_in_the_paid_month_counts_not_the_pointer(roll, finance, county_user):
    a, b = roll
    svc.enrollment_change(user=county_user, enrollment=a, kind="exit", reason="income_over_line",
                          effective_month=JAN)  # fmt: skip
    svc.enrollment_change(user=county_user, enrollment=b, kind="amount", monthly_amount="1000", reason="review",
                          effective_month=JAN)  # fmt: skip
    a.refresh_from_db()
    assert a.state == "exited"  # the pointer already says exited …
    dec = payroll.payroll_generate(user=finance[0], program="dibao", month=DEC)
    assert [(n, amt) for n, _, amt, _, _ in lines_of(dec)] == [(1, Decimal("860.50")), (2, Decimal("1180.00"))]
    jan = payroll.payroll_generate(user=finance[0], program="dibao", month=JAN)  # … but December is still paid
    assert [(name, amt) for _, name, amt, _, _ in lines_of(jan)] == [("陈志明", Decimal("1000.00"))]
    nov = payroll.payroll_generate(user=finance[0], program="dibao", month=D(2026, 11, 1))
    assert nov.lines == 0 and nov.total == 0  # nobody had started yet


@pytest.mark.django_db
def test_suspended_and_zero_amounts_are_not_paid_phase_out_is(roll, finance, county_user):
    a, b = roll
    svc.enrollment_change(user=county_user, enrollment=a, kind="suspend", reason="refused_cooperation",
                          effective_month=DEC)  # fmt: skip
    svc.enrollment_change(user=county_user, enrollment=b, kind="phase_out", reason="income_over_line",
                          effective_month=DEC)  # fmt: skip
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=DEC)
    assert [(name, state) for name, state in cycle.entitlements.values_list("payee_name", "state")] == [
        ("陈志明", "phase_out")
    ]


@pytest.mark.django_db
def test_a_phase_out_is_paid_to_the_end_of_its_period_and_not_after(roll, finance, county_user):
    """渐退期满后停发: the period the decision set is paid month by month, the month after it is
    not — even before ``phase_out_expire`` has recorded the exit; once it has, nothing changes."""
    _a, b = roll
    svc.enrollment_change(user=county_user, enrollment=b, kind="phase_out", reason="income_over_line",
                          effective_month=DEC)  # fmt: skip
    b.refresh_from_db()
    last = dt.date(b.phase_out_until.year, b.phase_out_until.month, 1)
    after = svc.next_month(last)

    def paid(month):
        cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=month)
        return sorted(cycle.entitlements.values_list("payee_name", flat=True))

    assert paid(last) == ["王建国", "陈志明"]
    assert paid(after) == ["王建国"]
    out = io.StringIO()
    call_command("payroll", "expire", "--month", f"{after:%Y-%m}", stdout=out)  # what cron / Celery beat run
    assert json.loads(out.getvalue()) == {"month": f"{after:%Y-%m}", "exited": 1}
    b.refresh_from_db()
    assert b.state == "exited" and paid(after) == ["王建国"] and paid(last) == ["王建国", "陈志明"]


@pytest.mark.django_db
def test_the_daily_phase_out_job_records_the_exits(roll, county_user):
    from minzheng.engines.benefits.jobs import PHASE_OUT_EXPIRE, phase_out_expire_task
    from minzheng.foundation.jobs.models import JobRun
    from minzheng.foundation.jobs.services import job_enqueue

    queued = JobRun.objects.get(pk=phase_out_expire_task.run())  # what Celery beat runs daily
    assert queued.kind == PHASE_OUT_EXPIRE and queued.params == {}
    _a, b = roll
    svc.enrollment_change(user=county_user, enrollment=b, kind="phase_out", reason="income_over_line",
                          effective_month=DEC)  # fmt: skip
    b.refresh_from_db()
    after = svc.next_month(b.phase_out_until)
    job = job_enqueue(kind=PHASE_OUT_EXPIRE, title="渐退期满停发", params={"month": f"{after:%Y-%m}"}, run=False)
    job_run(job.pk)
    job.refresh_from_db()
    b.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == {"exited": 1} and b.state == "exited"


@pytest.mark.django_db
def test_the_payee_of_a_single_person_enrollment_is_that_person(roll, finance, county_user, household_in):
    household, _head, spouse = household_in
    svc.enrollment_create(user=county_user, program="tekun", household=household, person=spouse,
                          monthly_amount="1770", persons_covered=1, start_month=DEC)  # fmt: skip
    cycle = payroll.payroll_generate(user=finance[0], program="tekun", month=DEC)
    assert lines_of(cycle) == [(1, "李秀英", Decimal("1770.00"), 1, "pending")]
    assert cycle.region_code == "330381001001"  # one enrollment: its own village


@pytest.mark.django_db
def test_overlapping_regions_are_refused(roll, make_user, finance):
    township = make_user("anyang_fin", ("finance", ANYANG))
    part = payroll.payroll_generate(user=township, program="dibao", month=DEC, region_code=ANYANG)
    assert part.lines == 1 and part.region_code == ANYANG
    payroll.payroll_generate(user=finance[0], program="dibao", month=DEC, region_code=TANGXIA)  # disjoint: fine
    with pytest.raises(svc.Refused, match="范围重叠"):
        payroll.payroll_generate(user=finance[0], program="dibao", month=DEC)  # the county holds both
    with pytest.raises(svc.Refused, match="范围重叠"):
        payroll.payroll_generate(user=finance[0], program="dibao", month=DEC, region_code=ANYANG_VILLAGE)
    with pytest.raises(PermissionDenied):
        payroll.payroll_generate(user=township, program="dibao", month=JAN, region_code=TANGXIA)
    assert PaymentCycle.objects.count() == 2


@pytest.mark.django_db
def test_bad_generate_input(roll, finance, anyang_user):
    with pytest.raises(ValidationError, match="不认识的保障项目"):
        payroll.payroll_generate(user=None, program="nope", month=DEC)
    with pytest.raises(svc.Refused, match="不按月发放"):
        payroll.payroll_generate(user=None, program="dibao_edge", month=DEC)
    with pytest.raises(ValidationError, match="不存在"):
        payroll.payroll_generate(user=None, program="dibao", month=DEC, region_code="330381999000")
    with pytest.raises(PermissionDenied):  # a 受理员 may not prepare payroll
        payroll.payroll_generate(user=anyang_user, program="dibao", month=DEC, region_code=ANYANG)


# ------------------------------------------------------------------ approve, freeze


@pytest.mark.django_db
def test_maker_checker(roll, finance, county_user):
    maker, checker = finance
    cycle = payroll.payroll_generate(user=maker, program="dibao", month=DEC)
    with pytest.raises(svc.Refused, match="双人复核"):
        payroll.payroll_approve(user=maker, cycle=cycle)
    with pytest.raises(svc.Refused, match="具名"):
        payroll.payroll_approve(user=None, cycle=cycle)
    with pytest.raises(PermissionDenied):  # 审批员 of benefits, not 财务
        payroll.payroll_approve(user=county_user, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.state == "calculated" and not LedgerEntry.objects.exists()
    payroll.payroll_approve(user=checker, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.state == "approved" and cycle.approved_by == checker and cycle.calculated_by == maker
    (entry,) = LedgerEntry.objects.all()
    assert (entry.kind, entry.amount, entry.lines, entry.cycle) == ("appropriation", Decimal("2040.50"), 2, cycle)
    assert AuditEvent.objects.filter(object_type="benefits.cycle", action="approve", object_id=str(cycle.pk)).exists()
    with pytest.raises(svc.Refused, match="已审批"):
        payroll.payroll_approve(user=checker, cycle=cycle)


@pytest.mark.django_db
def test_an_approved_cycle_is_frozen(roll, finance, county_user):
    a, _ = roll
    cycle = approved(finance)
    before = lines_of(cycle)
    with pytest.raises(svc.Refused, match="该月发放已审批"):
        payroll.payroll_generate(user=finance[0], program="dibao", month=DEC)
    # a later standard or amount change never reaches the approved amounts
    standard_set(user=None, key="dibao_monthly", region_code=RUIAN, value="1300", effective_from=DEC)
    with pytest.raises(svc.Refused, match="已审批"):
        svc.enrollment_change(user=county_user, enrollment=a, kind="amount", monthly_amount="999",
                              effective_month=DEC)  # fmt: skip
    svc.enrollment_change(user=county_user, enrollment=a, kind="amount", monthly_amount="999", effective_month=JAN)
    cycle.refresh_from_db()
    assert lines_of(cycle) == before and cycle.total == Decimal("2040.50")
    jan = payroll.payroll_generate(user=finance[0], program="dibao", month=JAN)
    assert jan.total == Decimal("2179.00")  # 999 + 1,180


# ------------------------------------------------------------------ export


@pytest.mark.django_db
def test_export_csv_decrypts_and_reports_lines_without_account(roll, finance, household_in):
    _, head, _ = household_in
    jan = payroll.payroll_generate(user=None, program="dibao", month=JAN)
    with pytest.raises(svc.Refused, match="不能转为“已导出”"):  # only approved cycles are exported
        payroll.payroll_export(user=None, cycle=jan)
    cycle = approved(finance)
    content = payroll.payroll_export(user=finance[0], cycle=cycle)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows the Chinese
    rows = csv_rows(content)
    assert rows[0] == ["户主姓名", "身份证号", "银行账号", "金额", "摘要"]
    assert rows[1:] == [
        ["王建国", head.id_number, "6228480012345678901", "860.50", "DB202612-330381-000001 2026年12月低保金"]
    ]
    cycle.refresh_from_db()
    assert cycle.state == "exported" and cycle.bank_format == "csv"
    missing = Entitlement.objects.get(cycle=cycle, line_no=2)
    assert (missing.status, missing.failure_reason) == ("failed", payroll.NO_ACCOUNT)
    failed = LedgerEntry.objects.get(kind=LedgerKind.FAILED)
    assert (failed.amount, failed.lines) == (Decimal("1180.00"), 1)
    export = AuditEvent.objects.get(object_type="benefits.cycle", action="export")
    assert "明文" in export.summary and export.changes["not_exported"] == 1
    # plain values are in the bank file and nowhere else: not in the audit log, the cycle history or lists
    for plain in (head.id_number, "6228480012345678901"):
        assert not AuditEvent.objects.filter(summary__contains=plain).exists()
        assert all(plain not in json.dumps(e.changes, ensure_ascii=False) for e in AuditEvent.objects.all())
        assert not CycleEvent.objects.filter(note__contains=plain).exists()
    listed = selectors.entitlement_list(user=finance[0], cycle=cycle).first()
    assert listed.payee_id_number_masked.count("*") >= 8 and "payee_id_number" in listed.get_deferred_fields()
    # exporting again gives the same file (lines still pending), and the cycle stays exported
    assert payroll.payroll_export(user=finance[0], cycle=cycle) == content


@pytest.mark.django_db
def test_export_in_worker_processes_matches_the_serial_export(roll, finance, monkeypatch):
    cycle = approved(finance)
    serial = payroll.payroll_export(user=None, cycle=cycle, workers=1)
    monkeypatch.setattr(bankfiles, "PARALLEL_FROM", 1)
    monkeypatch.setattr(bankfiles, "CHUNK", 1)
    monkeypatch.setattr(bankfiles, "CHUNK_BYTES", 10)  # PostgreSQL: COPY text cut at every line
    assert payroll.payroll_export(user=None, cycle=cycle, workers=2) == serial


@pytest.mark.django_db
def test_fixed_width_gb18030_layout_round_trip(roll, finance, household_in, household_other):
    _, head, _ = household_in
    registry.household_update(user=None, household=household_other[0], data={"bank_account": "6217000011112222333"})
    cycle = approved(finance)  # the account was registered before the calculation: both lines exported
    content = payroll.payroll_export(user=None, cycle=cycle, format="fixed_gb18030")
    records = content.split(b"\r\n")
    assert records[0] == b"H00000002" + b"%015d" % 204050 and records[-1] == b""
    detail = records[1]
    assert len(detail) == 1 + 20 + 18 + 32 + 15 + 60
    assert detail[1:21].decode("gb18030").strip() == "王建国" and detail[21:39].decode() == head.id_number
    assert detail[71:86] == b"000000000086050"
    result = b"\r\n".join(
        r + "失败".encode("gb18030") + "账户已冻结".encode("gb18030").ljust(60) if b"000002 " in r else r + "成功".encode("gb18030")
        for r in records[1:3]
    )  # fmt: skip
    res = payroll.payroll_reconcile(user=None, cycle=cycle, content=result)
    assert (res.paid, res.failed, res.pending, res.state) == (1, 1, 0, "reconciled")
    assert Entitlement.objects.get(cycle=cycle, line_no=2).failure_reason == "账户已冻结"


def test_fixed_width_cuts_at_a_character_boundary():
    assert bankfiles._cut("欧阳娜娜娜娜娜娜娜娜娜", 20, "gb18030") == "欧阳娜娜娜娜娜娜娜娜".encode("gb18030")
    assert bankfiles._cut("王五", 5, "gb18030") == "王五".encode("gb18030") + b" "
    assert bankfiles._cut("王五", 3, "gb18030") == "王".encode("gb18030") + b" "


def test_unknown_bank_format():
    with pytest.raises(ValidationError, match="不认识的银行文件格式"):
        bankfiles.bank_format("swift")


# ------------------------------------------------------------------ reconcile


@pytest.mark.django_db
def test_the_result_file_is_read_within_the_caps_of_every_import(roll, finance, settings, tmp_path):
    """Before: only the upload form's 200 MB limit; a file of millions of (blank) lines was parsed
    whole. Now its size and its lines (blank ones too) are bounded before it is parsed, as every
    import is (foundation/tabular.py), and a refused file changes nothing."""
    cycle = approved(finance)
    content = payroll.payroll_export(user=finance[0], cycle=cycle)
    good = result_file(content)  # a header and the cycle's one line (the other payee has no account)
    assert good.count(b"\n") == 2
    before = sorted(Entitlement.objects.filter(cycle=cycle).values_list("line_no", "status"))
    settings.MINZHENG_BANK_RESULT_MAX_ROWS = 2
    for padded in (good + b"\r\n" * 2, good + b"\n" * 2000):  # blank lines count too
        with pytest.raises(svc.Refused, match=r"回盘文件过大：数据超过2行（空行也计入）"):
            payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=padded)
    fixed = payroll.payroll_export(user=finance[0], cycle=cycle, format="fixed_gb18030")
    cycle.refresh_from_db()
    long_fixed = fixed + fixed.split(b"\r\n", 1)[1] * 2  # the control record and 3 detail records
    with pytest.raises(svc.Refused, match="数据超过2行"):
        payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=long_fixed)
    settings.MINZHENG_BANK_RESULT_MAX_BYTES = len(good) - 1
    with pytest.raises(svc.Refused, match="回盘文件过大：文件超过"):
        payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=good)
    path = tmp_path / "回盘.csv"
    path.write_bytes(good)
    with pytest.raises(svc.Refused, match="文件超过"):  # a path (the CLI) is not read past the cap
        payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=path)
    settings.MINZHENG_BANK_RESULT_MAX_BYTES = len(good) + 10_000
    settings.MINZHENG_IMPORT_MAX_CELL_CHARS = 50

    def long_reason(row):
        row[6] = "账户异常" * 20
        return row

    with pytest.raises(svc.Refused, match="第2行有单元格超过50个字"):
        payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=result_file(content, edit=long_reason))
    assert sorted(Entitlement.objects.filter(cycle=cycle).values_list("line_no", "status")) == before
    cycle.refresh_from_db()
    assert cycle.state == "exported"
    # within the caps, the same file is read as before
    res = payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=path)
    assert (res.paid, res.state) == (1, "reconciled")


@pytest.mark.django_db
def test_reconciliation_is_all_or_nothing_with_a_report_per_line(roll, finance, household_other):
    registry.household_update(user=None, household=household_other[0], data={"bank_account": "6217000011112222333"})
    cycle = approved(finance)
    content = payroll.payroll_export(user=finance[0], cycle=cycle)

    def tamper(row):
        if row[4].startswith("DB202612-330381-000002"):
            row[3] = "1181.00"  # amount differs
        return row

    bad = result_file(content, edit=tamper)
    bad += "某某,330381197001010011,6200,5.00,DB202612-330381-000099 2026年12月低保金,成功,\r\n".encode()
    bad += "某某,330381197001010011,6200,5.00,转账,成功,\r\n".encode()
    with pytest.raises(payroll.ReconcileRefused) as exc:
        payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=bad)
    report = exc.value.report
    assert len(report) == 3
    assert report[0].startswith("第3行") and "金额“1181.00”与应发金额 1,180.00 元不符" in report[0]
    assert report[1].startswith("第4行") and "没有编号 DB202612-330381-000099" in report[1]
    assert report[2].startswith("第5行") and "没有本系统的发放编号" in report[2]
    assert "未做任何更改" in exc.value.message
    # nothing changed
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"pending"}
    assert not LedgerEntry.objects.exclude(kind=LedgerKind.APPROPRIATION).exists()
    cycle.refresh_from_db()
    assert cycle.state == "exported"

    # wrong ID number, unknown result, duplicate line, another month's reference
    def wrong(row):
        if row[4].startswith("DB202612-330381-000001"):
            row[1] = "330381197005170010"
            row[5] = "处理中"
        return row

    with pytest.raises(payroll.ReconcileRefused) as exc:
        payroll.payroll_reconcile(user=None, cycle=cycle, content=result_file(content, edit=wrong))
    assert "处理结果应为" in exc.value.report[0]
    doubled = result_file(content) + result_file(content).decode("utf-8-sig").split("\r\n", 1)[1].encode()
    with pytest.raises(payroll.ReconcileRefused, match="重复"):
        payroll.payroll_reconcile(user=None, cycle=cycle, content=doubled)
    other = result_file(content).replace(b"DB202612", b"DB202701")
    with pytest.raises(payroll.ReconcileRefused, match="不属于"):
        payroll.payroll_reconcile(user=None, cycle=cycle, content=other)

    def wrong_id(row):
        row[1] = row[1][:-4] + "0000"
        return row

    with pytest.raises(payroll.ReconcileRefused, match="身份证号与编号 DB202612-330381-000001 的收款人不符"):
        payroll.payroll_reconcile(user=None, cycle=cycle, content=result_file(content, edit=wrong_id))
    with pytest.raises(svc.Refused, match="缺少列"):
        payroll.payroll_reconcile(user=None, cycle=cycle, content=content)  # the export itself: no 处理结果

    # the right file: line 2 failed, line 1 paid
    good = result_file(content, {"DB202612-330381-000002": ("失败", "户名与账号不符")})
    res = payroll.payroll_reconcile(user=finance[0], cycle=cycle, content=good)
    assert (res.paid, res.paid_total, res.failed, res.failed_total) == (1, Decimal("860.50"), 1, Decimal("1180.00"))
    assert (res.pending, res.state) == (0, "reconciled")
    assert lines_of(cycle) == [
        (1, "王建国", Decimal("860.50"), 2, "paid"),
        (2, "陈志明", Decimal("1180.00"), 1, "failed"),
    ]
    # the same file again changes nothing and books nothing
    n = LedgerEntry.objects.count()
    assert payroll.payroll_reconcile(user=None, cycle=cycle, content=good).unchanged == 2
    assert LedgerEntry.objects.count() == n
    # a contradicting file is refused
    with pytest.raises(payroll.ReconcileRefused, match="已记为“已到账”"):
        payroll.payroll_reconcile(
            user=None, cycle=cycle, content=result_file(content, {"DB202612-330381-000001": ("失败", "x")})
        )
    assert AuditEvent.objects.filter(object_type="benefits.cycle", action="reconcile").count() == 2


@pytest.mark.django_db
def test_partial_result_files_leave_the_rest_pending(roll, finance, household_other):
    registry.household_update(user=None, household=household_other[0], data={"bank_account": "6217000011112222333"})
    cycle = approved(finance)
    content = payroll.payroll_export(user=None, cycle=cycle)
    first = result_file(content).decode("utf-8-sig").split("\r\n")
    res = payroll.payroll_reconcile(user=None, cycle=cycle, content="\r\n".join(first[:2]).encode())
    assert (res.paid, res.pending, res.state) == (1, 1, "exported")
    res = payroll.payroll_reconcile(user=None, cycle=cycle, content=result_file(content))
    assert (res.paid, res.unchanged, res.pending, res.state) == (1, 1, 0, "reconciled")


# ------------------------------------------------------------------ reissue and ledger


@pytest.mark.django_db
def test_failed_lines_are_reissued_after_the_account_is_corrected(
    roll, finance, household_in, household_other, anyang_user
):
    maker, checker = finance
    cycle = approved(finance)
    content = payroll.payroll_export(user=maker, cycle=cycle)  # 陈志明 has no account: not exported
    good = result_file(content, {"DB202612-330381-000001": ("失败", "账号已销户")})
    payroll.payroll_reconcile(user=maker, cycle=cycle, content=good)
    cycle.refresh_from_db()
    assert cycle.state == "reconciled"
    failed = selectors.payroll_failed_lines(user=maker, cycle=cycle)
    assert [(e.line_no, e.failure_reason) for e in failed] == [(1, "账号已销户"), (2, payroll.NO_ACCOUNT)]

    with pytest.raises(PermissionDenied):  # reissuing pays money again: payroll.approve
        payroll.payroll_reissue(user=anyang_user, cycle=cycle)
    registry.household_update(user=None, household=household_in[0], data={"bank_account": "6228480099998888777"})
    res = payroll.payroll_reissue(user=checker, cycle=cycle)
    assert (res.lines, res.total, res.without_account) == (1, Decimal("860.50"), [2])
    cycle.refresh_from_db()
    assert cycle.state == "exported"
    line = Entitlement.objects.get(cycle=cycle, line_no=1)
    assert (line.status, line.reissues, line.bank_account) == ("pending", 1, "6228480099998888777")

    # a stale result of the first attempt is refused
    with pytest.raises(payroll.ReconcileRefused, match="不是该笔当前的发放（当前编号 DB202612-330381-000001-B1）"):
        payroll.payroll_reconcile(user=None, cycle=cycle, content=result_file(content))
    again = payroll.payroll_export(user=maker, cycle=cycle)
    rows = csv_rows(again)[1:]
    assert [(r[2], r[4]) for r in rows] == [
        ("6228480099998888777", "DB202612-330381-000001-B1 2026年12月低保金（补发）")
    ]
    payroll.payroll_reconcile(user=maker, cycle=cycle, content=result_file(again))
    cycle.refresh_from_db()
    assert cycle.state == "reconciled"

    registry.household_update(user=None, household=household_other[0], data={"bank_account": "6217000011112222333"})
    with pytest.raises(svc.Refused, match="不是本批次的失败明细"):
        payroll.payroll_reissue(user=checker, cycle=cycle, line_nos=[1])
    res = payroll.payroll_reissue(user=checker, cycle=cycle, line_nos=[2])
    assert (res.lines, res.total) == (1, Decimal("1180.00"))
    payroll.payroll_reconcile(
        user=None, cycle=cycle, content=result_file(payroll.payroll_export(user=None, cycle=cycle))
    )

    ledger = selectors.funds_ledger(user=maker, program="dibao", month=DEC)
    t = ledger["total"]
    assert t["appropriated"] == Decimal("2040.50") and t["paid"] == Decimal("2040.50")
    assert t["failed"] == t["reissued"] == Decimal("2040.50")
    assert t["in_flight"] == t["awaiting_reissue"] == 0
    assert [e.kind for e in ledger["entries"]] == [
        "appropriation", "failed", "failed", "reissue", "paid", "reissue", "paid",
    ]  # fmt: skip
    assert AuditEvent.objects.filter(object_type="benefits.cycle", action="reissue").count() == 2
    assert audit_verify().ok


@pytest.fixture
def households(assistance_standards, county_user, ids):
    """Six households in 安阳 with bank accounts, not enrolled."""
    out = []
    for i in range(6):
        head = registry.person_create(user=county_user, data={"name": f"张{'一二三四五六'[i]}", "id_number": ids(),
                                                              "hukou_type": "urban", "region_code": ANYANG_VILLAGE})  # fmt: skip
        out.append(
            registry.household_create(
                user=county_user,
                head=head,
                data={"region_code": ANYANG_VILLAGE, "hukou_type": "urban", "bank_account": f"62284800123456{i:05d}"},
            )
        )
    return out


money_st = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(money_st, st.booleans()), min_size=1, max_size=6))
def test_money_sums_are_exact_through_the_whole_cycle(households, finance, county_user, lines):
    with transaction.atomic():
        for household, (amount, _ok) in zip(households, lines, strict=False):
            svc.enrollment_create(user=county_user, program="dibao", household=household, monthly_amount=amount,
                                  persons_covered=1, start_month=DEC)  # fmt: skip
        expected = sum((a for a, _ in lines), Decimal("0.00"))
        cycle = approved(finance)
        assert cycle.total == expected and cycle.lines == len(lines)
        content = payroll.payroll_export(user=None, cycle=cycle)
        assert sum(Decimal(r[3]) for r in csv_rows(content)[1:]) == expected
        fixed_total = bankfiles.FORMATS["fixed_gb18030"].render(
            [bankfiles.BankLine("m", "n", "i", "", "a", a) for a, _ in lines]
        )[9:24]
        assert int(fixed_total) == bankfiles.fen(expected)
        outcomes = {
            payroll.line_reference(cycle, n): ("成功" if ok else "失败", "x")
            for n, (_, ok) in enumerate(lines, start=1)
        }
        payroll.payroll_reconcile(user=None, cycle=cycle, content=result_file(content, outcomes))
        t = selectors.funds_ledger(user=None, program="dibao", month=DEC)["total"]
        assert t["appropriated"] == expected == t["paid"] + t["failed"]
        assert t["paid"] == sum((a for a, ok in lines if ok), Decimal("0.00"))
        assert t["appropriated"] == t["paid"] + t["in_flight"] + t["awaiting_reissue"]
        transaction.set_rollback(True)


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="王李张欧阳娜建国·", min_size=1, max_size=12),
            st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True),
            st.from_regex(r"[0-9]{12,30}", fullmatch=True),
            money_st,
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(sorted(bankfiles.FORMATS)),
)
def test_bank_files_round_trip_amounts_ids_and_references(rows, code):
    fmt = bankfiles.FORMATS[code]
    lines = [bankfiles.BankLine(f"DB202612-330381-{i:06d} 2026年12月低保金", n, idn, "", acct, amt)
             for i, (n, idn, acct, amt) in enumerate(rows, start=1)]  # fmt: skip
    content = fmt.render(lines)
    if code == "csv":
        result = result_file(content)
    else:
        result = b"\r\n".join(r + "成功".encode("gb18030") for r in content.split(b"\r\n")[1:-1])
    parsed = fmt.parse_result(result)
    assert [(r.id_number, Decimal(r.amount), r.memo.split()[0], r.result) for r in parsed] == [
        (line.id_number, line.amount, line.memo.split()[0], "成功") for line in lines
    ]


# ------------------------------------------------------------------ statistics and scoping


@pytest.mark.django_db
def test_monthly_statistics(roll, finance, county_user, tangxia_user, household_in, anyang_user, ids):
    a, b = roll
    household, _head, spouse = household_in
    # a second urban household in 塘下, whose township has its own standard
    standard_set(user=None, key="dibao_monthly", region_code=TANGXIA, value="1200", effective_from=DEC)
    p = registry.person_create(user=tangxia_user, data={"name": "赵敏", "id_number": ids(male=False),
                                                        "hukou_type": "urban", "region_code": TANGXIA_VILLAGE})  # fmt: skip
    h = registry.household_create(user=tangxia_user, head=p, data={
        "region_code": TANGXIA_VILLAGE, "hukou_type": "urban", "bank_account": "6217000099990000111"})  # fmt: skip
    svc.enrollment_create(user=county_user, program="dibao", household=h, monthly_amount=300, persons_covered=1,
                          start_month=JAN)  # fmt: skip
    # January: 安阳 head dies (transfer, not exit + new), 塘下 rural exits, 特困 for the spouse starts
    svc.enrollment_change(user=county_user, enrollment=a, kind="transfer_out", reason="head_died", effective_month=JAN)
    svc.enrollment_create(user=county_user, program="dibao", household=household, monthly_amount="860.5",
                          persons_covered=1, start_month=JAN, predecessor=a)  # fmt: skip
    svc.enrollment_change(user=county_user, enrollment=b, kind="exit", reason="moved_away", effective_month=JAN)
    svc.enrollment_create(user=county_user, program="tekun", household=household, person=spouse,
                          monthly_amount="1770", persons_covered=1, start_month=JAN)  # fmt: skip
    cycle = approved(finance, month=JAN)
    content = payroll.payroll_export(user=None, cycle=cycle)
    payroll.payroll_reconcile(user=None, cycle=cycle, content=result_file(content))

    def pick(rows):
        return {(r["region_code"], r["program"], r["hukou_type"]): r for r in rows}

    jan = pick(selectors.payroll_statistics(user=None, month=JAN, level="township"))
    anyang_dibao = jan[ANYANG, "dibao", "urban"]
    assert (anyang_dibao["households"], anyang_dibao["persons"]) == (1, 1)
    assert (anyang_dibao["new"], anyang_dibao["exited"]) == (0, 0)  # a transfer is neither
    assert (anyang_dibao["transferred_in"], anyang_dibao["transferred_out"]) == (1, 1)
    assert anyang_dibao["amount_due"] == anyang_dibao["amount_paid"] == Decimal("860.50")
    assert anyang_dibao["average_standard"] == Decimal("1180.00") and anyang_dibao["region_name"] == "安阳街道"
    assert jan[ANYANG, "tekun", "urban"]["new"] == 1 and jan[ANYANG, "tekun", "urban"]["average_standard"] is None
    tangxia_rural = jan[TANGXIA, "dibao", "rural"]
    assert (tangxia_rural["households"], tangxia_rural["exited"], tangxia_rural["new"]) == (0, 1, 0)
    tangxia_urban = jan[TANGXIA, "dibao", "urban"]
    assert (tangxia_urban["households"], tangxia_urban["new"], tangxia_urban["average_standard"]) == (
        1, 1, Decimal("1200.00"),
    )  # fmt: skip

    county = pick(selectors.payroll_statistics(user=None, month=JAN, level="county"))
    urban = county[RUIAN, "dibao", "urban"]
    assert (urban["households"], urban["persons"], urban["amount_paid"]) == (2, 2, Decimal("1160.50"))
    assert urban["average_standard"] == Decimal("1190.00")  # (1,180 × 1 + 1,200 × 1) / 2 persons
    dec = pick(selectors.payroll_statistics(user=None, month=DEC, level="city"))
    assert dec["330300000000", "dibao", "urban"]["new"] == 1 and dec["330300000000", "dibao", "rural"]["new"] == 1
    assert dec["330300000000", "dibao", "urban"]["amount_due"] == 0  # December was never approved

    # a township user's statistics hold their township only
    mine = selectors.payroll_statistics(user=anyang_user, month=JAN, level="county")
    assert {(r["program"], r["hukou_type"], r["households"]) for r in mine} == {
        ("dibao", "urban", 1),
        ("tekun", "urban", 1),
    }
    with pytest.raises(ValidationError, match="统计层级"):
        selectors.payroll_statistics(user=None, month=JAN, level="village")


@pytest.mark.django_db
def test_a_township_user_sees_only_their_townships_lines(roll, finance, anyang_user, tangxia_user):
    cycle = payroll.payroll_generate(user=finance[0], program="dibao", month=DEC)
    assert [e.payee_name for e in selectors.entitlement_list(user=anyang_user, cycle=cycle)] == ["王建国"]
    assert [e.payee_name for e in selectors.entitlement_list(user=tangxia_user, cycle=cycle)] == ["陈志明"]
    assert selectors.entitlement_list(user=finance[0], cycle=cycle).count() == 2
    assert not selectors.cycle_list(user=anyang_user).exists()  # the county's cycle itself is not theirs
    assert selectors.cycle_list(user=finance[1]).get() == cycle
    with pytest.raises(PermissionDenied):
        payroll.payroll_export(user=anyang_user, cycle=cycle)
    with pytest.raises(PermissionDenied):
        payroll.payroll_reconcile(user=tangxia_user, cycle=cycle, content=b"")


# ------------------------------------------------------------------ job and CLI


@pytest.mark.django_db
def test_generate_as_a_background_job(roll, finance):
    job = payroll.payroll_generate_enqueue(user=finance[0], program="dibao", month="2026-12")
    job = job_run(job.pk)
    assert job.state == JobState.SUCCEEDED
    assert job.result["lines"] == 2 and job.result["total"] == "2040.50" and job.result["state"] == "calculated"
    approved_cycle = PaymentCycle.objects.get()
    approved_cycle.state = CycleState.APPROVED
    approved_cycle.save()
    job = job_run(payroll.payroll_generate_enqueue(user=None, program="dibao", month="2026-12").pk)
    assert job.state == JobState.FAILED and "该月发放已审批" in job.error and "Refused" not in job.error


def cli(capsys, *args) -> dict:
    call_command("payroll", *args)
    return json.loads(capsys.readouterr().out)


@pytest.mark.django_db
def test_cli_generate_approve_export_reconcile(roll, finance, capsys, tmp_path, household_other):
    registry.household_update(user=None, household=household_other[0], data={"bank_account": "6217000011112222333"})
    out = cli(capsys, "generate", "--program", "dibao", "--month", "2026-12", "--user", "finance_a")
    assert {k: out[k] for k in ("lines", "total", "state")} == {"lines": 2, "total": "2040.50", "state": "calculated"}
    with pytest.raises(CommandError, match="双人复核"):
        call_command("payroll", "approve", "--program", "dibao", "--month", "2026-12", "--user", "finance_a")
    with pytest.raises(CommandError, match="--user"):
        call_command("payroll", "approve", "--program", "dibao", "--month", "2026-12")
    # without --confirm the approver is shown what they approve and nothing changes (issue 13 item 3)
    out = cli(capsys, "approve", "--program", "dibao", "--month", "2026-12", "--user", "finance_b")
    assert (out["approved"], out["state"], out["confirm"]) == (False, "calculated", "2/2040.50/0/0.00")
    assert out["held_lines"] == [] and out["no_account"] == {"lines": 0, "amount": "0.00"}
    assert PaymentCycle.objects.get().state == CycleState.CALCULATED
    for wrong in ("2/2040.00/0/0.00", "2/2040.50", "x/2040.50/0/0.00"):
        with pytest.raises(CommandError, match=r"重新核对|笔数/总额"):
            call_command("payroll", "approve", "--program", "dibao", "--month", "2026-12", "--user", "finance_b",
                         "--confirm", wrong)  # fmt: skip
    assert PaymentCycle.objects.get().state == CycleState.CALCULATED
    out = cli(capsys, "approve", "--program", "dibao", "--month", "2026-12", "--user", "finance_b",
              "--confirm", "2/2040.50/0/0.00")  # fmt: skip
    assert (out["lines"], out["total"], out["state"]) == (2, "2040.50", "approved")
    path = tmp_path / "dibao-202612.csv"
    out = cli(capsys, "export", "--program", "dibao", "--month", "2026-12", "--out", str(path))
    assert (out["lines"], out["total"], out["state"], out["exported_lines"]) == (2, "2040.50", "exported", 2)
    assert out["not_exported"] == []
    result = tmp_path / "result.csv"
    result.write_bytes(result_file(path.read_bytes(), {"DB202612-330381-000002": ("失败", "账户冻结")}))
    out = cli(capsys, "reconcile", "--program", "dibao", "--month", "2026-12", "--file", str(result))
    assert (out["state"], out["paid"], out["failed"], out["paid_total"]) == ("reconciled", 1, 1, "860.50")
    out = cli(capsys, "failed", "--program", "dibao", "--month", "2026-12")
    assert [(f["line"], f["reason"], f["amount"]) for f in out["failed"]] == [(2, "账户冻结", "1180.00")]
    assert "6217000011112222333" not in json.dumps(out)
    out = cli(capsys, "reissue", "--program", "dibao", "--month", "2026-12", "--user", "finance_b")
    assert (out["reissued"], out["reissued_total"], out["state"]) == (1, "1180.00", "exported")

    # bad input: Chinese messages, nothing written
    bad = tmp_path / "bad.csv"
    bad.write_bytes(result_file(path.read_bytes(), edit=lambda r: [*r[:3], "1.00", *r[4:]]))
    with pytest.raises(CommandError, match="对账未生效"):
        call_command("payroll", "reconcile", "--program", "dibao", "--month", "2026-12", "--file", str(bad))
    assert "第2行" in capsys.readouterr().err
    for args, message in [
        (["generate", "--program", "dibao", "--month", "2026-13"], "YYYY-MM"),
        (["generate", "--program", "xx", "--month", "2026-12"], "不认识的保障项目"),
        (["export", "--program", "dibao", "--month", "2027-03", "--out", str(path)], "没有2027年03月低保"),
        (["export", "--program", "dibao", "--month", "2026-12", "--out", "/nonexistent/x.csv"], "不存在"),
        (
            ["export", "--program", "dibao", "--month", "2026-12", "--out", str(path), "--format", "x"],
            "不认识的银行文件格式",
        ),
        (["approve", "--program", "dibao", "--month", "2026-12", "--user", "nobody"], "没有用户名为 nobody"),
        (["reconcile", "--program", "dibao", "--month", "2026-12", "--file", str(tmp_path / "none")], "无法读取"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("payroll", *args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--program", "dibao", "--month", "2026-13"], "月份“2026-13”格式不正确"),
        (["generate", "--month", "2026-12"], "缺少参数 --program"),
        (["generate", "--program", "dibao", "--month", "2026-12", "--bogus"], "不认识的参数：--bogus"),
        (["publish"], "取值“publish”无效"),
    ],
)
def test_cli_bad_input_exits_1_with_chinese_message_and_no_traceback(tmp_path, args, message):
    exe = Path(sys.executable).with_name("minzheng")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "minzheng.settings", "MINZHENG_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run([str(exe), "payroll", *args], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.django_db
def test_cycle_find_needs_a_region_when_a_month_has_several(roll, make_user):
    payroll.payroll_generate(user=None, program="dibao", month=DEC, region_code=ANYANG)
    payroll.payroll_generate(user=None, program="dibao", month=DEC, region_code=TANGXIA)
    with pytest.raises(ValidationError, match="多个发放批次"):
        selectors.cycle_find(user=None, program="dibao", month=DEC)
    assert selectors.cycle_find(user=None, program="dibao", month=DEC, region_code=TANGXIA).region_code == TANGXIA
    assert LineStatus.PENDING in set(Entitlement.objects.values_list("status", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_of_overlapping_regions_yields_one_cycle(roll, finance):
    """Two finance users start overlapping cycles at the same moment: the program row lock makes
    the second wait, see the first cycle and refuse (PostgreSQL: real row locks)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    import threading

    from django.db import connections

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(region):
        try:
            barrier.wait()
            payroll.payroll_generate(user=finance[0], program="dibao", month=DEC, region_code=region)
            outcomes.append("ok")
        except svc.Refused as exc:
            outcomes.append("refused" if "范围重叠" in exc.message else exc.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(r,)) for r in (ANYANG, RUIAN)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert PaymentCycle.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.timeout(120)  # before the fix, PostgreSQL's COPY was left open and the rollback hung
@pytest.mark.parametrize("workers", [1, 2])
def test_a_line_that_does_not_decrypt_stops_the_export_with_a_message(roll, finance, monkeypatch, workers):
    """A ciphertext altered in the database (or a key missing): the export is refused naming the
    line, nothing changes, and the connection is usable again."""
    cycle = approved(finance)
    line = Entitlement.objects.get(cycle=cycle, line_no=1)
    good = line.bank_account
    with connection.cursor() as cur:  # one character of the token changed, as tampering would
        cur.execute(
            "UPDATE benefits_entitlement SET bank_account = %s WHERE id = %s",
            [good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:], line.pk],
        )
    if workers > 1:
        monkeypatch.setattr(bankfiles, "PARALLEL_FROM", 1)
    with pytest.raises(svc.Refused, match=r"第 1 行.*无法解密"):
        payroll.payroll_export(user=finance[0], cycle=cycle, workers=workers)
    cycle.refresh_from_db()
    assert cycle.state == "approved"
    assert not LedgerEntry.objects.filter(kind=LedgerKind.FAILED).exists()
    assert not AuditEvent.objects.filter(object_type="benefits.cycle", action="export").exists()
    assert Entitlement.objects.filter(cycle=cycle, status="pending").count() == cycle.lines
