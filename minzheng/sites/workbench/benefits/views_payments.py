"""Workbench pages of one-off payments (一次性发放): the list of the user's regions with the funds
ledger of the program and month (opening on the first program a line declared to pay once,
:func:`~minzheng.engines.benefits.payments.oneoff_programs`), recording the result of a bank transfer (到账 /
发放失败), reissuing a failed transfer after the account was corrected (重新发放), and the payments
to be recovered (待追回) with the confirmation that the money was returned (追回). Thin: reads
through the benefits engine's scoped selectors, writes through its services in
:mod:`~minzheng.engines.benefits.payments`."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.benefits import payments
from minzheng.engines.benefits import selectors as benefit_selectors
from minzheng.engines.benefits.models import PaymentStatus, Program, Recovery
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.money import yuan
from minzheng.foundation.regions.selectors import region_names

from ..common.permissions import require


class PaymentFilterForm(forms.Form):
    program = forms.ChoiceField(label="保障项目", required=False)
    month = forms.CharField(label="月份", required=False, widget=forms.TextInput(attrs={"type": "month"}))
    status = forms.ChoiceField(label="发放结果", required=False, choices=[("", "全部"), *PaymentStatus.choices])
    recovery = forms.ChoiceField(label="追回", required=False,
                                 choices=[("", "全部"), (Recovery.DUE, "待追回"), (Recovery.DONE, "已追回")])  # fmt: skip
    q = forms.CharField(label="发放编号", required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [
            (p.code, p.short_name) for p in Program.objects.filter(pays_monthly=False).order_by("sort")
        ]

    def clean_month(self):
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        try:
            return dt.date.fromisoformat(f"{value[:7]}-01")
        except ValueError:
            raise forms.ValidationError("月份格式应为 2026-12") from None


class SettleForm(forms.Form):
    result = forms.ChoiceField(label="结果", choices=[("paid", "已到账"), ("failed", "发放失败")])
    reason = forms.CharField(label="失败原因", required=False, max_length=200)


class ReissueForm(forms.Form):
    reason = forms.CharField(label="重新发放原因", max_length=200, error_messages={"required": "请填写重新发放的原因"})


class RecoveredForm(forms.Form):
    on = forms.DateField(
        label="追回日期", error_messages={"required": "请填写追回日期", "invalid": "追回日期格式应为 2026-12-07"}
    )
    receipt_no = forms.CharField(label="缴回凭证号", max_length=40, error_messages={"required": "请填写缴回凭证号"})
    note = forms.CharField(label="备注", required=False, max_length=200)


@login_required
def payment_list(request):
    user = request.user
    require(user, "benefits.view")
    oneoff = payments.oneoff_programs()
    data = {"program": oneoff[0].code if oneoff else "", "month": timezone.localdate().strftime("%Y-%m")}
    data.update({k: v for k, v in request.GET.items() if v or k == "month"})
    if request.GET.get("q"):
        data["month"] = ""
    form = PaymentFilterForm(data)
    rows, ledger, month, program = [], None, None, data.get("program", "")
    if form.is_valid():
        d = form.cleaned_data
        month, program = d["month"], d["program"]
        qs = payments.payment_list(user=user, program=program, month=month, status=d["status"],
                                   recovery=d["recovery"])  # fmt: skip
        if d["q"]:
            qs = qs.filter(number=d["q"].strip().upper())
        rows = Paginator(qs, 50).get_page(request.GET.get("page"))
        if month and program:
            ledger = benefit_selectors.funds_ledger(user=user, program=program, month=month)
    names = region_names([r.region_code for r in rows] + [r["region_code"] for r in (ledger or {}).get("regions", [])])
    context = {
        "form": form, "rows": rows, "ledger": ledger, "month": month, "names": names,
        "settle_form": SettleForm(), "pending": PaymentStatus.PENDING, "failed": PaymentStatus.FAILED,
        "due": Recovery.DUE, "today": timezone.localdate(),
        "can_settle": {r.pk for r in rows if has_permission(user, "payroll.prepare", r.region_code)},
        "can_reissue": {r.pk for r in rows if has_permission(user, "payroll.approve", r.region_code)},
        "to_recover": payments.payment_list(user=user, recovery=Recovery.DUE)[:200],
        "oneoff_names": [p.short_name for p in oneoff],
    }  # fmt: skip
    return render(request, "workbench/benefits/payments.html", context)


@login_required
@require_POST
def payment_settle(request, number):
    user = request.user
    p = payments.payment_get(user=user, number=number)
    form = SettleForm(request.POST)
    back = reverse("workbench:benefits:payment_list") + f"?q={p.number}"
    if not form.is_valid():
        messages.error(request, "请选择发放结果")
        return redirect(back)
    try:
        payments.payment_settle(user=user, payment=p, paid=form.cleaned_data["result"] == "paid",
                                on=timezone.localdate(), reason=form.cleaned_data["reason"])  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, "未能登记发放结果", exc)
        return redirect(back)
    messages.success(request, f"已登记 {p.number} 的发放结果")
    return redirect(back)


def _refused(request, what: str, exc) -> None:
    text = "；".join(getattr(exc, "messages", None) or [str(exc) or "您没有此项权限"])
    messages.error(request, f"{what}：{text}")


@login_required
@require_POST
def payment_reissue(request, number):
    """重新发放 a failed transfer to the household's corrected account (finance, with a reason)."""
    user = request.user
    p = payments.payment_get(user=user, number=number)
    back = reverse("workbench:benefits:payment_list") + f"?q={p.number}"
    form = ReissueForm(request.POST)
    if not form.is_valid():
        messages.error(request, "未能重新发放：请填写重新发放的原因")
        return redirect(back)
    try:
        new = payments.payment_reissue(user=user, payment=p, reason=form.cleaned_data["reason"],
                                       on=timezone.localdate())  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, "未能重新发放", exc)
        return redirect(back)
    messages.success(
        request,
        f"已重新发放：{new.number}，{yuan(new.amount)} 元转入 {new.bank_account_masked}（原 {p.number} 不再发放）",
    )
    return redirect(reverse("workbench:benefits:payment_list") + f"?q={new.number}")


@login_required
@require_POST
def payment_recovered(request, number):
    """Finance confirms the money to be recovered was returned: date and receipt, in the ledger."""
    user = request.user
    p = payments.payment_get(user=user, number=number)
    back = reverse("workbench:benefits:payment_list") + f"?q={p.number}"
    form = RecoveredForm(request.POST)
    if not form.is_valid():
        errors = "；".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"未能登记追回：{errors}")
        return redirect(back)
    d = form.cleaned_data
    try:
        payments.payment_recovered(user=user, payment=p, on=d["on"], receipt_no=d["receipt_no"], note=d["note"])
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, "未能登记追回", exc)
        return redirect(back)
    messages.success(request, f"已登记追回：{p.number}，{yuan(p.amount)} 元（凭证 {d['receipt_no']}），已记入资金台账")
    return redirect(back)
