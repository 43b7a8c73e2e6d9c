"""One-off payments (一次性发放): money a case decides to pay once, outside the monthly payroll.

A business line's effect calls :func:`payment_record` when its case decides to pay: the payee and
the household's bank account are copied as they are that day (encrypted), or a cash payment is
recorded against the number of the payee's signed receipt (领款收据). The decision appropriates
the money in the funds ledger (``LedgerEntry`` 拨付) of the program and month; a cash payment is
paid there and then, a bank transfer when its result is confirmed (:func:`payment_settle`: 到账 or
发放失败 with the reason). A failed transfer is paid again once the household's account is
corrected (:func:`payment_reissue`: a new attempt linked to the failed one, which is never payable
again; the ledger books a 补发, not a second 拨付). Money paid on a decision the case later refused
is marked 待追回 with the reason and the decision (:func:`payment_recovery_require`) and recorded
as 追回 in the ledger when finance confirms it was returned (:func:`payment_recovered`). Sums per
household (:func:`payments_of_household`) let the business line hold its limits across cases;
:func:`payments_statistics` feeds the monthly statistics (人次, 金额).

A line whose cases decide one-off payments declares the program with :func:`oneoff_program` (the
engine names none): the payments pages open on the first of :func:`oneoff_programs`.
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
from minzheng.foundation.plugins import Registry
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.registry.normalise import mask_bank_account
from minzheng.foundation.validation import Refused

from .models import LedgerEntry, LedgerKind, OneOffPayment, PaymentStatus, PayMethod, Program, Recovery

CENT = Decimal("0.01")

# the programs whose cases a line declared to decide one-off payments (code → code; a Registry, so a
# second line declaring the same code is harmless, the same declaration)
ONEOFF_PROGRAMS = Registry("一次性发放项目")


def oneoff_program(code: str) -> str:
    """Declare that cases of a line decide one-off payments of program ``code`` (its ``Program`` row is
    the line's seed data, as every program's)."""
    ONEOFF_PROGRAMS[code] = code
    return code


def oneoff_programs() -> list[Program]:
    """The declared one-off programs that exist, in the programs' order (``sort``)."""
    return list(Program.objects.filter(code__in=list(ONEOFF_PROGRAMS)).order_by("sort", "code"))


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
        if not paid and p.recovery == Recovery.DUE:  # the money never reached the payee: nothing to recover
            p.recovery = Recovery.VOID
        p.save(update_fields=["status", "paid_on", "failure_reason", "settled_by", "recovery"])
        _ledger(
            p, user, LedgerKind.PAID if paid else LedgerKind.FAILED, "银行到账" if paid else f"发放失败（{reason}）"
        )
        audit_record(
            action="update", object_type="benefits.oneoffpayment", object_id=p.number, region_code=p.region_code,
            summary=f"{p.number} " + ("到账" if paid else f"发放失败：{reason[:100]}"),
        )  # fmt: skip
    return p


def _locked(payment: OneOffPayment) -> OneOffPayment:
    return OneOffPayment.objects.select_for_update().get(pk=payment.pk)


def payment_current(payment: OneOffPayment) -> OneOffPayment:
    """The live attempt of a payment: the payment itself, or the last reissue of it."""
    p = payment
    while True:
        nxt = OneOffPayment.objects.filter(reissue_of=p).first()
        if nxt is None:
            return p
        p = nxt


def payment_reissue(*, user, payment: OneOffPayment, reason: str, on: dt.date) -> OneOffPayment:
    """Pay a failed bank transfer again (重新发放) after the household's account was corrected: a
    new attempt with the household's account as registered now (ciphertext copied again), linked
    to the failed one, which becomes 已重新发放 and is never payable again (one reissue per failed
    attempt, by the row lock and a unique link). The amount, payee and decision stay as decided;
    the ledger books a 补发 in the payment's month, so the month shows one 拨付. Refused in Chinese,
    with nothing written, without a reason, for a payment that did not fail, whose decision was
    withdrawn, or whose household still has no account or the same account that failed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写重新发放的原因（如：已更正银行账号）"})
    with transaction.atomic():
        p = _locked(payment)
        if user is not None and not has_permission(user, "payroll.approve", p.region_code):
            raise PermissionDenied("无权办理该区划的重新发放")
        if p.status != PaymentStatus.FAILED:
            raise Refused(f"发放 {p.number} 是「{p.get_status_display()}」，只有发放失败的才能重新发放")
        if p.recovery:
            raise Refused(f"发放 {p.number} 的决定未予确认（{p.get_recovery_display()}），不能重新发放")
        household = p.household
        account = household.bank_account or ""
        if not account:
            raise Refused("该家庭仍未登记银行账号：请先在家庭信息中登记正确的银行账户，再重新发放")
        if account == (p.bank_account or ""):
            raise Refused(f"家庭登记的银行账号仍是发放失败的账号 {p.bank_account_masked}：请先更正银行账户，再重新发放")
        new = OneOffPayment.objects.create(
            number=_number(p.program, p.region_code, on.year), program=p.program, household=household,
            payee=p.payee, region_code=p.region_code, hukou_type=p.hukou_type, kind=p.kind, amount=p.amount,
            decided_on=p.decided_on, month=p.month, decided_level=p.decided_level, source_case=p.source_case,
            event=p.event, event_date=p.event_date, method=PayMethod.BANK, payee_name=p.payee_name,
            payee_id_number=p.payee_id_number, payee_id_number_masked=p.payee_id_number_masked,
            bank_name=household.bank_name, bank_account=account, bank_account_masked=mask_bank_account(account),
            created_by=_actor(user), reissue_of=p, reissue_reason=reason[:200],
        )  # fmt: skip
        p.status = PaymentStatus.REISSUED
        p.save(update_fields=["status"])
        _ledger(new, user, LedgerKind.REISSUE, f"重新发放（原 {p.number} 发放失败，{reason[:60]}）")
        audit_record(
            action="reissue", object_type="benefits.oneoffpayment", object_id=new.number, region_code=p.region_code,
            summary=f"{p.number} 发放失败，重新发放为 {new.number}：{new.payee_name} {yuan(new.amount)} 元，"
            f"转入 {new.bank_account_masked}；原因：{reason[:100]}",
            changes={"reissue_of": p.number, "account_before": p.bank_account_masked,
                     "account_after": new.bank_account_masked, "reason": reason[:200]},
        )  # fmt: skip
    return new


def payment_recovery_require(*, user, payment: OneOffPayment, reason: str, decision: str, on: dt.date) -> OneOffPayment:
    """The case's later decision refused what this payment paid: the live attempt is marked 待追回
    with the reason and the decision; one whose transfer failed (nothing reached the payee) is
    closed as not paid and can no longer be reissued. A transfer still at the bank stays 待追回
    until its result: a failure then closes it. Audited."""
    reason, decision = (reason or "").strip(), (decision or "").strip()
    if not reason or not decision:
        raise ValidationError({"reason": "追回须写明原因和办件决定"})
    with transaction.atomic():
        p = _locked(payment_current(payment))
        if p.recovery:
            raise Refused(f"发放 {p.number} 已是「{p.get_recovery_display()}」")
        p.recovery = Recovery.VOID if p.status == PaymentStatus.FAILED else Recovery.DUE
        p.recovery_reason, p.recovery_decision, p.recovery_marked_on = reason[:300], decision[:300], on
        p.save(update_fields=["recovery", "recovery_reason", "recovery_decision", "recovery_marked_on"])
        audit_record(
            action="recovery", object_type="benefits.oneoffpayment", object_id=p.number, region_code=p.region_code,
            summary=f"{p.number} {p.get_recovery_display()}：{p.payee_name} {yuan(p.amount)} 元；{decision[:120]}",
            changes={"recovery": p.recovery, "reason": reason[:300], "decision": decision[:300]},
        )  # fmt: skip
    return p


def payment_recovered(*, user, payment: OneOffPayment, on: dt.date, receipt_no: str, note: str = "") -> OneOffPayment:
    """Finance confirms that money to be recovered was returned (追回): recorded against the
    number of the receipt or bank slip of the return, booked as 追回 in the funds ledger of the
    payment's month, audited. Refused in Chinese, with nothing written, for a payment not 待追回,
    one whose transfer has no result yet, without a receipt number, or with a date in the future."""
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        raise ValidationError({"receipt_no": "请填写缴回凭证号（收款收据或银行回单号）"})
    from django.utils import timezone

    if on > timezone.localdate():
        raise ValidationError({"on": "追回日期不能晚于今天"})
    with transaction.atomic():
        p = _locked(payment)
        if user is not None and not has_permission(user, "payroll.prepare", p.region_code):
            raise PermissionDenied("无权办理该区划的发放业务")
        if p.recovery != Recovery.DUE:
            raise Refused(f"发放 {p.number} 不是待追回的发放")
        if p.status != PaymentStatus.PAID:
            raise Refused(f"发放 {p.number} 尚未登记到账结果：请先登记银行到账或发放失败")
        if on < p.decided_on:
            raise ValidationError({"on": "追回日期不能早于发放决定日期"})
        p.recovery, p.recovered_on, p.recovery_receipt, p.recovered_by = (
            Recovery.DONE,
            on,
            receipt_no[:40],
            _actor(user),
        )
        p.save(update_fields=["recovery", "recovered_on", "recovery_receipt", "recovered_by"])
        _ledger(
            p,
            user,
            LedgerKind.RECOVERY,
            f"追回（{on:%Y-%m-%d}，凭证 {receipt_no[:40]}）" + (f"，{note[:60]}" if note else ""),
        )
        audit_record(
            action="recovered", object_type="benefits.oneoffpayment", object_id=p.number, region_code=p.region_code,
            summary=f"{p.number} 已追回 {yuan(p.amount)} 元（{on:%Y-%m-%d}，凭证 {receipt_no[:40]}）",
            changes={"recovered_on": on.isoformat(), "receipt_no": receipt_no[:40], "note": (note or "")[:200]},
        )  # fmt: skip
    return p


# ---------------------------------------------------------------- reads


def payments_of_household(*, household, program: str, since: dt.date | None = None, until: dt.date | None = None):
    """The household's payments of a program decided in ``[since, until]`` (failed ones excluded:
    no money reached the household; recovered ones too: the money came back), oldest first — what
    limits per event and per period sum."""
    qs = (
        OneOffPayment.objects.filter(household=household, program_id=program)
        .exclude(status__in=[PaymentStatus.FAILED, PaymentStatus.REISSUED])
        .exclude(recovery__in=[Recovery.DONE, Recovery.VOID])
    )
    if since:
        qs = qs.filter(decided_on__gte=since)
    if until:
        qs = qs.filter(decided_on__lte=until)
    return qs.order_by("decided_on", "pk")


def payment_list(*, user, program: str = "", month: dt.date | None = None, status: str = "", recovery: str = ""):
    """Payments in the user's regions (masked values only: the ciphertext columns are not read);
    ``recovery``: ``due`` for the payments to be recovered (待追回), ``done`` for recovered."""
    qs = OneOffPayment.objects.for_user(user, "benefits.view").select_related("program")
    qs = qs.defer("payee_id_number", "bank_account")
    if program:
        qs = qs.filter(program_id=program)
    if month:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    if recovery:
        qs = qs.filter(recovery=recovery)
    return qs.select_related("reissue_of").order_by("-decided_on", "-pk")


def payment_get(*, user, number: str) -> OneOffPayment:
    p = payment_list(user=user).filter(number=number).first()
    if p is None:
        raise Http404("找不到该发放记录")
    return p


def payments_statistics(*, prefixes, month: dt.date, length: int):
    """Per region code prefix of ``length``, program and hukou type: 人次 (payments decided in the
    month), the amount decided and the amount paid — for the monthly statistics. A failed attempt
    that was reissued is counted once, in its reissue; a recovered payment (追回), or one whose
    decision was refused before any money reached the payee, is not counted at all — neither as
    人次 nor as decided nor as paid. One still 待追回 counts: the money is with the payee."""
    qs = OneOffPayment.objects.filter(month=month).exclude(status=PaymentStatus.REISSUED)
    qs = qs.exclude(recovery__in=[Recovery.DONE, Recovery.VOID])
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
