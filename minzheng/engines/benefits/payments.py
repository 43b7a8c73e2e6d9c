"""One-off payments (一次性发放): money a case decides to pay once, outside the monthly payroll.

A business line's effect calls :func:`payment_record` when its case decides to pay: the payee and
the household's bank account are copied as they are that day (encrypted), or a cash payment is
recorded against the number of the payee's signed receipt (领款收据). The decision appropriates
the money in the funds ledger (``LedgerEntry`` 拨付) of the program and month; a cash payment is
paid there and then, a bank transfer when its result is confirmed (:func:`payment_settle`: 到账 or
发放失败 with the reason). Sums per household (:func:`payments_of_household`) let the business line
hold its limits across cases; :func:`payments_statistics` feeds the monthly statistics (人次, 金额).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404

from minzheng.foundation.accounts.scoping import ALL, has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.money import yuan
from minzheng.foundation.numbering.services import sequence_take
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.registry.normalise import mask_bank_account
from minzheng.foundation.validation import Refused

from .models import LedgerEntry, LedgerKind, OneOffPayment, PaymentStatus, PayMethod, Program

CENT = Decimal("0.01")


def _actor(user):
    return user if getattr(user, "pk", None) else None


def _number(program: Program, region_code: str, year: int) -> str:
    prefix = program.number_prefix or program.code.upper()[:4]
    seq = sequence_take(key=f"payment:{prefix}:{region_code[:6]}:{year}")
    return f"{prefix}F-{region_code[:6]}-{year}-{seq:06d}"


def _ledger(p: OneOffPayment, user, kind: str, note: str) -> LedgerEntry:
    return LedgerEntry.objects.create(
        program_id=p.program_id, month=p.month, region_code=p.region_code, kind=kind, amount=p.amount, lines=1,
        note=f"{note}：{p.number}（办件 {p.source_case}）"[:300], actor=_actor(user),
    )  # fmt: skip


def payment_record(
    *,
    user,
    program: str,
    household,
    payee,
    amount: Decimal,
    decided_on: dt.date,
    source_case: str,
    method: str,
    receipt_no: str = "",
    event: str = "",
    event_date: dt.date | None = None,
    kind: str = "",
    decided_level: str = "",
) -> OneOffPayment:
    """Record the payment a case decided, appropriate it in the funds ledger, and for cash pay it
    at once. Refused in Chinese, with nothing written, when the amount is not positive, a cash
    payment has no receipt number, or a bank payment has no account to pay into."""
    amount = Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)  # yuan to the fen, half up
    if amount <= 0:
        raise ValidationError({"amount": "发放金额须大于 0"})
    prog = Program.objects.filter(code=program).first()
    if prog is None:
        raise ValidationError({"program": f"不认识的保障项目：{program}"})
    receipt_no = (receipt_no or "").strip()
    if method == PayMethod.CASH and not receipt_no:
        raise ValidationError({"receipt_no": "现金发放须填写领款收据号（收款人签字的领款收据）"})
    if method not in PayMethod.values:
        raise ValidationError({"pay_method": "发放方式须为银行转账或现金"})
    account = household.bank_account or ""
    if method == PayMethod.BANK and not account:
        raise Refused(
            "该家庭未登记银行账号，不能转账发放：请先在家庭信息中登记银行账户，或改为现金发放并填写领款收据号"
        )
    person = payee or household.head
    with transaction.atomic():
        p = OneOffPayment.objects.create(
            number=_number(prog, household.region_code, decided_on.year), program=prog, household=household,
            payee=person, region_code=household.region_code, hukou_type=household.hukou_type, kind=kind,
            amount=amount, decided_on=decided_on, month=decided_on.replace(day=1), decided_level=decided_level,
            source_case=source_case, event=(event or "")[:200], event_date=event_date, method=method,
            payee_name=person.name if person else "", payee_id_number=person.id_number if person else "",
            payee_id_number_masked=person.id_number_masked if person else "",
            bank_name=household.bank_name if method == PayMethod.BANK else "",
            bank_account=account if method == PayMethod.BANK else "",
            bank_account_masked=mask_bank_account(account) if method == PayMethod.BANK else "",
            receipt_no=receipt_no if method == PayMethod.CASH else "", created_by=_actor(user),
        )  # fmt: skip
        _ledger(p, user, LedgerKind.APPROPRIATION, f"{prog.short_name}一次性发放决定")
        if method == PayMethod.CASH:
            p.status, p.paid_on, p.settled_by = PaymentStatus.PAID, decided_on, _actor(user)
            p.save(update_fields=["status", "paid_on", "settled_by"])
            _ledger(p, user, LedgerKind.PAID, f"现金发放（收据 {receipt_no}）")
        audit_record(
            action="create", object_type="benefits.oneoffpayment", object_id=p.number, region_code=p.region_code,
            summary=f"{prog.short_name}一次性发放 {p.number}：{p.payee_name} {yuan(amount)} 元，{PayMethod(method).label}"
            f"（办件 {source_case}）",
        )  # fmt: skip
    return p


def payment_settle(*, user, payment: OneOffPayment, paid: bool, on: dt.date, reason: str = "") -> OneOffPayment:
    """The result of a bank transfer: 到账 (paid) or 发放失败 with the reason, in the ledger."""
    reason = (reason or "").strip()
    if not paid and not reason:
        raise ValidationError({"reason": "请填写发放失败的原因"})
    with transaction.atomic():
        p = OneOffPayment.objects.select_for_update().get(pk=payment.pk)
        if user is not None and not has_permission(user, "payroll.prepare", p.region_code):
            raise PermissionDenied("无权办理该区划的发放业务")
        if p.status != PaymentStatus.PENDING:
            raise Refused(f"发放 {p.number} 已是「{p.get_status_display()}」，不能再登记结果")
        p.status = PaymentStatus.PAID if paid else PaymentStatus.FAILED
        p.paid_on = on if paid else None
        p.failure_reason = "" if paid else reason[:200]
        p.settled_by = _actor(user)
        p.save(update_fields=["status", "paid_on", "failure_reason", "settled_by"])
        _ledger(
            p, user, LedgerKind.PAID if paid else LedgerKind.FAILED, "银行到账" if paid else f"发放失败（{reason}）"
        )
        audit_record(
            action="update", object_type="benefits.oneoffpayment", object_id=p.number, region_code=p.region_code,
            summary=f"{p.number} " + ("到账" if paid else f"发放失败：{reason[:100]}"),
        )  # fmt: skip
    return p


# ---------------------------------------------------------------- reads


def payments_of_household(*, household, program: str, since: dt.date | None = None, until: dt.date | None = None):
    """The household's payments of a program decided in ``[since, until]`` (failed ones excluded:
    no money reached the household), oldest first — what limits per event and per period sum."""
    qs = OneOffPayment.objects.filter(household=household, program_id=program).exclude(status=PaymentStatus.FAILED)
    if since:
        qs = qs.filter(decided_on__gte=since)
    if until:
        qs = qs.filter(decided_on__lte=until)
    return qs.order_by("decided_on", "pk")


def payment_list(*, user, program: str = "", month: dt.date | None = None, status: str = ""):
    """Payments in the user's regions (masked values only: the ciphertext columns are not read)."""
    qs = OneOffPayment.objects.for_user(user, "benefits.view").select_related("program")
    qs = qs.defer("payee_id_number", "bank_account")
    if program:
        qs = qs.filter(program_id=program)
    if month:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-decided_on", "-pk")


def payment_get(*, user, number: str) -> OneOffPayment:
    p = payment_list(user=user).filter(number=number).first()
    if p is None:
        raise Http404("找不到该发放记录")
    return p


def payments_statistics(*, prefixes, month: dt.date, length: int):
    """Per region code prefix of ``length``, program and hukou type: 人次 (payments decided in the
    month), the amount decided and the amount paid — for the monthly statistics."""
    qs = OneOffPayment.objects.filter(month=month)
    if prefixes is not ALL:
        qs = qs.filter(prefix_q("region_code", prefixes))
    return (
        qs.annotate(g=Substr("region_code", 1, length))
        .values_list("g", "program_id", "hukou_type")
        .annotate(
            n=Count("id", filter=~Q(status=PaymentStatus.FAILED)),
            due=Sum("amount"),
            paid=Sum("amount", filter=Q(status=PaymentStatus.PAID)),
        )
    )
