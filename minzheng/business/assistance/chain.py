"""一户一条救助链 (``assistance_chain``, 2023 意见 §三(四)): one ordered record per household of
what happened to it across programs and departments — enrollment changes, cases opened and
decided, one-off payments with their amount, verification requests and reports, monitoring alerts and each of their handlings,
hardship reports — newest first, each entry with its date, kind, title, detail and link.

Read only; the user must be allowed to see the household (``registry.view``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from minzheng.engines.benefits.models import EnrollmentEvent, EventKind, OneOffPayment
from minzheng.engines.cases.definition import OUTCOMES
from minzheng.engines.cases.models import Case
from minzheng.engines.monitoring.models import Alert, AlertHandling, AlertState, Handling, HardshipReport
from minzheng.engines.verification.models import VerificationReport, VerificationRequest
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.money import yuan

KINDS = {
    "enrollment": "保障变动",
    "case": "办件",
    "payment": "救助金发放",
    "verification": "经济状况核对",
    "alert": "监测预警",
    "handling": "预警处置",
    "hardship": "困难报告",
}


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    link: str = ""

    @property
    def date(self) -> dt.date:
        return timezone.localdate(self.at) if timezone.is_aware(self.at) else self.at.date()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


def _link(name: str, *args) -> str:
    try:
        return reverse(f"workbench:{name}", args=args)
    except NoReverseMatch:
        return ""


def _month_start(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def assistance_chain(*, user, household, kinds=None) -> list[Entry]:
    """The household's chain, newest first (``kinds``: only these kinds, see :data:`KINDS`)."""
    if not has_permission(user, "registry.view", household.region_code):
        raise PermissionDenied("无权查看该家庭")
    wanted = set(kinds or KINDS)
    out: list[Entry] = []
    if "enrollment" in wanted:
        events = EnrollmentEvent.objects.filter(enrollment__household=household).select_related("enrollment__program")
        for ev in events:
            e = ev.enrollment
            title = f"{e.program.short_name} {EventKind(ev.kind).label}"
            detail = f"{e.number}，自 {ev.effective_month:%Y-%m} 起 {ev.persons_covered} 人，月金额 {yuan(ev.monthly_amount)} 元"
            if ev.note:
                detail += f"；{ev.note}"
            out.append(Entry(ev.created_at, "enrollment", title, detail, _link("benefits:enrollment_detail", e.pk)))
    if "case" in wanted:
        for c in Case.objects.filter(household=household).select_related("case_type"):
            link = _link("cases:detail", c.number)
            out.append(
                Entry(c.opened_at, "case", f"{c.case_type.name} 申请", f"{c.number}（{c.get_channel_display()}）", link)
            )
            if c.closed_at:
                outcome = OUTCOMES.get(c.outcome, c.outcome or "办结")
                out.append(Entry(c.closed_at, "case", f"{c.case_type.name} {outcome}", c.number, link))
    if "payment" in wanted:  # one-off grants (临时救助, 先行救助 included) with their amount
        for p in OneOffPayment.objects.filter(household=household).select_related("program", "reissue_of"):
            how = f"收据 {p.receipt_no}" if p.method == "cash" else p.bank_account_masked
            detail = (f"{p.number}，{p.payee_name}，{p.get_method_display()}（{how}），{p.get_status_display()}；"
                      f"办件 {p.source_case}" + (f"；{p.event}" if p.event else "")
                      + (f"；重新发放自 {p.reissue_of.number}" if p.reissue_of_id else "")
                      + (f"；{p.get_recovery_display()}：{p.recovery_reason}" if p.recovery else ""))  # fmt: skip
            out.append(Entry(p.created_at, "payment", f"{p.program.short_name} 发放 {yuan(p.amount)} 元", detail,
                             _link("benefits:payment_list") + f"?q={p.number}"))  # fmt: skip
    if "verification" in wanted:
        for r in VerificationRequest.objects.filter(household=household):
            link = _link("verification:detail", r.number)
            out.append(
                Entry(r.requested_at, "verification", "申请经济状况核对", f"{r.number} {r.purpose}".strip(), link)
            )
        for rep in VerificationReport.objects.filter(request__household=household).select_related("request"):
            link = _link("verification:detail", rep.request.number)
            out.append(Entry(rep.issued_at, "verification", f"出具核对报告（第 {rep.version} 版）", rep.number, link))
    if "alert" in wanted:
        for a in Alert.objects.filter(household=household).select_related("rule"):
            state = AlertState(a.state).label
            out.append(Entry(a.raised_at, "alert", f"预警：{a.rule.name}", f"{a.number}，{a.subject_name}，{state}",
                             _link("monitoring:alert", a.number)))  # fmt: skip
    if "handling" in wanted:
        for h in AlertHandling.objects.filter(alert__household=household).select_related("alert"):
            detail = h.note.rstrip("。；;. ")  # the parts below are joined with "；"
            if h.department:
                detail += f"；转 {h.department}" + (f"，反馈：{h.answer}" if h.answer else "")
            if h.case_number:
                detail += f"；办件 {h.case_number}"
            title = f"{Handling(h.way).label}" + ("（办结）" if h.closes else "")
            out.append(Entry(h.handled_at, "handling", f"处置预警 {h.alert.number}：{title}", detail,
                             _link("monitoring:alert", h.alert.number)))  # fmt: skip
    if "hardship" in wanted:
        for r in HardshipReport.objects.filter(alert__household=household):
            detail = r.description[:80] + (f"；答复：{r.reply}" if r.reply else "")
            out.append(Entry(r.created_at, "hardship", f"困难报告 {r.number}", detail,
                             _link("monitoring:report", r.number)))  # fmt: skip
    out.sort(key=lambda e: e.at, reverse=True)
    return out
