"""Workbench pages of the benefits engine: standards (保障标准), the roll (保障对象) with its changes
(the 发起变更 a line registers, :mod:`.changes`) and reviews, the due-review list and the monthly
statistics. A line's own pages (the assistance line's 测算 and 提标测算) live in its area.

Thin views, as in :mod:`.views`: parse the form, call one service or selector, render. Every read
starts from ``for_user`` (another region's row is a 404); every write goes through a service,
which checks the grant, writes the history row and the audit event.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.benefits import bankfiles, payroll
from minzheng.engines.benefits import selectors as benefit_selectors
from minzheng.engines.benefits.models import (
    CycleState,
    Enrollment,
    EnrollmentState,
    Entitlement,
    LineStatus,
    PaymentCycle,
    Program,
    Review,
)
from minzheng.engines.benefits.services import Refused
from minzheng.engines.benefits.workflow import REASONS
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.exports import xlsx_bytes
from minzheng.foundation.jobs.models import JobRun, JobState
from minzheng.foundation.jobs.selectors import jobs_for_user
from minzheng.foundation.money import yuan
from minzheng.foundation.parameters import selectors as parameter_selectors
from minzheng.foundation.parameters import services as parameter_services
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.regions.models import Region
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_names, region_prefix
from minzheng.foundation.registry import selectors as registry_selectors
from minzheng.foundation.registry.models import HukouType

from ..common.errors import apply_errors, post_failed
from ..common.paging import EXPORT_LIMIT, XLSX
from ..common.permissions import require
from ..common.regions import default_region, region_name, township_code
from ..common.search import hides_id_numbers, search_text
from .changes import roll_changes
from .forms import (
    BankExportForm,
    CycleFilterForm,
    CycleGenerateForm,
    EnrollmentFilterForm,
    ReconcileForm,
    StandardSetForm,
    StandardsFilterForm,
    StatisticsForm,
)
from .views_payroll import approval_context

REVIEW_WINDOW_DAYS = 30  # due-review list: due within 30 days or overdue; 渐退期 ending within 30 days
ENROLLMENT_NUMBER = re.compile(r"^[A-Za-z]{2}-", re.ASCII)
REGION_CODE = re.compile(r"^\d{0,12}$", re.ASCII)


# ---------------------------------------------------------------- 保障标准


def _display(t: st.StandardType, value) -> str:
    if value is None:
        return ""
    if t.kind == st.CHOICE:
        return dict(t.choices).get(value, value)
    if t.kind == st.FLAG:
        return "是" if value else "否"
    text = f"{value.normalize():f}"
    if t.kind == st.RATE:
        return f"{text}（{(value * 100).normalize():f}%）"
    if t.kind == st.AMOUNT:
        return yuan(value)
    return text


def _row_view(t: st.StandardType, row: Standard, today: dt.date) -> dict:
    return {
        "row": row,
        "value": _display(t, st.value_of(row)),
        "region": region_name(row.region_code),
        "hukou": row.get_hukou_type_display() if row.hukou_type else "不分城乡",
        "mode": dict(t.modes).get(row.mode, row.mode),
        "current": row.effective_from <= today and (row.effective_to is None or row.effective_to > today),
    }


@login_required
def standards_list(request):
    """Every standard type in force for a region, hukou type and date, with where each value comes
    from (the most specific region wins), since when, and the document it rests on."""
    user = request.user
    require(user, "benefits.view")
    today = timezone.localdate()
    data = {"region_code": default_region(user, "benefits.view"), "hukou_type": "urban", "as_of": today.isoformat()}
    data.update({k: v for k, v in request.GET.items() if v})
    form = StandardsFilterForm(data, user=user)
    groups = []
    if form.is_valid():
        region, hukou, as_of = (form.cleaned_data[k] for k in ("region_code", "hukou_type", "as_of"))
        programs = dict(Program.objects.values_list("code", "name"))
        by_program: dict[str, list] = {}
        for t, mode, _value, row in parameter_selectors.standards_in_force(
            region_code=region, hukou_type=hukou, as_of=as_of
        ):
            item = {"type": t, "mode": dict(t.modes).get(mode, mode), "mode_code": mode, "missing": row is None}
            if row is not None:
                item.update(_row_view(t, row, as_of))
            by_program.setdefault(t.program, []).append(item)
        groups = [(programs.get(code, "其他"), items) for code, items in by_program.items()]
    return render(
        request,
        "workbench/benefits/standards.html",
        {"form": form, "groups": groups, "region": form.data.get("region_code", "")},
    )


@login_required
def standard_history(request, key):
    """The versions of one standard type along a region's chain (and below it), and the form that
    sets a new value from a date on (only with ``standards.manage``)."""
    user = request.user
    require(user, "benefits.view")
    t = st.TYPES.get(key)
    if t is None:
        raise Http404("没有这种保障标准")
    region = request.GET.get("region", "")
    if not (REGION_CODE.match(region) and Region.objects.filter(code=region).exists()):
        region = default_region(user, "benefits.view")
    can_manage = has_permission(user, "standards.manage")
    form = None
    if can_manage:
        if request.method == "POST":
            form = StandardSetForm(request.POST, user=user, standard_type=t)
            if form.is_valid():
                d = form.cleaned_data
                try:
                    parameter_services.standard_set(
                        user=user,
                        key=key,
                        region_code=d["region_code"],
                        value=d["value"],
                        effective_from=d["effective_from"],
                        hukou_type=d["hukou_type"],
                        mode=d.get("mode", ""),
                        source_document=d["source_document"],
                    )
                except ValidationError as exc:
                    apply_errors(form, exc)
                except PermissionDenied as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"已保存：{t.label} 自 {d['effective_from']:%Y-%m-%d} 起为 {d['value']}")
                    return redirect(
                        f"{reverse('workbench:benefits:standard_history', args=[key])}?region={d['region_code']}"
                    )
        else:
            manage_region = region if has_permission(user, "standards.manage", region) else ""
            form = StandardSetForm(
                initial={"region_code": manage_region or default_region(user, "standards.manage")},
                user=user,
                standard_type=t,
            )
    elif request.method == "POST":
        raise PermissionDenied("您没有修改保障标准的权限")
    rows = Standard.objects.filter(key=key)
    if region:
        rows = rows.filter(
            Q(region_code__in=st.ancestor_codes(region)) | prefix_q("region_code", [region_prefix(region)])
        )
    today = timezone.localdate()
    # the most specific region first (the one that wins), each region's versions newest first
    rows = sorted(rows, key=lambda r: (-len(r.region_code.rstrip("0")), r.region_code, r.hukou_type, r.mode,
                                       -r.effective_from.toordinal()))  # fmt: skip
    rows = [_row_view(t, r, today) for r in rows]
    return render(
        request,
        "workbench/benefits/standard_history.html",
        {"type": t, "rows": rows, "region": region, "region_name": region_name(region), "form": form},
    )


# ---------------------------------------------------------------- 保障对象


def _enrollments(user):
    return Enrollment.objects.for_user(user, "benefits.view").select_related("program", "household__head", "person")


def _enrollment_get(user, pk) -> Enrollment:
    e = _enrollments(user).select_related("last_event").filter(pk=pk).first()
    if e is None:
        raise Http404("找不到该保障对象，或不在您的管辖范围内")
    return e


def _filtered(user, form: EnrollmentFilterForm):
    """The roll by the engine's selector (scope, program, state, region), with the registry's
    household search behind the text box: household number, member ID number, head's name or
    initials, address — or an enrollment number (``DB-330381-…``) as a prefix."""
    d = form.cleaned_data if form.is_valid() else {}
    qs = benefit_selectors.enrollment_search(
        user=user, program=d.get("program", ""), state=d.get("state", ""), region=d.get("region", "")
    ).select_related("household__head")
    q = (d.get("q") or "").strip()
    if q:
        if ENROLLMENT_NUMBER.match(q):
            qs = qs.filter(number__startswith=q.upper())
        else:
            qs = qs.filter(household_id__in=registry_selectors.household_search(user=user, q=q).values("id"))
    return qs


@login_required
@hides_id_numbers
def enrollment_list(request):
    user = request.user
    require(user, "benefits.view")
    data = request.GET.copy()
    data["q"] = search_text(request)  # an ID number comes as a token (search.py)
    form = EnrollmentFilterForm(data)
    qs = _filtered(user, form)
    if request.GET.get("export") == "xlsx":
        require(user, "registry.export")
        return _export_enrollments(qs, data["q"])
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    names = region_names(e.region_code for e in page)
    params = request.GET.copy()
    params.pop("page", None)
    totals = qs.aggregate(n=Count("id"), amount=Sum("monthly_amount"), persons=Sum("persons_covered"))
    context = {"form": form, "page": page, "names": names, "params": params.urlencode(), "totals": totals}
    template = "workbench/benefits/_enrollment_rows.html" if request.headers.get("HX-Request") else None
    return render(request, template or "workbench/benefits/enrollment_list.html", context)


def _export_enrollments(qs, q: str) -> HttpResponse:
    state = dict(EnrollmentState.choices)
    hukou = {"urban": "城镇", "rural": "农村"}
    rows = qs.values_list(
        "number", "program__short_name", "household__number", "household__head__name", "person__name",
        "region_code", "hukou_type", "state", "persons_covered", "monthly_amount", "start_month", "next_review",
        "phase_out_until",
    )[:EXPORT_LIMIT]  # fmt: skip
    data = xlsx_bytes(
        title="保障对象",
        headers=[
            "保障编号",
            "保障项目",
            "户编号",
            "户主",
            "保障对象（单人）",
            "区划代码",
            "户籍",
            "状态",
            "保障人数",
            "月保障金额（元）",
            "起始月份",
            "下次复核日期",
            "渐退期截止",
        ],
        rows=(
            (n, p, h, head, person or "", r, hukou.get(hk, hk), state.get(s, s), pc, amt, start, nxt, po)
            for n, p, h, head, person, r, hk, s, pc, amt, start, nxt, po in rows
        ),
    )
    audit_record(action="export", object_type="benefits.enrollment", summary=f"导出保障对象（条件：{q or '全部'}）")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=enrollments-{timezone.localdate():%Y%m%d}.xlsx"
    return response


def _detail(request, e: Enrollment, *, roll_form=None, status=200):
    """The enrollment with its history; changes are not made here but opened as cases (发起变更)."""
    from minzheng.engines.cases.models import Case

    user = request.user
    events = list(e.events.select_related("actor").order_by("effective_month", "id"))
    for ev in events:
        ev.reason_label = REASONS.get(ev.reason, ev.reason)
    changes = roll_changes(e.program_id)  # the line's 发起变更 (changes.ROLL_CHANGES)
    can_open = (
        changes is not None and has_permission(user, "cases.open", e.region_code) and e.state != EnrollmentState.EXITED
    )
    from minzheng.engines.cases.definition import OUTCOMES

    cases = list(
        Case.objects.for_user(user, "cases.view")
        .filter(household_id=e.household_id, case_type__code__in=changes.case_types if changes else ())
        .select_related("case_type")
        .order_by("-opened_at")[:20]
    )
    for c in cases:
        c.outcome_name = OUTCOMES.get(c.outcome, c.outcome)
    names = changes.components if changes else {}
    context = {
        "e": e,
        "events": events,
        "reviews": Review.objects.filter(enrollment=e).select_related("actor").order_by("-reviewed_on", "-id"),
        "successors": _enrollments(user).filter(predecessor=e).order_by("id"),
        "predecessor": _enrollments(user).filter(pk=e.predecessor_id).first() if e.predecessor_id else None,
        "region_name": region_name(e.region_code),
        "roll_form": roll_form or (changes.form(enrollment=e) if can_open else None),
        "roll_cases": cases,
        "components": [{**c, "label": names.get(c.get("item"), c.get("item", ""))} for c in (e.components or [])],
    }
    return render(request, "workbench/benefits/enrollment_detail.html", context, status=status)


@login_required
def enrollment_detail(request, pk):
    require(request.user, "benefits.view")
    return _detail(request, _enrollment_get(request.user, pk))


@login_required
@require_POST
def enrollment_change_open(request, pk):
    """发起变更: open the case that changes this enrollment (复核, 变更, 停保) and go to it. The
    roll itself changes only by the county's decision in that case."""
    user = request.user
    e = _enrollment_get(user, pk)
    require(user, "cases.open")
    changes = roll_changes(e.program_id)
    if changes is None:
        raise Http404("该保障项目不在此发起变更")
    form = changes.form(request.POST, enrollment=e)
    if not form.is_valid():
        return _detail(request, e, roll_form=form, status=422)
    try:
        case = changes.open(user=user, enrollment=e, data=form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        return _detail(request, e, roll_form=form, status=post_failed(form, exc))
    messages.success(request, f"已发起{case.case_type.name} {case.number}，请按办件流程调查、审核和确认")
    return redirect("workbench:cases:detail", number=case.number)


@login_required
def reviews_due(request):
    """定期复核到期: enrollments due within 30 days or overdue, and 渐退期 ending within the reminder
    period (a standard, 30 days by default), per township of the user's scope."""
    user = request.user
    require(user, "benefits.view")
    today = timezone.localdate()
    region = request.GET.get("region", "").strip()
    if not REGION_CODE.match(region):
        messages.error(request, "区划代码应为不超过12位的数字")
        region = ""
    due = benefit_selectors.reviews_due(user=user, on=today, within_days=REVIEW_WINDOW_DAYS)
    due = due.select_related("household__head")
    ending = benefit_selectors.phase_out_ending(user=user, on=today)
    if region:
        prefix = region_prefix(region)
        due = due.filter(prefix_q("region_code", [prefix]))
        ending = [e for e in ending if e.region_code.startswith(prefix)]
    due = list(due[:500])
    for e in due:
        e.overdue = e.next_review < today
        e.days = abs((e.next_review - today).days)
    for e in ending:
        e.days = (e.phase_out_until - today).days
    townships: dict[str, dict] = {}
    for e, what in [(e, "overdue" if e.overdue else "due") for e in due] + [(e, "ending") for e in ending]:
        code = township_code(e.region_code)
        townships.setdefault(code, {"code": code, "due": 0, "overdue": 0, "ending": 0})[what] += 1
    names = region_names({e.region_code for e in due + ending} | set(townships))
    for t in townships.values():
        t["name"] = names.get(t["code"], t["code"])
    context = {
        "due": due,
        "ending": ending,
        "townships": sorted(townships.values(), key=lambda t: t["code"]),
        "names": names,
        "region": region,
        "today": today,
        "horizon": today + dt.timedelta(days=REVIEW_WINDOW_DAYS),
        "window": REVIEW_WINDOW_DAYS,
    }
    return render(request, "workbench/benefits/reviews_due.html", context)


# ---------------------------------------------------------------- 发放 (payroll)


def _cycle_get(user, pk) -> PaymentCycle:
    cycle = PaymentCycle.objects.for_user(user, "benefits.view").select_related(
        "program", "calculated_by", "approved_by"
    )
    cycle = cycle.filter(pk=pk).first()
    if cycle is None:
        raise Http404("找不到该发放批次，或不在您的管辖范围内")
    return cycle


def _job_get(user, pk) -> JobRun:
    job = jobs_for_user(user).filter(pk=pk, kind="benefits.payroll_generate").first()
    if job is None:
        raise Http404("找不到该任务")
    return job


@login_required
def payroll_list(request):
    """发放批次 per program and month with state and totals; the form that generates one."""
    user = request.user
    require(user, "benefits.view")
    form = CycleFilterForm(request.GET)
    form.is_valid()
    d = getattr(form, "cleaned_data", {})
    cycles = benefit_selectors.cycle_list(user=user, program=d.get("program") or None, month=d.get("month"))
    cycles = cycles.select_related("calculated_by", "approved_by")
    page = Paginator(cycles, 20).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    can_prepare = has_permission(user, "payroll.prepare")
    context = {
        "form": form,
        "page": page,
        "params": params.urlencode(),
        "names": region_names(c.region_code for c in page),
        "generate_form": CycleGenerateForm(user=user) if can_prepare else None,
        "jobs": JobRun.objects.filter(kind="benefits.payroll_generate", created_by=user)[:5] if can_prepare else [],
    }
    return render(request, "workbench/benefits/payroll_list.html", context)


@login_required
@require_POST
def payroll_generate(request):
    """Calculate a cycle as a background job (``payroll_generate_enqueue``) and follow it."""
    user = request.user
    require(user, "payroll.prepare")
    form = CycleGenerateForm(request.POST, user=user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            job = payroll.payroll_generate_enqueue(
                user=user, program=d["program"], month=d["month"], region_code=d["region_code"] or None
            )
        except (ValidationError, PermissionDenied) as exc:
            post_failed(form, exc)
        else:
            return redirect("workbench:benefits:payroll_job", pk=job.pk)
    cycles = benefit_selectors.cycle_list(user=user)
    context = {
        "form": CycleFilterForm(),
        "page": Paginator(cycles, 20).get_page(1),
        "params": "",
        "names": region_names(cycles.values_list("region_code", flat=True)[:20]),
        "generate_form": form,
        "jobs": JobRun.objects.filter(kind="benefits.payroll_generate", created_by=user)[:5],
    }
    return render(request, "workbench/benefits/payroll_list.html", context)


@login_required
def payroll_job(request, pk):
    """The generate job's progress (polled by htmx); when done, a link to the cycle."""
    job = _job_get(request.user, pk)
    cycle = None
    if job.state == JobState.SUCCEEDED and job.result.get("cycle"):
        cycle = PaymentCycle.objects.for_user(request.user, "benefits.view").filter(pk=job.result["cycle"]).first()
    template = "workbench/benefits/_payroll_job.html" if request.headers.get("HX-Request") else None
    return render(request, template or "workbench/benefits/payroll_job.html", {"job": job, "cycle": cycle})


def _cycle_page(request, cycle: PaymentCycle, *, reconcile_form=None, report=None, status=200):
    user = request.user
    status_filter = request.GET.get("status", "")
    lines = benefit_selectors.entitlement_list(user=user, cycle=cycle, status=status_filter or None)
    page = Paginator(lines, 50).get_page(request.GET.get("page"))
    counts = dict(
        Entitlement.objects.filter(cycle=cycle).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    ledger = benefit_selectors.funds_ledger(user=user, program=cycle.program_id, month=cycle.month)
    can_prepare = has_permission(user, "payroll.prepare", cycle.region_code)
    can_approve = has_permission(user, "payroll.approve", cycle.region_code)
    state = cycle.state
    context = {
        "cycle": cycle,
        "region_name": region_name(cycle.region_code),
        "events": cycle.events.select_related("actor").order_by("at", "id"),
        "page": page,
        "names": region_names([*(e.region_code for e in page), *(r["region_code"] for r in ledger["regions"])]),
        "format_label": getattr(bankfiles.FORMATS.get(cycle.bank_format), "label", cycle.bank_format),
        "status": status_filter,
        "params": f"status={status_filter}" if status_filter else "",
        "counts": {s: counts.get(s, 0) for s in LineStatus.values},
        "failed": benefit_selectors.payroll_failed_lines(user=user, cycle=cycle)[:200],
        "ledger": ledger,
        "ledger_entries": [e for e in ledger["entries"] if e.cycle_id == cycle.pk],
        "can_generate": can_prepare and state in (CycleState.DRAFT, CycleState.CALCULATED),
        "can_approve": can_approve and state == CycleState.CALCULATED,
        "maker": cycle.calculated_by_id == user.pk,
        "can_export": can_prepare and state in (CycleState.APPROVED, CycleState.EXPORTED),
        "export_form": BankExportForm(initial={"format": cycle.bank_format or "csv"}),
        "can_reconcile": can_prepare and state in (CycleState.EXPORTED, CycleState.RECONCILED),
        "reconcile_form": reconcile_form or ReconcileForm(),
        "report": report,
        "can_reissue": can_approve and counts.get(LineStatus.FAILED, 0) > 0,
        # issue 13: held lines and lines without an account before approval; the layouts a result may come in
        "checks": approval_context(user, cycle) if state == CycleState.CALCULATED or cycle.held_lines else None,
        "reconcile_formats": [bankfiles.FORMATS[c] for c in payroll.exported_formats(cycle) if c in bankfiles.FORMATS],
    }
    return render(request, "workbench/benefits/payroll_detail.html", context, status=status)


@login_required
def payroll_detail(request, pk):
    require(request.user, "benefits.view")
    return _cycle_page(request, _cycle_get(request.user, pk))


def _cycle_action(request, pk, action, success):
    """Run one cycle service; a refusal (maker-checker, frozen, wrong state) comes back in Chinese."""
    cycle = _cycle_get(request.user, pk)
    try:
        outcome = action(cycle)
    except (ValidationError, PermissionDenied) as exc:
        text = "；".join(getattr(exc, "messages", None) or [str(exc) or "您没有此项权限"])
        messages.error(request, text)
        status = 409 if isinstance(exc, Refused) else 403 if isinstance(exc, PermissionDenied) else 422
        return _cycle_page(request, cycle, status=status)
    messages.success(request, success(outcome))
    return redirect("workbench:benefits:payroll_detail", pk=cycle.pk)


@login_required
@require_POST
def payroll_recalculate(request, pk):
    user = request.user
    require(user, "payroll.prepare")
    cycle = _cycle_get(user, pk)
    try:
        job = payroll.payroll_generate_enqueue(
            user=user, program=cycle.program_id, month=cycle.month, region_code=cycle.region_code
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
        return redirect("workbench:benefits:payroll_detail", pk=cycle.pk)
    return redirect("workbench:benefits:payroll_job", pk=job.pk)


@login_required
@require_POST
def payroll_export(request, pk):
    """The bank file (代发文件) of the lines still to pay; audited by the service."""
    user = request.user
    require(user, "payroll.prepare")
    cycle = _cycle_get(user, pk)
    form = BankExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择银行文件格式")
        return redirect("workbench:benefits:payroll_detail", pk=cycle.pk)
    try:
        content = payroll.payroll_export(user=user, cycle=cycle, format=form.cleaned_data["format"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
        return _cycle_page(request, cycle, status=409 if isinstance(exc, Refused) else 403)
    fmt = bankfiles.bank_format(form.cleaned_data["format"])
    name = f"{payroll.reference_prefix(cycle.program)}{cycle.month:%Y%m}-{payroll.code_prefix(cycle.region_code)}"
    response = HttpResponse(content, content_type=fmt.content_type)
    response["Content-Disposition"] = f"attachment; filename={name}.{fmt.extension}"
    return response


@login_required
@require_POST
def payroll_reconcile(request, pk):
    """回盘: the bank's result file, all or nothing; a refused file shows its report line by line."""
    user = request.user
    require(user, "payroll.prepare")
    cycle = _cycle_get(user, pk)
    form = ReconcileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _cycle_page(request, cycle, reconcile_form=form)
    try:
        res = payroll.payroll_reconcile(user=user, cycle=cycle, content=form.cleaned_data["file"])
    except payroll.ReconcileRefused as exc:
        form.add_error("file", f"回盘文件有 {len(exc.report)} 处无法核对，未做任何更改，请核对后重新上传")
        return _cycle_page(request, cycle, reconcile_form=form, report=exc.report, status=409)
    except (ValidationError, PermissionDenied) as exc:
        form.add_error("file", "；".join(getattr(exc, "messages", None) or [str(exc)]))
        return _cycle_page(request, cycle, reconcile_form=form, status=409 if isinstance(exc, Refused) else 403)
    text = f"对账完成：到账 {res.paid} 笔 {yuan(res.paid_total)} 元，失败 {res.failed} 笔 {yuan(res.failed_total)} 元"
    text += f"（回盘文件格式：{bankfiles.FORMATS[res.format].label}）" if res.format in bankfiles.FORMATS else ""
    if res.unchanged:
        text += f"，{res.unchanged} 笔此前已对账"
    if res.pending:
        text += f"；尚有 {res.pending} 笔待回盘"
    messages.success(request, text)
    return redirect("workbench:benefits:payroll_detail", pk=cycle.pk)


@login_required
@require_POST
def payroll_reissue(request, pk):
    """补发 of the failed lines whose household has a bank account again."""
    require(request.user, "payroll.approve")

    def done(res):
        text = f"已补发 {res.lines} 笔，{yuan(res.total)} 元，请重新导出银行文件"
        if res.without_account:
            text += f"；{len(res.without_account)} 笔仍未登记银行账号"
        return text

    return _cycle_action(request, pk, lambda cycle: payroll.payroll_reissue(user=request.user, cycle=cycle), done)


# ---------------------------------------------------------------- 统计


@login_required
def statistics(request):
    """Monthly statistics per township, county or city (民政统计): households and persons by
    program and hukou type, new, exited, transferred, amounts due and paid, average standard."""
    user = request.user
    require(user, "benefits.view")
    data = {"month": timezone.localdate().strftime("%Y-%m"), "level": "township"}
    data.update({k: v for k, v in request.GET.items() if v})
    form = StatisticsForm(data)
    rows = []
    if form.is_valid():
        month, level = form.cleaned_data["month"], form.cleaned_data["level"]
        rows = benefit_selectors.payroll_statistics(user=user, month=month, level=level)
        programs = dict(Program.objects.values_list("code", "short_name"))
        hukou = dict(HukouType.choices)
        for r in rows:
            r["program_name"] = programs.get(r["program"], r["program"])
            r["hukou_name"] = hukou.get(r["hukou_type"], r["hukou_type"])
        if request.GET.get("export") == "xlsx":
            return _export_statistics(rows, month, level)
    totals = {}
    for r in rows:
        t = totals.setdefault(r["program"], {"program_name": r["program_name"], **dict.fromkeys(STAT_SUMS, 0)})
        for k in STAT_SUMS:
            t[k] += r[k]
    params = request.GET.copy()
    params.pop("export", None)
    context = {"form": form, "rows": rows, "totals": list(totals.values()), "params": params.urlencode()}
    return render(request, "workbench/benefits/statistics.html", context)


STAT_SUMS = ("households", "persons", "new", "exited", "transferred_in", "transferred_out", "amount_due", "amount_paid",
             "times")  # fmt: skip
STAT_HEADERS = ["区划代码", "区划", "保障项目", "户籍", "户数", "人数", "新增", "退出", "转入（接续）", "转出（接续）",
                "一次性发放（人次）", "应发金额（元）", "实发金额（元）", "平均保障标准（元/人·月）"]  # fmt: skip


STAT_COLUMNS = ("region_code", "region_name", "program_name", "hukou_name", *STAT_SUMS[:6], "times", "amount_due",
                "amount_paid", "average_standard")  # fmt: skip


def _export_statistics(rows, month: dt.date, level: str) -> HttpResponse:
    data = xlsx_bytes(
        title=f"{month:%Y年%m月}统计", headers=STAT_HEADERS, rows=([r[k] for k in STAT_COLUMNS] for r in rows)
    )
    audit_record(action="export", object_type="benefits.statistics", summary=f"导出{month:%Y年%m月}保障统计（{level}）")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=statistics-{month:%Y%m}-{level}.xlsx"
    return response
