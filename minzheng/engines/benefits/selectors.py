"""Reads of the benefits engine that need care: scoping, lists for the workbench, statistics."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.regions.prefixes import prefix_q, prefix_sql
from minzheng.foundation.regions.selectors import region_get, region_names, region_prefix

from .models import (
    PAYABLE_STATES,
    CycleState,
    Enrollment,
    EnrollmentEvent,
    EnrollmentState,
    Entitlement,
    EventKind,
    LedgerEntry,
    LedgerKind,
    LineStatus,
    PaymentCycle,
)
from .standards import program_lines


def enrollment_search(*, user, program: str = "", state: str = "", region: str = "", q: str = ""):
    """The roll as the user may see it, filterable; newest region order like the registry lists."""
    qs = Enrollment.objects.for_user(user, "benefits.view").select_related("program", "household", "person")
    if program:
        qs = qs.filter(program_id=program)
    if state:
        qs = qs.filter(state=state)
    if region:
        qs = qs.filter(prefix_q("region_code", [region_prefix(region)]))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number=q.upper()) | Q(household__number=q) | Q(household__head__name=q))
    return qs.order_by("region_code", "number")


def enrollment_get(*, user, pk: int):
    """One enrollment of the user's regions; another region's is simply not found (404)."""
    e = enrollment_search(user=user).filter(pk=pk).first()
    if e is None:
        raise Http404("找不到该保障对象")
    return e


def reviews_due(*, user, on: dt.date, within_days: int = 30):
    """Enrollments whose periodic review is overdue or due within ``within_days`` (定期复核到期)."""
    return (
        enrollment_search(user=user)
        .exclude(state=EnrollmentState.EXITED)
        .filter(next_review__isnull=False, next_review__lte=on + dt.timedelta(days=within_days))
        .order_by("next_review", "region_code", "number")
    )


def phase_out_ending(*, user, on: dt.date):
    """Enrollments in 渐退期 whose end falls within the reminder period (default 30 days, a
    standard) or has passed; each with ``reminder_date`` = end − reminder days."""
    # no region reminds earlier than the longest reminder configured anywhere: bound the scan by it
    longest = max((int(v) for v in Standard.objects.filter(key="phase_out_reminder_days").values_list("value", flat=True)),
                  default=0)  # fmt: skip
    qs = enrollment_search(user=user, state=EnrollmentState.PHASE_OUT).filter(
        phase_out_until__isnull=False, phase_out_until__lte=on + dt.timedelta(days=longest)
    )
    days_for: dict[tuple[str, str], int] = {}  # one standards lookup per place and hukou type
    rows = []
    for e in qs.order_by("phase_out_until"):
        key = (e.region_code, e.hukou_type)
        if key not in days_for:
            std = st.standards_for(region_code=e.region_code, hukou_type=e.hukou_type, as_of=on)
            days_for[key] = int(std.get("phase_out_reminder_days"))
        e.reminder_date = e.phase_out_until - dt.timedelta(days=days_for[key])
        if e.reminder_date <= on:
            rows.append(e)
    return rows


# ---------------------------------------------------------------- payroll


def _scoped(qs, user, permission: str = "benefits.view"):
    """``user`` None is the system (CLI, jobs): everything; anyone else sees their regions only."""
    return qs if user is None else qs.for_user(user, permission)


def cycle_list(*, user, program: str | None = None, month: dt.date | None = None):
    qs = _scoped(PaymentCycle.objects.select_related("program"), user)
    if program:
        qs = qs.filter(program_id=program)
    if month:
        qs = qs.filter(month=month)
    return qs.order_by("-month", "program__sort", "region_code")


def cycle_find(*, user, program: str, month, region_code: str | None = None) -> PaymentCycle:
    """The cycle of a program and month (and region, when the month has several), for the CLI and
    pages that name a cycle by those; a Chinese ValidationError when there is none or several."""
    from .payroll import month_parse, program_get

    prog = program_get(program)
    month = month_parse(month)
    qs = cycle_list(user=user, program=prog.code, month=month)
    if region_code:
        region = region_get(region_code)
        qs = qs.filter(region_code=region.code if region else region_code)
    cycles = list(qs[:20])
    if not cycles:
        where = f"区划 {region_code} " if region_code else ""
        raise ValidationError({"cycle": f"没有{month:%Y年%m月}{prog.short_name}{where}的发放批次，请先生成"})
    if len(cycles) > 1:
        regions = "、".join(c.region_code for c in cycles)
        raise ValidationError(
            {"region_code": f"{month:%Y年%m月}{prog.short_name}有多个发放批次（区划 {regions}），请指定区划"}
        )
    return cycles[0]


def entitlement_list(*, user, cycle: PaymentCycle | None = None, status: str | None = None):
    """Payment lines in the user's regions (masked values only: the ciphertext columns are not
    even read, so a list never decrypts)."""
    qs = _scoped(Entitlement.objects.all(), user).defer("payee_id_number", "bank_account")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("cycle_id", "line_no")


def payroll_failed_lines(*, user, cycle: PaymentCycle):
    """The failed lines of a cycle, to correct the account and reissue (补发)."""
    return entitlement_list(user=user, cycle=cycle, status=LineStatus.FAILED)


def funds_ledger(*, user, program: str, month: dt.date) -> dict:
    """资金台账 of a program and month: per cycle region and in total, the money appropriated
    (approved), paid, failed, reissued, still at the bank (``in_flight``) and failed but not yet
    reissued (``awaiting_reissue``); appropriated = paid + in_flight + awaiting_reissue."""
    entries = list(_scoped(LedgerEntry.objects.filter(program_id=program, month=month), user).order_by("at", "id"))
    kinds = {LedgerKind.APPROPRIATION: "appropriated", LedgerKind.PAID: "paid", LedgerKind.FAILED: "failed",
             LedgerKind.REISSUE: "reissued", LedgerKind.RECOVERY: "recovered"}  # fmt: skip

    def empty():
        return {v: Decimal("0.00") for v in kinds.values()}

    by_region: dict[str, dict] = {}
    total = empty()
    for e in entries:
        row = by_region.setdefault(e.region_code, empty())
        row[kinds[e.kind]] += e.amount
        total[kinds[e.kind]] += e.amount
    for row in [*by_region.values(), total]:
        row["in_flight"] = row["appropriated"] - row["paid"] - row["failed"] + row["reissued"]
        row["awaiting_reissue"] = row["failed"] - row["reissued"]
    return {
        "program": program,
        "month": month,
        "regions": [{"region_code": code, **row} for code, row in sorted(by_region.items())],
        "total": total,
        "entries": entries,
    }


STATISTICS_LEVELS = {"city": 4, "county": 6, "township": 9}

ROLL_SQL = """
SELECT x.region_code, x.program_id, x.hukou_type, COUNT(DISTINCT x.household_id), SUM(x.persons_covered)
FROM (
    SELECT en.program_id, en.region_code, en.hukou_type, en.household_id, ev.state, ev.persons_covered,
           ROW_NUMBER() OVER (PARTITION BY ev.enrollment_id ORDER BY ev.effective_month DESC, ev.id DESC) AS rn
    FROM benefits_enrollmentevent ev
    JOIN benefits_enrollment en ON en.id = ev.enrollment_id
    WHERE ev.effective_month <= %s {scope}
) x
WHERE x.rn = 1 AND x.state IN (%s, %s)
GROUP BY x.region_code, x.program_id, x.hukou_type
"""


def _scope_sql(column: str, prefixes) -> tuple[str, list]:
    if prefixes is ALL:
        return "", []
    sql, params = prefix_sql(column, prefixes)
    return f"AND {sql}", params


def payroll_statistics(*, user, month: dt.date, level: str = "township") -> list[dict]:
    """Monthly statistics per township, county or city (民政统计, as the quarterly report asks):
    households and persons on the roll in ``month`` (the event in force, payable states) by
    program and hukou type; new enrollments, exits and transfers (停旧建新 and category changes:
    ``transfer_in``/``transfer_out``, counted apart from new and exited) taking effect that month;
    the amount due in the month's approved cycles (held lines are not due) and the amount confirmed
    paid, with the one-off payments decided in the month (人次 ``times``, amount decided and paid);
    and for each program with a per-person line (a standard type declared with ``standards.program_line``, e.g.
    低保标准) the average line in force, weighted by persons covered (元/人·月)."""
    from .payroll import money

    length = STATISTICS_LEVELS.get(level)
    if length is None:
        raise ValidationError({"level": "统计层级须为 township（乡镇）、county（县）或 city（市）"})
    prefixes = ALL if user is None else user_prefixes(user, "benefits.view")
    if not prefixes:
        return []
    rows: dict[tuple, dict] = {}

    def row(code: str, program: str, hukou: str) -> dict:
        key = (code[:length], program, hukou)
        if key not in rows:
            rows[key] = {
                "region_code": code[:length].ljust(12, "0"), "program": program, "hukou_type": hukou,
                "households": 0, "persons": 0, "new": 0, "exited": 0, "transferred_in": 0, "transferred_out": 0,
                "amount_due": Decimal("0.00"), "amount_paid": Decimal("0.00"), "average_standard": None,
                "times": 0, "_weighted": [],
            }  # fmt: skip
        return rows[key]

    scope, params = _scope_sql("en.region_code", prefixes)
    with connection.cursor() as cur:
        cur.execute(ROLL_SQL.format(scope=scope), [month, *params, *PAYABLE_STATES])
        roll = cur.fetchall()
    for code, program, hukou, households, persons in roll:
        r = row(code, program, hukou)
        r["households"] += households
        r["persons"] += persons or 0
        r["_weighted"].append((code, persons or 0))

    events = EnrollmentEvent.objects.filter(
        effective_month=month,
        kind__in=[EventKind.ENROL, EventKind.EXIT, EventKind.TRANSFER_IN, EventKind.TRANSFER_OUT],
    )
    if prefixes is not ALL:
        events = events.filter(prefix_q("enrollment__region_code", prefixes))
    counted = {EventKind.ENROL: "new", EventKind.EXIT: "exited", EventKind.TRANSFER_IN: "transferred_in",
               EventKind.TRANSFER_OUT: "transferred_out"}  # fmt: skip
    for code, program, hukou, kind, n in events.values_list(
        "enrollment__region_code", "enrollment__program_id", "enrollment__hukou_type", "kind"
    ).annotate(n=Count("id")):
        row(code, program, hukou)[counted[kind]] += n

    lines = Entitlement.objects.filter(
        cycle__month=month, cycle__state__in=[CycleState.APPROVED, CycleState.EXPORTED, CycleState.RECONCILED]
    )
    lines = _scoped(lines, user)
    for g, program, hukou, due, paid in (
        lines.annotate(g=Substr("region_code", 1, length))
        .values_list("g", "cycle__program_id", "hukou_type")
        .annotate(
            due=Sum("amount", filter=~Q(status=LineStatus.HELD)), paid=Sum("amount", filter=Q(status=LineStatus.PAID))
        )
    ):
        r = row(g, program, hukou)
        r["amount_due"] += money(due)
        r["amount_paid"] += money(paid)

    from .payments import payments_statistics

    # one-off payments decided in the month: 人次 and amounts (see payments.py)
    for g, program, hukou, n, due, paid in payments_statistics(prefixes=prefixes, month=month, length=length):
        r = row(g, program, hukou)
        r["times"] += n
        r["amount_due"] += money(due)
        r["amount_paid"] += money(paid)

    lines_of = program_lines()
    cache: dict[tuple[str, str, str], Decimal | None] = {}
    for (_, program, hukou), r in rows.items():
        weighted = r.pop("_weighted")
        line = lines_of.get(program)
        if line is None or not weighted:
            continue
        num, den = Decimal(0), 0
        for code, persons in weighted:
            if (line, code, hukou) not in cache:
                std = st.standards_for(region_code=code, hukou_type=hukou, as_of=month)
                cache[line, code, hukou] = std.decimal(line) if std.has(line) else None
            if cache[line, code, hukou] is not None and persons:
                num += cache[line, code, hukou] * persons
                den += persons
        if den:
            # 民政统计 reports the standard in whole yuan with two decimals; half up at the end
            r["average_standard"] = (num / den).quantize(Decimal("0.01"), ROUND_HALF_UP)
    for r in rows.values():
        r.pop("_weighted", None)
    names = region_names(r["region_code"] for r in rows.values())
    out = sorted(rows.values(), key=lambda r: (r["region_code"], r["program"], r["hukou_type"]))
    for r in out:
        r["region_name"] = names.get(r["region_code"], "")
    return out
