"""Monthly payroll (社会化发放): payment cycles, their entitlements, bank files, reconciliation,
reissue and the funds ledger.

A cycle is one program × month × region (发放批次): draft → calculated → approved (by a second
user: maker-checker) → exported → reconciled, as the table in :mod:`.workflow` allows. The
calculation is one set-based ``INSERT … SELECT`` over the enrollment *events* — the state and
amount in force in the paid month, not the enrollment's current pointer — with a snapshot of the
payee and the bank account (ciphertext copied, never decrypted). Re-running a calculated cycle
deletes and re-inserts its lines in one transaction, so it is idempotent; an approved cycle is
frozen (民发〔2021〕57号 第二十五条: paid monthly, 社会化发放, into the recipient's account).

Registered hold checks (:mod:`.holds`) run over the whole cycle at every calculation; a line they
hold (暂缓发放: e.g. its payee is recorded dead) is not exported nor appropriated until a finance
user releases it, before approval, with a reason.

Every line carries a reference, ``<prefix><yyyymm>-<region prefix>-<line no>`` (``-B<n>`` for the
n-th reissue), e.g. ``DB202612-330381-000123``: unique across cycles (cycles of a program and month
never overlap), written into the bank file's 摘要 and read back from the bank's result file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from minzheng.foundation.accounts.scoping import has_permission, permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.crypto import sm
from minzheng.foundation.money import yuan
from minzheng.foundation.regions.prefixes import LEVEL_LENGTHS, prefix_upper
from minzheng.foundation.regions.selectors import region_get
from minzheng.foundation.registry.models import Household
from minzheng.foundation.tabular import TooBig, bank_result_caps, csv_lines_check, read_bounded

from . import bankfiles, holds
from .models import (
    PAYABLE_STATES,
    CycleEvent,
    CycleState,
    Enrollment,
    EnrollmentState,
    Entitlement,
    EntitlementHold,
    LedgerEntry,
    LedgerKind,
    LineStatus,
    PaymentCycle,
    Program,
)
from .services import Refused
from .workflow import cycle_refusal

CENT = Decimal("0.01")
NO_ACCOUNT = "未登记银行账号，未导出"
NO_PAYEE = "未确定收款人，未导出"
BATCH = 10_000  # ids per UPDATE … WHERE id IN (…) (SQLite allows 32,766 variables)


# ---------------------------------------------------------------- small helpers


def month_parse(value) -> dt.date:
    """A month as the date of its first day, from a date or ``"2026-12"``."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    m = re.fullmatch(r"\s*([0-9]{4})-([0-9]{1,2})(?:-01)?\s*", str(value or ""))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValidationError({"month": f"月份“{value}”格式不正确，应为 YYYY-MM，如 2026-12"})
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def code_prefix(code: str) -> str:
    """The prefix of a 12-digit region code by its level: the shortest level length after which
    only zeros follow (330381100000 → 330381100, a township; no level's own digits are all zero)."""
    for n in LEVEL_LENGTHS:
        if not code[n:].strip("0"):
            return code[:n]
    return code


def common_prefix(lo: str, hi: str) -> str:
    """The narrowest level prefix containing both codes (and so everything between them)."""
    n = 0
    while n < min(len(lo), len(hi)) and lo[n] == hi[n]:
        n += 1
    fits = [length for length in LEVEL_LENGTHS if length <= n]
    return lo[: fits[-1]] if fits else ""


def _actor(user):
    return user if getattr(user, "pk", None) else None


def money(value) -> Decimal:
    """A database amount as Decimal yuan (SQLite hands back int or float for a decimal column)."""
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def program_get(program) -> Program:
    if isinstance(program, Program):
        return program
    prog = Program.objects.filter(code=program).first()
    if prog is None:
        known = "、".join(f"{p.code}（{p.short_name}）" for p in Program.objects.filter(pays_monthly=True))
        raise ValidationError({"program": f"不认识的保障项目：{program}；按月发放的项目有：{known}"})
    return prog


def reference_prefix(program: Program) -> str:
    return program.number_prefix or program.code.upper()


def cycle_memo(cycle: PaymentCycle) -> bankfiles.Memo:
    """The 摘要 of the cycle's lines, e.g. ``DB202612-330381-000123 2026年12月低保金``."""
    prefix = f"{reference_prefix(cycle.program)}{cycle.month:%Y%m}-{code_prefix(cycle.region_code)}-"
    return bankfiles.Memo(prefix, f"{cycle.month.year}年{cycle.month.month}月{cycle.program.short_name}金")


def line_reference(cycle: PaymentCycle, line_no: int, reissues: int = 0) -> str:
    return cycle_memo(cycle).reference(line_no, reissues)


def line_memo(cycle: PaymentCycle, line_no: int, reissues: int = 0) -> str:
    return cycle_memo(cycle).memo(line_no, reissues)


REFERENCE_RE = re.compile(
    r"^(?P<prefix>[A-Z_]+)(?P<month>[0-9]{6})-(?P<region>[0-9]{2,12})-(?P<line>[0-9]{6,})(?:-B(?P<re>[0-9]+))?$"
)


def cycle_label(cycle: PaymentCycle) -> str:
    return f"{cycle.month:%Y年%m月}{cycle.program.short_name}发放批次（区划 {cycle.region_code}）"


def cycle_summary(cycle: PaymentCycle, flags: dict | None = None) -> dict:
    """The JSON summary the CLI prints and jobs return (money as a string with two decimals): the
    lines and total calculated, the lines held (暂缓发放, not exported) and, among the lines to pay,
    those without a bank account or payee (they cannot be exported until one is registered;
    ``flags`` as :func:`cycle_flags` answered, when already known)."""
    flags = flags if flags is not None else cycle_flags(cycle)
    return {
        "cycle": cycle.pk,
        "program": cycle.program_id,
        "month": f"{cycle.month:%Y-%m}",
        "region_code": cycle.region_code,
        "lines": cycle.lines,
        "persons": cycle.persons,
        "total": f"{money(cycle.total):.2f}",
        "held": {"lines": cycle.held_lines, "amount": f"{money(cycle.held_total):.2f}"},
        **{
            key: {"lines": flags[key][0], "amount": f"{flags[key][1]:.2f}"}
            for key in FLAGS
            if key in flags  # ``flags={}``: the stored figures only
        },
        "state": cycle.state,
    }


FLAGS = {
    # lines still to pay that the bank file cannot carry: flagged at generate and approve
    "no_payee": Q(payee_id_number=""),
    "no_account": Q(bank_account="") & ~Q(payee_id_number=""),
}


def _flag_aggregates() -> dict:
    return {
        **{f"n_{k}": Count("id", filter=q) for k, q in FLAGS.items()},
        **{f"t_{k}": Sum("amount", filter=q) for k, q in FLAGS.items()},
    }


def _flags_of(agg: dict) -> dict[str, tuple[int, Decimal]]:
    return {k: (agg[f"n_{k}"] or 0, money(agg[f"t_{k}"])) for k in FLAGS}


def cycle_flags(cycle: PaymentCycle) -> dict[str, tuple[int, Decimal]]:
    """(lines, amount) of the cycle's lines to pay without a payee or without a bank account, in
    one pass over the cycle's lines."""
    if not cycle.pk:
        return {k: (0, Decimal("0.00")) for k in FLAGS}
    return _flags_of(
        Entitlement.objects.filter(cycle_id=cycle.pk, status=LineStatus.PENDING).aggregate(**_flag_aggregates())
    )


def flags_note(cycle: PaymentCycle, flags: dict | None = None) -> str:
    """ "；暂缓发放 2 笔 1,860.00 元；未登记银行账号 1 笔 …" (empty when nothing is flagged)."""
    flags = flags if flags is not None else cycle_flags(cycle)
    parts = []
    if cycle.held_lines:
        parts.append(f"暂缓发放 {cycle.held_lines} 笔 {yuan(cycle.held_total)} 元")
    for key, label in (("no_account", "未登记银行账号"), ("no_payee", "未确定收款人")):
        n, amount = flags[key]
        if n:
            parts.append(f"{label} {n} 笔 {yuan(amount)} 元")
    return "".join(f"；{p}" for p in parts)


def _event(cycle: PaymentCycle, user, note: str) -> None:
    CycleEvent.objects.create(cycle=cycle, state=cycle.state, note=note[:300], actor=_actor(user))


def _move(cycle: PaymentCycle, target: str) -> None:
    refusal = cycle_refusal(target, cycle.state)
    if refusal:
        raise Refused(refusal)
    cycle.state = target


def _ledger(cycle: PaymentCycle, user, kind: str, amount: Decimal, lines: int, note: str) -> None:
    if lines:
        LedgerEntry.objects.create(
            program_id=cycle.program_id, month=cycle.month, region_code=cycle.region_code, kind=kind,
            amount=amount, lines=lines, cycle=cycle, note=note[:300], actor=_actor(user),
        )  # fmt: skip


def _totals(qs) -> tuple[int, Decimal]:
    agg = qs.aggregate(n=Count("id"), total=Sum("amount"))
    return agg["n"], money(agg["total"])


def _settle(cycle: PaymentCycle, user) -> None:
    """An exported cycle with a result for every line is reconciled."""
    if cycle.state == CycleState.EXPORTED and not cycle.entitlements.filter(status=LineStatus.PENDING).exists():
        _move(cycle, CycleState.RECONCILED)
        cycle.save(update_fields=["state"])
        _event(cycle, user, "每一笔均已有发放结果")


# ---------------------------------------------------------------- generate

# One statement: the event in force in the month for every enrollment of the program in the
# region (ROW_NUMBER over each enrollment's events, latest effective month first; PostgreSQL and
# SQLite ≥ 3.25), payable state and a positive amount; line numbers in region and enrollment-number
# order, given on these narrow rows before the wide ones are joined; the payee (the single person
# enrolled, else the household head) and the bank account copied as stored — ciphertext to
# ciphertext, never decrypted. A 渐退期 ends with the period its decision set (``phase_out_until``,
# "渐退期满后停发"; 2022 兜底通知 §一(三), 审核确认办法 第三十三条): no month after it is paid, whether or not
# ``phase_out_expire`` has already recorded the exit.
GENERATE_SQL = """
INSERT INTO benefits_entitlement (
    cycle_id, line_no, enrollment_id, household_id, region_code, hukou_type, state, persons_covered,
    amount, components, payee_name, payee_id_number, payee_id_number_masked, bank_name, bank_account,
    bank_account_masked, status, failure_reason, reissues
)
SELECT
    %s, x.line_no, x.enrollment_id, x.household_id, x.region_code, x.hukou_type, x.state,
    x.persons_covered, x.monthly_amount, x.components,
    COALESCE(p.name, ''), COALESCE(p.id_number, ''), COALESCE(p.id_number_masked, ''),
    h.bank_name, h.bank_account, h.bank_account_masked, %s, '', 0
FROM (
    SELECT y.*, ROW_NUMBER() OVER (ORDER BY y.region_code{collate}, y.number{collate}) AS line_no
    FROM (
        SELECT
            en.id AS enrollment_id, en.number, en.household_id, en.person_id, en.region_code, en.hukou_type,
            en.phase_out_until, ev.state, ev.monthly_amount, ev.persons_covered, ev.components,
            ROW_NUMBER() OVER (PARTITION BY ev.enrollment_id ORDER BY ev.effective_month DESC, ev.id DESC) AS rn
        FROM benefits_enrollmentevent ev
        JOIN benefits_enrollment en ON en.id = ev.enrollment_id
        WHERE en.program_id = %s AND en.region_code >= %s {upper} AND ev.effective_month <= %s
    ) y
    WHERE y.rn = 1 AND y.state IN (%s, %s) AND y.monthly_amount > 0
      AND (y.state <> %s OR y.phase_out_until IS NULL OR y.phase_out_until >= %s)
) x
JOIN registry_household h ON h.id = x.household_id
LEFT JOIN registry_person p ON p.id = COALESCE(x.person_id, h.head_id)
"""


def generate_statement(*, cycle_id: int, program: str, prefix: str, month: dt.date) -> tuple[str, list]:
    """:data:`GENERATE_SQL` for one cycle, with its parameters (also what the benchmark explains)."""
    upper = prefix_upper(prefix)
    sql = GENERATE_SQL.format(
        upper="AND en.region_code < %s" if upper else "",
        collate=' COLLATE "C"' if connection.vendor == "postgresql" else "",  # SQLite: bytes already
    )
    params = [cycle_id, LineStatus.PENDING, program, prefix, *([upper] if upper else []), month, *PAYABLE_STATES,
              EnrollmentState.PHASE_OUT, month]  # fmt: skip
    return sql, params


# PostgreSQL, for the payroll's few large statements only (SET LOCAL: until the transaction ends):
# the planner cannot estimate how many rows pass ``rn = 1`` (it guesses 0.5 %) and would look up
# a million households and persons one by one through their indexes, where one hash join each is
# many times cheaper; sorts and hash tables of a million rows want more than the 4 MB default;
# JIT compilation does not pay for one statement. The line-number sort compares codes byte by byte
# (COLLATE "C": digits and Latin letters, the same order; a locale collation costs a strcoll()
# per comparison and forgoes PostgreSQL's abbreviated keys).
PG_BATCH = ("SET LOCAL work_mem = '256MB'", "SET LOCAL enable_nestloop = off", "SET LOCAL jit = off")
PG_BATCH_END = ("SET LOCAL work_mem TO DEFAULT", "SET LOCAL enable_nestloop TO DEFAULT", "SET LOCAL jit TO DEFAULT")


def _batch(cur, statements) -> None:
    if connection.vendor == "postgresql":
        for statement in statements:
            cur.execute(statement)


def _cycle_region(program: Program, region_code: str | None) -> tuple[str, str]:
    """(12-digit code, prefix) of the cycle's region: the one asked for, or the narrowest region
    (at a level boundary) containing every enrollment of the program."""
    if region_code:
        region = region_get(region_code)
        if region is None:
            raise ValidationError({"region_code": f"区划代码 {region_code} 不存在"})
        return region.code, region.prefix
    span = Enrollment.objects.filter(program=program).aggregate(lo=Min("region_code"), hi=Max("region_code"))
    if span["lo"] is None:
        raise Refused(f"{program.short_name}没有保障对象，无需生成发放批次")
    prefix = common_prefix(span["lo"], span["hi"])
    if not prefix:
        raise ValidationError({"region_code": f"{program.short_name}保障对象跨越多个省份，请指定发放区划"})
    return prefix.ljust(12, "0"), prefix


def payroll_generate(*, user, program, month, region_code: str | None = None) -> PaymentCycle:
    """Calculate (or recalculate) the cycle of ``program`` for ``month`` in a region: one
    entitlement per enrollment payable in that month with an amount above zero. Idempotent;
    refused once the cycle is approved, and for a region overlapping another cycle of the same
    program and month (a household must never be in two cycles)."""
    month = month_parse(month)
    prog = program_get(program)
    if not prog.pays_monthly:
        raise Refused(f"{prog.short_name}不按月发放，没有月度发放批次")
    code, prefix = _cycle_region(prog, region_code)
    permission_require(user, "payroll.prepare", code, message="无权办理该区划的发放业务")
    with transaction.atomic():
        # one calculation per program at a time, so the overlap check below cannot race
        Program.objects.select_for_update().filter(pk=prog.pk).first()
        cycle = PaymentCycle.objects.select_for_update().filter(program=prog, month=month, region_code=code).first()
        if cycle is None:
            for other in PaymentCycle.objects.filter(program=prog, month=month):
                theirs = code_prefix(other.region_code)
                if theirs.startswith(prefix) or prefix.startswith(theirs):
                    raise Refused(
                        f"{month:%Y年%m月}{prog.short_name}已有区划 {other.region_code} 的发放批次，与区划 {code} "
                        "范围重叠：同一家庭不能进入两个批次，请重新生成原批次或选择不重叠的区划"
                    )
            cycle = PaymentCycle.objects.create(program=prog, month=month, region_code=code)
        cycle.program = prog
        # before: the stored figures only (the old lines' flags are not worth a pass over them)
        before = cycle_summary(cycle, flags={}) if cycle.state == CycleState.CALCULATED else None
        _move(cycle, CycleState.CALCULATED)
        sql, params = generate_statement(cycle_id=cycle.pk, program=prog.pk, prefix=prefix, month=month)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM benefits_entitlement WHERE cycle_id = %s", [cycle.pk])
            _batch(cur, PG_BATCH)
            cur.execute(sql, params)
            _batch(cur, PG_BATCH_END)
        # one pass over the new lines (all to pay until the holds are marked): totals and flags
        agg = Entitlement.objects.filter(cycle=cycle).aggregate(
            lines=Count("id"), persons=Sum("persons_covered"), total=Sum("amount"), **_flag_aggregates()
        )
        cycle.lines, cycle.persons, cycle.total = agg["lines"], agg["persons"] or 0, money(agg["total"])
        held_flags = _holds_apply(cycle, _holds_find(cycle))
        cycle.calculated_by, cycle.calculated_at = _actor(user), timezone.now()
        cycle.save()
        # the held lines are not to pay: their flags come off
        flags = {k: (n - held_flags[k][0], amount - held_flags[k][1]) for k, (n, amount) in _flags_of(agg).items()}
        note = f"{'重新' if before else ''}计算：{cycle.lines} 笔，{cycle.persons} 人，{yuan(cycle.total)} 元"
        note += flags_note(cycle, flags)
        _event(cycle, user, note)
        audit_record(
            action="calculate", object_type="benefits.cycle", object_id=cycle.pk, region_code=code,
            summary=f"{cycle_label(cycle)} {note}",
            changes={"before": before, "after": cycle_summary(cycle, flags)},
        )  # fmt: skip
        transaction.on_commit(lambda: _announce(cycle, user))
    return cycle


# ---------------------------------------------------------------- holds (暂缓发放)


def _holds_find(cycle: PaymentCycle) -> list[EntitlementHold]:
    """Every hold the registered checks find in the cycle (each check once over all its lines),
    as unsaved rows; a hold naming an enrollment without a line in the cycle is ignored."""
    found: dict[tuple, holds.Hold] = {}
    for check in holds.checks_for(cycle.program_id):
        for h in check.run(cycle):
            found.setdefault((h.enrollment_id, check.code, h.subject), h)
    named = sorted({k[0] for k in found})
    in_cycle: set[int] = set()
    for i in range(0, len(named), BATCH):
        lines = Entitlement.objects.filter(cycle=cycle, enrollment_id__in=named[i : i + BATCH])
        in_cycle.update(lines.values_list("enrollment_id", flat=True))
    return [
        EntitlementHold(cycle=cycle, enrollment_id=k[0], rule=k[1], subject=k[2][:70], reason=h.reason[:300])
        for k, h in found.items()
        if k[0] in in_cycle
    ]


def _holds_apply(cycle: PaymentCycle, found: list[EntitlementHold]) -> dict[str, tuple[int, Decimal]]:
    """Keep the cycle's hold rows in step with what the checks found (a released hold stays
    released while its reason stands, and is held again when its reason changes; a hold whose
    reason is gone is removed), mark the lines with
    an unreleased hold as held, and count them on the cycle."""
    key = lambda h: (h.enrollment_id, h.rule, h.subject)  # noqa: E731
    existing = {key(h): h for h in EntitlementHold.objects.filter(cycle=cycle)}
    wanted = {key(h): h for h in found}
    gone = [h.pk for k, h in existing.items() if k not in wanted]
    for i in range(0, len(gone), BATCH):
        EntitlementHold.objects.filter(pk__in=gone[i : i + BATCH]).delete()
    EntitlementHold.objects.bulk_create([h for k, h in wanted.items() if k not in existing])
    for k, h in wanted.items():
        if k in existing and existing[k].reason != h.reason:
            # new evidence: a release given on the old reason does not cover it (held again; the
            # release itself stays in the cycle's history and the audit log)
            EntitlementHold.objects.filter(pk=existing[k].pk).update(
                reason=h.reason, released_at=None, released_by=None, release_reason=""
            )
    return _holds_mark(cycle, fresh=True)


def _holds_mark(cycle: PaymentCycle, *, fresh: bool = False) -> dict[str, tuple[int, Decimal]]:
    """Lines of the calculated cycle: held while an unreleased hold names their enrollment, else
    to pay; the cycle's held count and amount. ``fresh``: the lines were just inserted, all to
    pay (no pass over a million lines when nothing is held). Returns the :data:`FLAGS` counts and
    amounts of the held lines (from the same pass that counts them)."""
    unreleased = EntitlementHold.objects.filter(cycle=cycle, released_at__isnull=True)
    active = set(unreleased.values_list("enrollment_id", flat=True))
    lines = Entitlement.objects.filter(cycle=cycle)
    held_flags = {k: (0, Decimal("0.00")) for k in FLAGS}
    if fresh and not active:
        cycle.held_lines, cycle.held_total = 0, Decimal("0.00")
        return held_flags
    if not fresh:
        # one statement, the holds as a subquery (no list of ids as parameters, however many)
        lines.filter(status=LineStatus.HELD).exclude(enrollment_id__in=unreleased.values("enrollment_id")).update(
            status=LineStatus.PENDING
        )
    ids = sorted(active)
    cycle.held_lines, cycle.held_total = 0, Decimal("0.00")
    for i in range(0, len(ids), BATCH):  # through the (enrollment, cycle) index, not over every line
        part = lines.filter(enrollment_id__in=ids[i : i + BATCH])
        part.filter(status=LineStatus.PENDING).update(status=LineStatus.HELD)
        agg = part.aggregate(n=Count("id"), total=Sum("amount"), **_flag_aggregates())
        cycle.held_lines, cycle.held_total = cycle.held_lines + agg["n"], cycle.held_total + money(agg["total"])
        for k, (n, amount) in _flags_of(agg).items():
            held_flags[k] = (held_flags[k][0] + n, held_flags[k][1] + amount)
    return held_flags


def held_lines(cycle: PaymentCycle) -> list[dict]:
    """The cycle's lines with a hold (held, or released before approval), each with its holds:
    ``{"line": Entitlement, "holds": [EntitlementHold …], "held": bool}``, in line order."""
    rows = list(EntitlementHold.objects.filter(cycle=cycle).select_related("released_by").order_by("id"))
    by_enrollment: dict[int, list] = {}
    for h in rows:
        by_enrollment.setdefault(h.enrollment_id, []).append(h)
    out = []
    ids = list(by_enrollment)
    for i in range(0, len(ids), BATCH):
        qs = Entitlement.objects.filter(cycle=cycle, enrollment_id__in=ids[i : i + BATCH]).defer(
            "payee_id_number", "bank_account"
        )
        for line in qs:
            hs = by_enrollment[line.enrollment_id]
            out.append({"line": line, "holds": hs, "held": line.status == LineStatus.HELD})
    out.sort(key=lambda r: r["line"].line_no)
    return out


def payroll_hold_release(*, user, cycle: PaymentCycle, line_no: int, reason: str) -> Entitlement:
    """Release every hold of one line (解除暂缓发放) with the finance user's reason, e.g. that the
    death record was found to be wrong: the line is paid with the cycle. Only before approval, by a
    named finance user of the region; audited, and recorded in the cycle's history, so the approver
    sees who released what and why."""
    if _actor(user) is None:
        raise Refused("解除暂缓发放须由具名的财务人员办理（命令行请用 --user 指定）")
    if not (has_permission(user, "payroll.prepare", cycle.region_code)
            or has_permission(user, "payroll.approve", cycle.region_code)):  # fmt: skip
        raise PermissionDenied("无权办理该区划的发放业务")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": "请写明解除暂缓发放的理由（如：经入户核实本人健在，死亡登记有误），至少4个字"})
    with transaction.atomic():
        c = PaymentCycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        if c.state != CycleState.CALCULATED:
            raise Refused(f"该批次当前为“{CycleState(c.state).label}”：只有审批前才能解除暂缓发放")
        line = Entitlement.objects.filter(cycle=c, line_no=line_no).first()
        if line is None:
            raise ValidationError({"line_no": f"本批次没有序号 {line_no} 的明细"})
        active = EntitlementHold.objects.filter(cycle=c, enrollment_id=line.enrollment_id, released_at__isnull=True)
        reasons = list(active.values_list("reason", flat=True))
        if not reasons:
            raise Refused(f"序号 {line_no} 的明细没有暂缓发放，无需解除")
        active.update(released_at=timezone.now(), released_by=user, release_reason=reason[:300])
        _holds_mark(c)
        c.save(update_fields=["held_lines", "held_total"])
        note = f"解除暂缓发放：序号 {line_no}（{line.payee_name}，{yuan(line.amount)} 元），理由：{reason}"
        _event(c, user, note)
        audit_record(
            action="release_hold", object_type="benefits.cycle", object_id=c.pk, region_code=line.region_code,
            summary=f"{cycle_label(c)} {note}",
            changes={"line_no": line_no, "amount": f"{money(line.amount):.2f}", "holds": reasons, "reason": reason},
        )  # fmt: skip
    cycle.refresh_from_db()
    line.refresh_from_db()
    return line


# ---------------------------------------------------------------- announcing a cycle to approve


def approvers(cycle: PaymentCycle, *, exclude=None) -> list:
    """The active users who may approve the cycle (``payroll.approve`` over its whole region),
    except ``exclude`` (the maker)."""
    from minzheng.foundation.accounts.selectors import users_with_permission

    maker = getattr(exclude, "pk", None) if exclude is not None else None
    return [u for u in users_with_permission("payroll.approve", cycle.region_code) if u.pk != maker]


def _announce(cycle: PaymentCycle, user) -> None:
    """After a calculation commits: an in-app message to every other finance officer who may
    approve the cycle (the to-do itself is the cycle awaiting approval on their home page)."""
    from minzheng.foundation.notify.services import notify_many

    c = PaymentCycle.objects.select_related("program").filter(pk=cycle.pk, state=CycleState.CALCULATED).first()
    if c is None:
        return
    users = approvers(c, exclude=_actor(user))
    if not users:
        return
    maker = str(_actor(user) or "系统")
    body = (
        f"{cycle_label(c)}已由{maker}计算完成，待您审批：{c.lines} 笔，{yuan(c.total)} 元"
        + flags_note(c)
        + "。请在工作台“发放批次”中核对后审批。"
    )
    notify_many(
        channel="in_app", subject=f"待审批：{cycle_label(c)}", body=body,
        recipients=[{"user": u} for u in users], related_type="benefits.cycle", related_id=c.pk,
        region_code=c.region_code,
    )  # fmt: skip


def payroll_generate_enqueue(*, user, program, month, region_code: str | None = None):
    """The same calculation as a background job (``benefits.payroll_generate``)."""
    from minzheng.foundation.jobs.services import job_enqueue

    prog = program_get(program)
    month = month_parse(month)
    if user is not None and not has_permission(user, "payroll.prepare"):
        raise PermissionDenied("无权办理发放业务")
    return job_enqueue(
        kind="benefits.payroll_generate",
        title=f"生成{month:%Y年%m月}{prog.short_name}发放批次",
        params={"program": prog.code, "month": f"{month:%Y-%m}", "region_code": region_code or ""},
        user=_actor(user),
        region_code=region_code or "",
    )


# ---------------------------------------------------------------- approve


MAKER_REFUSAL = "审批人不能是计算该批次的人（双人复核）：请由另一位财务人员审批"


def payroll_approve(*, user, cycle: PaymentCycle, seen: dict | None = None) -> PaymentCycle:
    """Approve a calculated cycle (maker-checker: never by the user who calculated it). The cycle
    is frozen from now on; the lines to pay (all but the held ones) are appropriated in the funds
    ledger, and held lines stay unpaid in this cycle. ``seen``: what the approver confirmed
    (``{"lines", "total", "held_lines", "held_total"}`` as on the approve page); a cycle that
    changed since (recalculated, a hold released) is refused, so nobody approves figures they
    did not see."""
    if _actor(user) is None:
        raise Refused("发放批次须由具名的财务人员审批（命令行请用 --user 指定审批人）")
    permission_require(user, "payroll.approve", cycle.region_code, message="无权办理该区划的发放业务")
    with transaction.atomic():
        c = PaymentCycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _move(c, CycleState.APPROVED)
        if c.calculated_by_id == user.pk:
            raise Refused(MAKER_REFUSAL)
        if not c.lines:
            raise Refused("该批次没有发放明细，无需审批")
        if seen is not None and seen != approval_figures(c):
            raise Refused("您核对之后该批次已重新计算或解除了暂缓发放，金额已变化：请重新核对后再审批")
        flags = cycle_flags(c)
        c.approved_by, c.approved_at = user, timezone.now()
        c.save()
        pay_lines, pay_total = c.lines - c.held_lines, money(c.total) - money(c.held_total)
        note = f"审批：{c.lines} 笔，{yuan(c.total)} 元" + flags_note(c, flags)
        if c.held_lines:
            note += f"；拨付 {pay_lines} 笔 {yuan(pay_total)} 元"
        _event(c, user, note)
        _ledger(c, user, LedgerKind.APPROPRIATION, pay_total, pay_lines, "批次审批，拨付资金")
        audit_record(
            action="approve", object_type="benefits.cycle", object_id=c.pk, region_code=c.region_code,
            summary=f"审批{cycle_label(c)}：{c.lines} 笔，{c.persons} 人，{yuan(c.total)} 元{flags_note(c, flags)}",
            changes={"calculated_by": c.calculated_by_id, "approved_by": user.pk, **approval_figures(c),
                     "no_account_lines": flags["no_account"][0], "no_payee_lines": flags["no_payee"][0]},
        )  # fmt: skip
    cycle.refresh_from_db()
    return c


def approval_figures(cycle: PaymentCycle) -> dict:
    """What an approver confirms: lines, total, held lines and held amount (strings for money)."""
    return {
        "lines": cycle.lines,
        "total": f"{money(cycle.total):.2f}",
        "held_lines": cycle.held_lines,
        "held_total": f"{money(cycle.held_total):.2f}",
    }


# ---------------------------------------------------------------- export


EXPORT_COLUMNS = "line_no, reissues, payee_name, payee_id_number, bank_name, bank_account, amount"


def _export_chunks(cycle: PaymentCycle):
    """The lines to pay, in line order, as chunks for :func:`bankfiles.render_encrypted`: on
    PostgreSQL as ``COPY … TO STDOUT`` text (no Python object per value in this process), else
    as rows from a cursor."""
    where = f"cycle_id = {int(cycle.pk)} AND status = '{LineStatus.PENDING.value}'"
    sql = f"SELECT {EXPORT_COLUMNS} FROM benefits_entitlement WHERE {where} ORDER BY line_no"  # noqa: S608
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            _batch(cur, PG_BATCH[:1])  # the sort by line number, in memory
            with cur.cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
                yield from bankfiles.line_chunks(iter(copy.read, b""))
            _batch(cur, PG_BATCH_END[:1])
            return
        cur.execute(sql)
        while rows := cur.fetchmany(bankfiles.CHUNK):
            yield rows


def payroll_export(*, user, cycle: PaymentCycle, format: str = "csv", workers: int | None = None) -> bytes:
    """The bank file of every line still to pay (all of them the first time; after a reissue, the
    reissued ones), with ID numbers and accounts decrypted — audited as a sensitive read. Lines
    without a bank account or payee are not exported: they are marked failed with the reason, so
    they appear in the failed list and are paid by a reissue once the account is registered."""
    fmt = bankfiles.bank_format(format)
    permission_require(user, "payroll.prepare", cycle.region_code, message="无权办理该区划的发放业务")
    with transaction.atomic():
        c = PaymentCycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        if c.state == CycleState.RECONCILED:
            raise Refused("该批次已对账完毕，没有待发放的明细；失败的明细请先办理补发")
        _move(c, CycleState.EXPORTED)
        pending = Entitlement.objects.filter(cycle=c, status=LineStatus.PENDING)
        kinds = {
            "ok": ~Q(payee_id_number="") & ~Q(bank_account=""),
            NO_PAYEE: Q(payee_id_number=""),
            NO_ACCOUNT: Q(bank_account="") & ~Q(payee_id_number=""),
        }
        agg = pending.aggregate(  # one pass over the cycle's lines
            **{f"n{i}": Count("id", filter=q) for i, q in enumerate(kinds.values())},
            **{f"t{i}": Sum("amount", filter=q) for i, q in enumerate(kinds.values())},
        )
        count, total = agg["n0"], money(agg["t0"])
        unexportable, skipped = [], 0
        for i, (reason, q) in enumerate(kinds.items()):
            if i and agg[f"n{i}"]:
                qs = pending.filter(q)
                unexportable += list(qs.order_by("line_no").values_list("line_no", flat=True)[:50])
                qs.update(status=LineStatus.FAILED, failure_reason=reason)
                _ledger(c, user, LedgerKind.FAILED, money(agg[f"t{i}"]), agg[f"n{i}"], reason)
                skipped += agg[f"n{i}"]

        try:
            content = bankfiles.render_encrypted(
                fmt, _export_chunks(c), memo=cycle_memo(c), count=count, total=total, workers=workers
            )
        except sm.DecryptionError as exc:
            raise Refused(
                f"{exc}。银行文件未导出，批次未改变：请系统管理员核对密钥（MINZHENG_KEYS）与该行数据"
            ) from None
        c.bank_format = fmt.code
        if fmt.code not in c.bank_formats:
            c.bank_formats = [*c.bank_formats, fmt.code]
        c.save(update_fields=["state", "bank_format", "bank_formats"])
        note = f"导出银行文件（{fmt.label}）：{count} 笔，{yuan(total)} 元" + (
            f"；{skipped} 笔未登记银行账号或收款人，未导出，记为失败" if skipped else ""
        )
        _event(c, user, note)
        audit_record(
            action="export", object_type="benefits.cycle", object_id=c.pk, region_code=c.region_code,
            summary=f"{cycle_label(c)} {note}（含身份证号、银行账号明文）",
            changes={"format": fmt.code, "lines": count, "total": f"{total:.2f}", "not_exported": skipped,
                     "newly_not_exported_lines": unexportable},
        )  # fmt: skip
        _settle(c, user)
    cycle.refresh_from_db()
    return content


# ---------------------------------------------------------------- reconcile


class ReconcileRefused(Refused):
    """A result file with lines that do not match the cycle: nothing was changed. ``report``
    holds one Chinese message per bad line."""

    def __init__(self, report: list[str]):
        self.report = report
        head = "；".join(report[:5]) + ("……" if len(report) > 5 else "")
        super().__init__(f"回盘文件有 {len(report)} 处无法核对，未做任何更改：{head}")


@dataclass
class ReconcileResult:
    paid: int = 0
    paid_total: Decimal = Decimal("0.00")
    failed: int = 0
    failed_total: Decimal = Decimal("0.00")
    unchanged: int = 0
    pending: int = 0
    state: str = ""
    report: list[str] = field(default_factory=list)
    format: str = ""  # the layout recognised from the file's content


def exported_formats(cycle: PaymentCycle) -> list[str]:
    """The layouts the cycle's bank files were exported in (a cycle exported before this was
    recorded: its last layout)."""
    return list(cycle.bank_formats or ([cycle.bank_format] if cycle.bank_format else []))


LINES_SQL = (
    "SELECT id, line_no, amount, status, reissues, payee_id_number FROM benefits_entitlement WHERE cycle_id = %s"
)


def payroll_reconcile(*, user, cycle: PaymentCycle, content, workers: int | None = None) -> ReconcileResult:
    """Apply the bank's result file (回盘文件: the export's columns plus 处理结果 成功/失败 and
    失败原因), in the layout of any bank file the cycle was exported in, recognised from its
    content (:func:`bankfiles.detect_result_format`), whatever the file is called. Every line must name a line of this cycle by its reference, with the payee's ID
    number and the amount; one unknown or mismatched line and the whole file is refused with a
    report per line, changing nothing. A file may cover part of the cycle (the rest stays pending)
    and may be uploaded again (results already recorded are left as they are). ``content``: the
    file's bytes, a path or an upload, read no further than the caps of
    :func:`~minzheng.foundation.tabular.bank_result_caps` (size, then lines before parsing)."""
    permission_require(user, "payroll.prepare", cycle.region_code, message="无权办理该区划的发放业务")
    caps = bank_result_caps()
    try:
        content = read_bounded(content, caps)
        csv_lines_check(content, caps)
    except TooBig as exc:
        raise Refused(f"回盘文件过大：{exc.message}") from None
    with transaction.atomic():
        c = PaymentCycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        if c.state not in (CycleState.EXPORTED, CycleState.RECONCILED):
            raise Refused(f"该批次当前为“{CycleState(c.state).label}”，尚未导出银行文件，不能对账")
        try:
            fmt = bankfiles.detect_result_format(content, exported_formats(c))
            rows = fmt.parse_result(content)
        except bankfiles.FileRefused as exc:
            raise Refused(exc.messages[0]) from None
        if not rows:
            raise Refused("回盘文件没有明细行")
        with connection.cursor() as cur:
            cur.execute(LINES_SQL, [c.pk])
            lines = {r[1]: r for r in cur.fetchall()}
        want = (reference_prefix(c.program), f"{c.month:%Y%m}", code_prefix(c.region_code))
        report: list[str] = []
        seen: dict[int, int] = {}
        matched = []  # (row, line)
        for row in rows:
            n = f"第{row.row_no}行"
            ref = (row.memo.split() or [""])[0]
            m = REFERENCE_RE.match(ref)
            if m is None:
                report.append(f"{n}：摘要“{row.memo[:40]}”中没有本系统的发放编号")
                continue
            if (m["prefix"], m["month"], m["region"]) != want:
                report.append(f"{n}：编号 {ref} 不属于{cycle_label(c)}")
                continue
            line = lines.get(int(m["line"]))
            if line is None:
                report.append(f"{n}：本批次没有编号 {ref} 的明细")
                continue
            _id, line_no, amount, status, reissues, _cipher = line
            if int(m["re"] or 0) != reissues:
                current = line_reference(c, line_no, reissues)
                report.append(f"{n}：编号 {ref} 不是该笔当前的发放（当前编号 {current}）")
                continue
            if line_no in seen:
                report.append(f"{n}：编号 {ref} 与第{seen[line_no]}行重复")
                continue
            seen[line_no] = row.row_no
            try:
                got = Decimal(row.amount.replace(",", ""))
            except InvalidOperation:
                got = None
            if got is None or not got.is_finite() or got != money(amount):
                report.append(f"{n}：金额“{row.amount}”与应发金额 {yuan(money(amount))} 元不符")
                continue
            if row.result not in (bankfiles.SUCCESS, bankfiles.FAILURE):
                report.append(f"{n}：处理结果应为“成功”或“失败”，实为“{row.result}”")
                continue
            result = LineStatus.PAID if row.result == bankfiles.SUCCESS else LineStatus.FAILED
            if status != LineStatus.PENDING and status != result:
                report.append(
                    f"{n}：该笔已记为“{LineStatus(status).label}”，与回盘结果“{row.result}”不符（编号 {ref}）"
                )
                continue
            matched.append((row, line, result))
        plain = bankfiles.decrypt_many([line[5] for _, line, _ in matched], workers=workers)
        for (row, line, _), id_number in zip(matched, plain, strict=True):
            if row.id_number.strip().upper() != id_number.upper():
                report.append(f"第{row.row_no}行：身份证号与编号 {line_reference(c, line[1], line[4])} 的收款人不符")
        if report:
            report.sort(key=lambda s: int(re.match(r"第(\d+)行", s)[1]))
            raise ReconcileRefused(report)

        res = ReconcileResult(format=fmt.code)
        paid_ids, failed_by_reason = [], {}
        for row, line, result in matched:
            if line[3] == result:
                res.unchanged += 1
            elif result == LineStatus.PAID:
                paid_ids.append(line[0])
                res.paid, res.paid_total = res.paid + 1, res.paid_total + money(line[2])
            else:
                failed_by_reason.setdefault((row.reason or "银行未说明原因")[:200], []).append(line[0])
                res.failed, res.failed_total = res.failed + 1, res.failed_total + money(line[2])
        for i in range(0, len(paid_ids), BATCH):
            Entitlement.objects.filter(pk__in=paid_ids[i : i + BATCH]).update(status=LineStatus.PAID, failure_reason="")
        for reason, ids in failed_by_reason.items():
            for i in range(0, len(ids), BATCH):
                Entitlement.objects.filter(pk__in=ids[i : i + BATCH]).update(
                    status=LineStatus.FAILED, failure_reason=reason
                )
        _ledger(c, user, LedgerKind.PAID, res.paid_total, res.paid, "银行回盘：到账")
        _ledger(c, user, LedgerKind.FAILED, res.failed_total, res.failed, "银行回盘：发放失败")
        note = f"对账：到账 {res.paid} 笔 {yuan(res.paid_total)} 元，失败 {res.failed} 笔 {yuan(res.failed_total)} 元"
        if res.unchanged:
            note += f"，{res.unchanged} 笔此前已对账"
        _event(c, user, note)
        audit_record(
            action="reconcile", object_type="benefits.cycle", object_id=c.pk, region_code=c.region_code,
            summary=f"{cycle_label(c)} {note}",
            changes={"paid": res.paid, "failed": res.failed, "unchanged": res.unchanged, "rows": len(rows)},
        )  # fmt: skip
        _settle(c, user)
        res.pending = c.entitlements.filter(status=LineStatus.PENDING).count()
        res.state = c.state
    cycle.refresh_from_db()
    return res


# ---------------------------------------------------------------- reissue


@dataclass
class ReissueResult:
    lines: int
    total: Decimal
    without_account: list[int]  # failed lines whose household still has no bank account


def payroll_reissue(*, user, cycle: PaymentCycle, line_nos: list[int] | None = None) -> ReissueResult:
    """Pay failed lines again (补发) after the household's bank account was corrected: each line
    takes the household's account as registered now (ciphertext copied again), goes back to
    pending with a new reference (``-B1``, ``-B2`` …, so a stale result for the old attempt is
    refused), and the amount is booked as a reissue in the funds ledger. The cycle is exported
    again; ``payroll_export`` then gives the bank file of the reissued lines only. Amounts and
    payees are not recalculated: the approved line is paid as approved. Failed lines whose
    household still has no account are left failed and listed."""
    permission_require(user, "payroll.approve", cycle.region_code, message="无权办理该区划的发放业务")
    with transaction.atomic():
        c = PaymentCycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        if c.state not in (CycleState.EXPORTED, CycleState.RECONCILED):
            raise Refused(f"该批次当前为“{CycleState(c.state).label}”，尚无失败明细可补发")
        failed = Entitlement.objects.filter(cycle=c, status=LineStatus.FAILED)
        if line_nos is not None:
            wanted = set(line_nos)
            found = set(failed.filter(line_no__in=wanted).values_list("line_no", flat=True))
            if wanted - found:
                raise Refused(f"以下序号不是本批次的失败明细：{'、'.join(map(str, sorted(wanted - found)))}")
            failed = failed.filter(line_no__in=wanted)
        account = Household.objects.filter(pk=OuterRef("household_id"))
        with_account = failed.annotate(acct=Subquery(account.values("bank_account_masked")[:1])).exclude(acct="")
        without = sorted(
            set(failed.values_list("line_no", flat=True)) - set(with_account.values_list("line_no", flat=True))
        )
        ids = list(with_account.values_list("pk", flat=True))
        if not ids:
            raise Refused("没有可补发的失败明细" + ("：这些家庭仍未登记银行账号" if without else ""))
        todo = Entitlement.objects.filter(pk__in=ids)
        n, total = _totals(todo)
        todo.update(
            bank_name=Subquery(account.values("bank_name")[:1]),
            bank_account=Subquery(account.values("bank_account")[:1]),
            bank_account_masked=Subquery(account.values("bank_account_masked")[:1]),
            status=LineStatus.PENDING,
            failure_reason="",
            reissues=F("reissues") + 1,
        )
        _move(c, CycleState.EXPORTED)
        c.save(update_fields=["state"])
        note = f"补发：{n} 笔，{yuan(total)} 元（按家庭现登记的银行账号）" + (
            f"；{len(without)} 笔仍未登记银行账号" if without else ""
        )
        _event(c, user, note)
        _ledger(c, user, LedgerKind.REISSUE, total, n, note)
        audit_record(
            action="reissue", object_type="benefits.cycle", object_id=c.pk, region_code=c.region_code,
            summary=f"{cycle_label(c)} {note}",
            changes={"lines": n, "total": f"{total:.2f}", "without_account": without[:50]},
        )  # fmt: skip
    cycle.refresh_from_db()
    return ReissueResult(n, total, without)
