"""Payroll approval and holds on the workbench (issue 13 items 1–3): the approve page with the
totals, the held lines and the lines without a bank account, confirmed explicitly; releasing a
held line with a reason; the cycles awaiting the user's approval (the home page's to-do)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from minzheng.engines.benefits import payroll
from minzheng.engines.benefits import selectors as benefit_selectors
from minzheng.engines.benefits.models import CycleState, LineStatus, PaymentCycle
from minzheng.engines.benefits.services import Refused
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.money import yuan

from ..common.permissions import require
from .forms_payroll import ApproveForm, HoldReleaseForm

FLAGGED_SHOWN = 200


def cycles_to_approve(user):
    """Calculated cycles in the user's regions that the user may approve and did not calculate."""
    if not has_permission(user, "payroll.approve"):
        return PaymentCycle.objects.none()
    qs = PaymentCycle.objects.for_user(user, "payroll.approve").filter(state=CycleState.CALCULATED, lines__gt=0)
    return qs.exclude(calculated_by=user).select_related("program", "calculated_by").order_by("month", "region_code")


def flagged_lines(user, cycle: PaymentCycle):
    """Lines to pay that the bank file cannot carry (no payee or no bank account)."""
    lines = benefit_selectors.entitlement_list(user=user, cycle=cycle, status=LineStatus.PENDING)
    return lines.filter(Q(bank_account="") | Q(payee_id_number=""))


def approval_context(user, cycle: PaymentCycle) -> dict:
    """What the approver checks, also shown on the cycle's page before approval."""
    flags = payroll.cycle_flags(cycle)
    held = payroll.held_lines(cycle)
    may_release = any(has_permission(user, p, cycle.region_code) for p in ("payroll.prepare", "payroll.approve"))
    return {
        "flags": {k: {"lines": n, "amount": amount} for k, (n, amount) in flags.items()},
        "flagged": flagged_lines(user, cycle)[:FLAGGED_SHOWN],
        "held": held,
        "pay_lines": cycle.lines - cycle.held_lines,
        "pay_total": payroll.money(cycle.total) - payroll.money(cycle.held_total),
        "maker": cycle.calculated_by_id == user.pk,
        "approvers": [u for u in payroll.approvers(cycle) if u.pk != cycle.calculated_by_id],
        "can_release": cycle.state == CycleState.CALCULATED and may_release,
    }


def _cycle(user, pk) -> PaymentCycle:
    from .views import _cycle_get

    return _cycle_get(user, pk)


def _approve_page(request, cycle, form=None, status=200):
    user = request.user
    figures = payroll.approval_figures(cycle)
    context = {
        "cycle": cycle,
        "form": form or ApproveForm(initial=figures),
        "can_approve": cycle.state == CycleState.CALCULATED
        and has_permission(user, "payroll.approve", cycle.region_code),
        **approval_context(user, cycle),
    }
    return render(request, "workbench/benefits/payroll_approve.html", context, status=status)


@login_required
def payroll_approve(request, pk):
    """审批 (maker-checker): the page shows the totals, held lines and lines without a bank account
    and asks for an explicit confirmation, checked here; the service refuses the maker and a
    cycle whose figures changed since the page was shown."""
    user = request.user
    require(user, "payroll.approve")
    cycle = _cycle(user, pk)
    if request.method != "POST":
        return _approve_page(request, cycle)
    if cycle.calculated_by_id == user.pk:
        messages.error(request, payroll.MAKER_REFUSAL)
        return _approve_page(request, cycle, status=409)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _approve_page(request, cycle, form=form, status=422)
    try:
        c = payroll.payroll_approve(user=user, cycle=cycle, seen=form.figures())
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc) or "您没有此项权限"]))
        cycle.refresh_from_db()
        status = 409 if isinstance(exc, Refused) else 403 if isinstance(exc, PermissionDenied) else 422
        return _approve_page(request, cycle, status=status)
    text = f"已审批：{c.lines} 笔，{c.persons} 人，{yuan(c.total)} 元；该月发放数据已冻结"
    if c.held_lines:
        text += f"；暂缓发放 {c.held_lines} 笔 {yuan(c.held_total)} 元不导出、不拨付"
    messages.success(request, text)
    return redirect("workbench:benefits:payroll_detail", pk=cycle.pk)


@login_required
@require_POST
def payroll_hold_release(request, pk):
    """解除暂缓发放 of one line, with the finance user's reason (audited by the service)."""
    user = request.user
    cycle = _cycle(user, pk)
    form = HoldReleaseForm(request.POST)
    back = request.POST.get("next") == "approve"
    target = "workbench:benefits:payroll_approve" if back else "workbench:benefits:payroll_detail"
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(target, pk=cycle.pk)
    try:
        line = payroll.payroll_hold_release(
            user=user, cycle=cycle, line_no=form.cleaned_data["line_no"], reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc) or "您没有此项权限"]))
        return redirect(target, pk=cycle.pk)
    messages.success(request, f"已解除序号 {line.line_no}（{line.payee_name}）的暂缓发放，该笔随批次发放")
    return redirect(target, pk=cycle.pk)
