"""临时救助 on the case engine: the forms, guards, effects and decision of the two items defined in
:mod:`.case_types` (``temp_emergency``, ``temp_expenditure``). Sources (``shared/docs/domain/
social-assistance.md`` §6.5, §8.3): 2018 临时救助意见 (急难型/支出型; 先行救助 "pay first, complete
the file afterwards"; §三(三) the township's 备用金), 国务院令第649号 第四十八条 (the county may
delegate approval to the township up to an amount), the 甘肃 rule for the amount (standard ×
persons × months, months and amount capped by kind).

- Every grant (先行救助 included) is paid: :func:`_temp_grant` records a one-off payment with the
  benefits engine (payee, bank account or cash receipt, funds ledger, statistics) and the payment
  shows in the household's assistance chain.
- Limits hold across cases: the township limit and the cap of the kind apply per household and
  event (the event's date), the per-period ceiling per household over the configured months; each
  sums the earlier grants of every case of the household (:func:`limits_check`).
- 先行救助 is confirmed afterwards by the level that would have decided it: after 补齐手续 the
  township reviews; it confirms itself only where the decision is delegated to it and the amount
  is within its limit, else it reports to the county (:func:`_township_decides`). A 先行救助 not
  confirmed is recorded as 待追回 on its payment, with the reason and the decision
  (:func:`_first_aid_refused`); finance records the return in the funds ledger.
- The reviewer proposes the amount beside the explained estimate (:func:`temp_estimate`, the same
  assessment as the 测算 page) and cannot propose more than it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from pydantic import BaseModel, Field, field_validator, model_validator

from minzheng.engines.benefits.models import OneOffPayment, Recovery
from minzheng.engines.benefits.payments import (
    oneoff_program,
    payment_record,
    payment_recovery_require,
    payments_of_household,
)
from minzheng.engines.benefits.services import add_months
from minzheng.engines.cases.builtin import REMEDY, addressee, doc_number, office_name, opinion_of
from minzheng.engines.cases.hooks import (
    case_document,
    case_effect,
    case_field_labels,
    case_form,
    case_guard,
    case_value_labels,
)
from minzheng.foundation.documents.spec import Document, Fields, Heading, Note, Paragraph
from minzheng.foundation.money import yuan  # money as people read it: 3,540.00
from minzheng.foundation.parameters.standards import MissingStandard, standards_for
from minzheng.foundation.registry.models import Household
from minzheng.foundation.validation import Refused

PROGRAM = oneoff_program("temp_assistance")  # its cases decide one-off payments (the 一次性发放 pages)
KIND_LABELS = {"emergency": "急难型", "expenditure": "支出型"}
PAY_METHODS = {"bank": "银行转账（家庭登记的账户）", "cash": "现金（凭领款收据）"}
case_value_labels("pay_method", PAY_METHODS)
case_field_labels({"event": "事由", "amount": "救助金额（元）", "hardship": "困难情况"}, wide=("event",))


# ---------------------------------------------------------------- forms


def _not_future(day: dt.date) -> dt.date:
    if day > timezone.localdate():
        raise ValueError("日期不能晚于今天")
    return day


class PaymentForm(BaseModel):
    """How the grant is paid: into the household's registered account, or in cash against the
    payee's signed receipt (领款收据)."""

    pay_method: Literal["bank", "cash"] = Field("bank", title="发放方式")
    receipt_no: str = Field("", max_length=40, title="领款收据号", description="现金发放时填写")

    @model_validator(mode="after")
    def _receipt(self):
        if self.pay_method == "cash" and not self.receipt_no.strip():
            raise ValueError("现金发放须填写领款收据号")
        return self


class EmergencyForm(PaymentForm):
    """临时救助 急难型 先行救助: the event, its date, and the amount paid on the spot."""

    event: str = Field(min_length=2, max_length=200, title="急难事由")
    event_date: dt.date = Field(title="事发日期")
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2, title="先行救助金额（元）")

    @field_validator("event_date")
    @classmethod
    def _event_date(cls, day):
        return _not_future(day)


class TempAmountForm(BaseModel):
    """临时救助 amount proposed at the township review (元/户·次), beside the estimate."""

    event: str = Field(min_length=2, max_length=200, title="困难事由")
    event_date: dt.date = Field(title="事发日期", description="急难事件或支出发生的日期")
    months: int = Field(1, ge=1, le=24, title="困难持续月数", description="按月数测算救助金额")
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2, title="拟救助金额（元）")
    hardship: str = Field(min_length=2, max_length=500, title="困难情况")

    @field_validator("event_date")
    @classmethod
    def _event_date(cls, day):
        return _not_future(day)


case_form("assistance.emergency")(EmergencyForm)
case_form("assistance.temp_amount")(TempAmountForm)
case_form("assistance.temp_payment")(PaymentForm)


# ---------------------------------------------------------------- estimate and limits


def _standards(case, on):
    h = case.household
    return standards_for(region_code=h.region_code, hukou_type=h.hukou_type, as_of=on)


def _mode(case) -> str:
    return case.spec.params.get("temp_mode", "expenditure")


def _registry_request(h: Household, on: dt.date):
    """The request of a 先行救助 estimate before any visit: the household's living current members
    as the registry holds them, every one counted (nothing else is known yet), and nothing more — the
    临时救助 part reads only the 低保 standard and the number of counted members (``_temp_assistance``
    of the assessment). Not the simulation's simplified mapping (ADR 0017): no household means are
    put on anyone; the investigation's facts decide from the first visit on (ADR 0011)."""
    from minzheng.foundation.registry.models import Membership

    from .schemas import AssessmentIn, MemberIn

    rows = sorted(
        Membership.objects.filter(household=h, valid_to__isnull=True, person__death_date__isnull=True).values_list(
            "person_id", "relation", "person__birth_date"
        ),
        key=lambda r: (r[1] != "head", r[0]),
    )
    members = [
        MemberIn(relation="head" if i == 0 else "other", birth_date=birth)
        for i, (_pid, _relation, birth) in enumerate(rows)
    ]
    return AssessmentIn(region_code=h.region_code, hukou_type=h.hukou_type, as_of=on, members=members)


def temp_estimate(case, on: dt.date, months: int | None = None) -> dict:
    """The explained estimate of the 测算 page for this case's household (the assessment with its
    临时救助 part: standard × counted members × months, months and amount capped by kind, the
    township's approval limit), plus what the household already received for the same event and
    in the period. ``months``: as proposed, else the most the kind allows."""
    from .assessment import assessment_run
    from .casework import case_facts, case_request
    from .schemas import TempAssistanceIn

    h = case.household
    kind = _mode(case)
    std = _standards(case, on)
    max_months = int(std.get("temp_assistance_months", kind))
    if case_facts(case) is not None:  # the investigation's facts, once recorded, decide (ADR 0011)
        req = case_request(case, on)
    else:  # 先行救助 before any visit: the registry's members, every one counted
        req = _registry_request(h, on)
    req.temp_assistance = TempAssistanceIn(kind=kind, months=months or max_months)
    try:
        result = assessment_run(req)
    except ValidationError as exc:
        raise Refused("测算失败：" + "；".join(exc.messages)) from None
    temp = result["temp_assistance"]
    lines = result["explanation"]
    shown = [lines[0], next((x for x in lines if x.startswith("低保标准")), ""),
             *[x for x in lines if x.startswith("临时救助")]]  # fmt: skip
    form = case.data.get("forms", {})
    event_date = (form.get("review_done") or form.get("assist_first") or {}).get("event_date")
    sums = _sums(case, on, dt.date.fromisoformat(event_date) if event_date else None, std)
    return {
        **temp, "kind_label": KIND_LABELS[kind], "max_months": max_months,
        "standard": result["standard_monthly"], "members": result["counted_members"],
        "township_limit": str(std.decimal("temp_assistance_township_limit")),
        "explanation": [x for x in shown if x], "refs": result["rule_refs"], **sums,
    }  # fmt: skip


def _period(std) -> tuple[int, Decimal] | None:
    """The per-period ceiling where the region configures one (months, 元/户)."""
    if std.has("temp_assistance_period_months") and std.has("temp_assistance_period_cap"):
        return int(std.get("temp_assistance_period_months")), std.decimal("temp_assistance_period_cap")
    return None


def _sums(case, on: dt.date, event_date: dt.date | None, std) -> dict:
    """What the household already received: for the event (same event date) and in the period —
    grants of every case of the household, this case's own excluded."""
    earlier = [p for p in payments_of_household(household=case.household, program=PROGRAM)
               if p.source_case != case.number]  # fmt: skip
    event = [p for p in earlier if event_date and p.event_date == event_date]
    out = {
        "event_date": event_date.isoformat() if event_date else "",
        "event_sum": sum((p.amount for p in event), Decimal(0)),
        "event_payments": [p.number for p in event],
        "period_months": None, "period_cap": None, "period_sum": Decimal(0), "period_payments": [],
    }  # fmt: skip
    period = _period(std)
    if period:
        months, cap = period
        since = add_months(on, -months)
        inside = [p for p in earlier if p.decided_on > since]
        out.update(period_months=months, period_cap=cap, period_since=since,
                   period_sum=sum((p.amount for p in inside), Decimal(0)), period_payments=[p.number for p in inside])  # fmt: skip
    return out


def limits_check(
    case, *, amount: Decimal, on: dt.date, event_date: dt.date, township: bool, first_aid: bool = True
) -> str | None:
    """The limits over every grant of the household, this one included (2018 临时救助意见; 国务院令
    第649号 第四十八条): per event the township limit (what the township pays or decides) and the cap
    of the kind; per period the configured ceiling. The household row is locked first, so two cases
    deciding at once are counted one after the other. Returns the refusal with the sums, or None.
    ``first_aid``: the township pays first (先行救助), else it approves under the delegation."""
    Household.objects.select_for_update().filter(pk=case.household_id).first()
    kind = _mode(case)
    try:
        std = _standards(case, on)
        cap = std.decimal("temp_assistance_cap", kind)
        limit = std.decimal("temp_assistance_township_limit")
    except MissingStandard as exc:
        return str(exc)
    s = _sums(case, on, event_date, std)
    before = s["event_sum"]
    total = before + amount
    earlier = f"（{'、'.join(s['event_payments'])}）" if s["event_payments"] else ""
    said = (f"该户因 {event_date:%Y-%m-%d} 的同一事件已获临时救助 {yuan(before)} 元{earlier}，本次 {yuan(amount)} 元，"
            f"合计 {yuan(total)} 元")  # fmt: skip
    if township and total > limit and not first_aid:
        return (f"{said}，超过乡镇审批限额 {yuan(limit)} 元（元/户·次），不能由乡镇批准：请「报县级审批」，"
                "由县级审批")  # fmt: skip
    if township and total > limit:
        room = max(limit - before, Decimal(0))
        return (f"{said}，超过乡镇审批限额 {yuan(limit)} 元（元/户·次）；本次先行救助最多 {yuan(room)} 元，"
                "超出部分请按程序报县级审批")  # fmt: skip
    if total > cap:
        room = max(cap - before, Decimal(0))
        return (f"{said}，超过{KIND_LABELS[kind]}临时救助单次上限 {yuan(cap)} 元（元/户·次）；本次最多还可救助 "
                f"{yuan(room)} 元，可「退回乡镇重新审核」说明原因")  # fmt: skip
    if s["period_cap"] is not None:
        ptotal = s["period_sum"] + amount
        if ptotal > s["period_cap"]:
            room = max(s["period_cap"] - s["period_sum"], Decimal(0))
            return (f"该户近 {s['period_months']} 个月（{s['period_since']:%Y-%m-%d} 以后）已获临时救助 "
                    f"{yuan(s['period_sum'])} 元，本次 {yuan(amount)} 元，合计 {yuan(ptotal)} 元，超过期间累计上限 "
                    f"{yuan(s['period_cap'])} 元；本次最多还可救助 {yuan(room)} 元")  # fmt: skip
    return None


def _proposal(case) -> dict:
    return case.data.get("forms", {}).get("review_done") or {}


@case_guard("assistance.within_township_limit")
def _within_township_limit(ctx):
    """先行救助 is paid by the township from its 备用金 up to its limit per household and event
    (2018 临时救助意见 §三(三)), summed over every earlier grant for the same event."""
    amount = Decimal(str(ctx.data.get("amount", 0)))
    return limits_check(ctx.case, amount=amount, on=ctx.today, event_date=dt.date.fromisoformat(ctx.data["event_date"]),
                        township=True)  # fmt: skip


@case_guard("assistance.temp_proposal_ok")
def _proposal_ok(ctx):
    """The proposed amount: not above the estimate for the months proposed, and within the limits."""
    amount = Decimal(str(ctx.data["amount"]))
    est = temp_estimate(ctx.case, ctx.today, months=int(ctx.data["months"]))
    if amount > Decimal(est["amount"]):
        return (f"拟救助金额 {yuan(amount)} 元超过测算金额 {yuan(Decimal(est['amount']))} 元（"
                + "；".join(est["explanation"][2:]) + "）")  # fmt: skip
    return limits_check(ctx.case, amount=amount, on=ctx.today, event_date=dt.date.fromisoformat(ctx.data["event_date"]),
                        township=False)  # fmt: skip


def _township_approves(ctx) -> bool:
    """The township decides at the 审批 step where the county delegated it (the level recorded when
    the case was opened); a proposal it reported to the county is decided at 县级审批."""
    return ctx.case.delegated and ctx.source == "confirm"


@case_guard("assistance.within_cap")
def _within_cap(ctx):
    """At the decision the limits are summed again: another case may have been paid meanwhile. A
    delegated township approves only within its limit (国务院令第649号 第四十八条: the county
    delegates up to an amount, the standard ``temp_assistance_township_limit``); above it the
    proposal goes to the county (「报县级审批」)."""
    p = _proposal(ctx.case)
    amount = Decimal(str(ctx.case.data.get("amount") or 0))
    if not p.get("event_date"):
        return "没有乡镇审核的拟救助金额和事发日期，请退回乡镇重新审核"
    return limits_check(ctx.case, amount=amount, on=ctx.today, event_date=dt.date.fromisoformat(p["event_date"]),
                        township=_township_approves(ctx), first_aid=False)  # fmt: skip


@case_guard("assistance.township_over_limit")
def _township_over_limit(ctx):
    """报县级审批: a delegated township reports the proposals it may not approve itself, those whose
    amount with the household's earlier grants for the same event exceeds its limit; within the
    limit the delegated township decides."""
    case = ctx.case
    if not case.delegated:
        return "本地临时救助未委托乡镇审批，本环节已由县级审批"
    p = _proposal(case)
    if not p.get("event_date"):
        return "没有乡镇审核的拟救助金额和事发日期，请退回乡镇重新审核"
    amount = Decimal(str(case.data.get("amount") or 0))
    try:
        std = _standards(case, ctx.today)
        limit = std.decimal("temp_assistance_township_limit")
    except MissingStandard as exc:
        return str(exc)
    total = _sums(case, ctx.today, dt.date.fromisoformat(p["event_date"]), std)["event_sum"] + amount
    if total <= limit:
        return (f"拟救助金额 {yuan(amount)} 元（同一事件合计 {yuan(total)} 元）在乡镇审批限额 {yuan(limit)} 元以内，"
                "由乡镇审批")  # fmt: skip
    return None


@case_guard("assistance.first_aid_township_decides")
def _township_decides(ctx):
    """先行救助 is confirmed by the level that would have decided it: the township only where the
    county delegated the decision to it (国务院令第649号 第四十八条) and the amount is within its
    limit; otherwise it reports to the county."""
    case = ctx.case
    amount = Decimal(str(case.data.get("amount") or 0))
    if not case.delegated:  # as recorded when the case was opened, like the level of its 审批 step
        return "本地临时救助未委托乡镇审批，先行救助须「报县级审批确认」"
    try:
        limit = _standards(case, ctx.today).decimal("temp_assistance_township_limit")
    except MissingStandard as exc:
        return str(exc)
    if amount > limit:
        return f"先行救助金额 {yuan(amount)} 元超过乡镇审批限额 {yuan(limit)} 元，须「报县级审批确认」"
    return None


@case_effect("assistance.temp_amount")
def _temp_amount(ctx):
    ctx.case.data["amount"] = str(ctx.data["amount"])
    ctx.case.data["temp_estimate"] = {
        k: (str(v) if isinstance(v, Decimal) else v)
        for k, v in temp_estimate(ctx.case, ctx.today, months=int(ctx.data["months"])).items()
        if k not in ("period_since",)
    }


def _decided_level(case, step: str, first_aid: bool = False) -> str:
    """Who decided the grant: the township for a 先行救助 or under the delegation, the county where
    the case is not delegated or the township reported it (县级审批)."""
    if step == "county_confirm":
        return "county"
    return "township" if first_aid or case.delegated else "county"


@case_effect("assistance.temp_grant")
def _temp_grant(ctx):
    """The grant is paid (先行救助 from the township's 备用金, else on the decision): a one-off
    payment with the payee (the applicant), the account or the cash receipt, in the funds ledger."""
    case = ctx.case
    first_aid = ctx.action == "assist_first"
    form = ctx.data if first_aid else _proposal(case)
    amount = Decimal(str(ctx.data.get("amount") if first_aid else case.data.get("amount") or 0))
    if amount <= 0:
        raise Refused("没有拟救助金额")
    if case.applicant is not None:  # nobody recorded dead is paid (2022 兜底通知 §三(三))
        from .payroll_holds import death_evidence

        died, evidence = death_evidence(case.applicant, ctx.today)
        if evidence:
            when = f"已于 {died:%Y-%m-%d} 死亡" if died else "疑似死亡"
            raise Refused(
                f"收款人{case.applicant.name}（{case.applicant.id_number_masked}）{when}（{'、'.join(evidence)}）："
                "不能向其发放临时救助。请核实；确已死亡的，由其他家庭成员另行申请"
            )
    try:
        p = payment_record(
            user=ctx.user, program=PROGRAM, household=case.household, payee=case.applicant, amount=amount,
            decided_on=ctx.today, source_case=case.number, method=ctx.data.get("pay_method", "bank"),
            receipt_no=ctx.data.get("receipt_no", ""), event=form.get("event", ""),
            event_date=dt.date.fromisoformat(form["event_date"]) if form.get("event_date") else None,
            kind=_mode(case), decided_level=_decided_level(case, ctx.source, first_aid),
        )  # fmt: skip
    except Refused:
        raise
    except ValidationError as exc:  # the form field the engine's message belongs to, for the page
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({f"data.{k}": v for k, v in exc.message_dict.items()}) from None
    case.data.update(amount=str(p.amount), granted_on=ctx.today.isoformat(), payment_number=p.number,
                     pay_method=p.method, payee_name=p.payee_name)  # fmt: skip
    if first_aid:
        case.data["first_aid"] = True
    how = "现金发放" if p.method == "cash" else f"转入 {p.bank_account_masked}"
    ctx.messages.append(f"临时救助 {yuan(p.amount)} 元已登记发放（{p.number}，{how}）")


@case_effect("assistance.first_aid_confirmed")
def _first_aid_confirmed(ctx):
    ctx.case.data["first_aid_confirmed_on"] = ctx.today.isoformat()
    ctx.messages.append(f"先行救助 {yuan(ctx.case.data.get('amount'))} 元已审核确认")


@case_effect("assistance.first_aid_refused")
def _first_aid_refused(ctx):
    """先行救助 not confirmed afterwards: the money already paid is to be recovered (2018 临时救助意见
    §三(三): 先行救助 is confirmed by the formalities completed afterwards; what is not confirmed is not
    due). The one-off payment is marked 待追回 with the reason and this decision; finance records the
    return (追回) on the payments page, which books it in the funds ledger."""
    case = ctx.case
    number = case.data.get("payment_number")
    if not case.data.get("first_aid") or not number:
        return
    p = OneOffPayment.objects.filter(number=number, source_case=case.number).first()
    if p is None:
        return
    step = {"first_aid_review": "乡镇审核", "first_aid_county": "县级审批"}.get(ctx.source, ctx.source)
    decision = f"办件 {case.number} {step}「不予确认（追回先行救助金）」，{ctx.today:%Y-%m-%d}"
    p = payment_recovery_require(user=ctx.user, payment=p, reason=ctx.opinion or "先行救助未予确认",
                                 decision=decision, on=ctx.today)  # fmt: skip
    case.data["recovery"] = {"payment_number": p.number, "state": p.recovery, "reason": p.recovery_reason,
                             "decision": decision}  # fmt: skip
    if p.recovery == Recovery.DUE:
        ctx.messages.append(
            f"已先行发放的 {yuan(p.amount)} 元记为待追回（{p.number}）：款项退回后，由财务在「临时救助发放」登记追回"
        )
    else:
        ctx.messages.append(f"先行救助 {p.number} 转账未成功，款项未到账，无需追回，该笔不再发放")


@case_document("first_aid_refusal", "先行救助不予确认通知书")
def first_aid_refusal(case, status):
    """The written refusal of a 先行救助 confirmed afterwards: the decision with its reason and, where
    money reached the household, that the amount paid is to be returned (待追回, recorded on the
    payment); issued by the level that refused it."""
    level = "county" if status is not None and status.from_step == "first_aid_county" else "township"
    rec = case.data.get("recovery") or {}
    amount = yuan(Decimal(case.data.get("amount") or 0))
    number = case.data.get("payment_number", "")
    blocks = [
        Paragraph(f"你提出的{case.spec.name}（办件编号 {case.number}），已先行给予临时救助 {amount} 元"
                  f"（发放编号 {number}）。经补齐手续后审核，决定不予确认。"),
        Paragraph(f"理由：{opinion_of(status)}"),
    ]  # fmt: skip
    if rec.get("state") == "due":
        blocks.append(Paragraph(f"已先行发放的 {amount} 元应予退回，请到{office_name(case, 'township')}办理退回手续，"
                                "退回时取得缴回凭证。"))  # fmt: skip
    elif rec.get("state") == "void":
        blocks.append(Paragraph("该笔先行救助金转账未成功，款项未到账，无需退回，也不再发放。"))
    blocks.append(Note(REMEDY))
    return Document(title="先行救助不予确认通知书", number=doc_number(case, "不批", level), addressee=addressee(case),
                    blocks=blocks, issuer=office_name(case, level), issued_on=timezone.localdate())  # fmt: skip


@case_document("temp_decision", "临时救助决定书")
def temp_decision(case, status):
    level = _decided_level(case, status.from_step if status is not None else "", bool(case.data.get("first_aid")))
    first = case.data.get("first_aid")
    method = PAY_METHODS.get(case.data.get("pay_method", ""), "")
    blocks = [
        Paragraph(f"你提出的{case.spec.name}（办件编号 {case.number}），经审核，决定给予临时救助"
                  + ("（先行救助，事后补齐手续）" if first else "") + "。"),
        Fields([("救助金额（元）", yuan(Decimal(case.data.get("amount") or 0))), ("发放方式", method),
                ("收款人", case.data.get("payee_name", "")), ("发放编号", case.data.get("payment_number", "")),
                ("决定日期", timezone.localdate())]),
        Note(REMEDY),
    ]  # fmt: skip
    est = case.data.get("temp_estimate")
    if est:
        blocks[2:2] = [Heading("测算过程"), *[Paragraph(line, indent=False) for line in est.get("explanation", [])]]
    return Document(title="临时救助决定书", number=doc_number(case, "临", level), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case, level), issued_on=timezone.localdate())  # fmt: skip
